"""nvmsim.load/loads/from_dict, Scenario.set, run and Result: against the CLI."""
import json
import os
import signal
import threading
import time

import pandas as pd
import pytest

import nvmsim
from conftest import without_wall

BASIC = "scenarios/basic-2path.yaml"
RESET = "scenarios/failover/ctrl-reset.yaml"
GHOST = "scenarios/ghost-write.yaml"


def test_to_yaml_is_what_validate_prints(cli):
    s = nvmsim.load(RESET)
    assert s.to_yaml() == cli("validate", RESET, check=0).stdout
    s.set("hosts.0.nvme.kato", "15s").set("hosts.0.kernel", "6.1")
    out = cli("validate", RESET, "--set", "hosts.0.nvme.kato=15s", "--set", "hosts.0.kernel=6.1",
              check=0).stdout
    assert s.to_yaml() == out
    assert s.overrides == ["hosts.0.nvme.kato=15s", "hosts.0.kernel=6.1"]


def test_to_dict_and_from_dict_round_trip():
    s = nvmsim.load(RESET)
    d = s.to_dict()
    assert d["hosts"][0]["nvme"]["kato"] == "5s"
    assert d["hosts"][0]["nvme"]["fast_io_fail_tmo"] == "off"  # YAML 1.2: not False
    assert d["hosts"][0]["kernel"] == "6.12"
    assert d["seed"] == 1 and isinstance(d["seed"], int)
    again = nvmsim.from_dict(d)
    assert again.to_yaml() == s.to_yaml()
    assert nvmsim.loads(s.to_yaml()).to_yaml() == s.to_yaml()


def test_set_takes_python_values():
    s = nvmsim.load(BASIC)
    s.set("duration", pd.Timedelta("1500ms")).set("seed", 9).set("hosts.0.nvme.queue_if_no_path", True)
    d = s.to_dict()
    assert d["duration"] == "1500ms" and d["seed"] == 9 and s.seed == 9
    assert d["hosts"][0]["nvme"]["queue_if_no_path"] is True


def test_set_error_is_the_cli_error_and_leaves_the_scenario(cli):
    s = nvmsim.load(BASIC)
    before = s.to_yaml()
    with pytest.raises(nvmsim.ScenarioError) as ei:
        s.set("hosts.0.nvme.kato", "banana")
    p = cli("validate", BASIC, "--set", "hosts.0.nvme.kato=banana", check=2)
    e = ei.value
    assert str(e) == p.stderr.strip()
    assert e.file == "--set" and e.line == 1 and e.column == len("hosts.0.nvme.kato=") + 1
    assert e.key == "hosts[0].nvme.kato" and e.message and e.message in str(e)
    assert s.to_yaml() == before and s.overrides == []
    with pytest.raises(nvmsim.ScenarioError) as ei:
        s.set("hosts.0.no_such_key", "1")
    assert str(ei.value) == cli("validate", BASIC, "--set", "hosts.0.no_such_key=1", check=2).stderr.strip()


def test_file_errors_carry_file_line_column_key_hint(cli, root):
    for name in sorted(os.listdir(os.path.join(root, "tests", "malformed")))[:12]:
        if not name.endswith(".yaml"):
            continue
        path = f"tests/malformed/{name}"
        p = cli("validate", path)
        if p.returncode != 2:
            continue
        with pytest.raises(nvmsim.ScenarioError) as ei:
            nvmsim.load(path)
        e = ei.value
        assert str(e) == p.stderr.strip().splitlines()[-1] if "\n" not in str(e) else True
        assert str(e) in p.stderr
        assert e.file.startswith(path) or e.file.endswith(".yaml") or e.file == "<input>"
        reparsed = nvmsim.ScenarioError.from_text(str(e))
        assert (reparsed.file, reparsed.line, reparsed.column, reparsed.key, reparsed.hint) == \
            (e.file, e.line, e.column, e.key, e.hint)
    with pytest.raises(nvmsim.ScenarioError) as ei:
        nvmsim.load("no/such/file.yaml")
    assert "no/such/file.yaml" in str(ei.value)


def test_loads_error_names_the_text():
    with pytest.raises(nvmsim.ScenarioError) as ei:
        nvmsim.loads("nvmsim: 1\nduration: [\n", name="mine.yaml")
    assert ei.value.file == "mine.yaml" and ei.value.line >= 1


def test_result_json_is_the_cli_results_json(cli, tmp_path):
    cli("run", BASIC, "--seed", "7", "--set", "duration=500ms", "--set", "hosts.0.iopolicy=queue-depth",
        "--quiet", "--out", str(tmp_path / "cli"), check=0)
    s = nvmsim.load(BASIC).set("duration", "500ms").set("hosts.0.iopolicy", "queue-depth")
    r = nvmsim.run(s, seed=7, out=tmp_path / "py")
    cli_text = (tmp_path / "cli" / "results.json").read_text()
    assert without_wall(r.results_json) == without_wall(cli_text)
    # Byte for byte apart from the wall figures: the lines that differ are inside "wall".
    a, b = r.results_json.splitlines(), cli_text.splitlines()
    assert len(a) == len(b)
    differ = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    wall_at = next(i for i, x in enumerate(a) if '"wall"' in x)
    assert all(wall_at < i <= wall_at + 4 for i in differ), differ
    assert r.json == json.loads(r.results_json)
    assert r.replay == "nvmsim run scenarios/basic-2path.yaml --seed 7 --set duration=500ms --set hosts.0.iopolicy=queue-depth"
    assert (tmp_path / "py" / "timeseries.csv").read_text() == (tmp_path / "cli" / "timeseries.csv").read_text()
    assert (tmp_path / "py" / "results.json").read_text() == r.results_json
    assert r.exit_code == 0 and r.verdict == "ok" and r.seed == 7


def test_fio_logs_are_the_cli_fio_logs(cli, tmp_path):
    sets = ["duration=300ms", "report.fio_logs=true"]
    cli("run", BASIC, *[x for kv in sets for x in ("--set", kv)], "--quiet", "--out", str(tmp_path / "cli"), check=0)
    s = nvmsim.load(BASIC)
    for kv in sets:
        s = s.set(*kv.split("=", 1))
    r = nvmsim.run(s, out=tmp_path / "py")
    names = sorted(p.name for p in (tmp_path / "cli").glob("*.log"))
    assert names and sorted(r.fio_logs) == names
    for n in names:
        assert (tmp_path / "py" / n).read_text() == (tmp_path / "cli" / n).read_text() == r.fio_logs[n]


def test_repeated_runs_in_one_process_are_identical():
    s = nvmsim.load(RESET).set("duration", "3s")
    texts = [without_wall(nvmsim.run(s).results_json) for _ in range(4)]
    assert len(set(texts)) == 1
    other = without_wall(nvmsim.run(s, seed=2).results_json)
    assert other != texts[0]


def test_dataframes_columns_and_dtypes():
    r = nvmsim.run(nvmsim.load(RESET))
    jobs = r.jobs()
    assert list(jobs.columns) == ["job", "rw", "ios", "bytes", "iops", "bw_bytes", "clat_min_ns",
                                  "clat_mean_ns", "clat_p50_ns", "clat_p99_ns", "clat_p999_ns",
                                  "clat_max_ns", "errors"]
    assert str(jobs.dtypes["ios"]) == "int64" and str(jobs.dtypes["iops"]) == "float64"
    assert str(jobs.dtypes["clat_p99_ns"]) == "Int64"
    assert list(jobs["rw"]) == ["read", "write", "trim"]
    read = jobs.set_index("rw").loc["read"]
    assert read["ios"] == r.json["jobs"][0]["read"]["total_ios"] > 0
    assert read["clat_p99_ns"] == r.json["jobs"][0]["read"]["clat_ns"]["percentile"]["99.000000"]
    assert pd.isna(jobs.set_index("rw").loc["trim"]["clat_p99_ns"])

    paths = r.paths()
    assert list(paths.columns) == ["path", "host", "head", "ctrl", "link", "ios", "bytes", "share", "state"]
    assert list(paths["path"]) == ["nvme0c0n1", "nvme0c1n1"]
    assert paths["ios"].sum() == sum(p["ios"] for p in r.json["nvmsim"]["paths"])
    assert abs(paths["share"].sum() - 1.0) < 1e-9 and str(paths.dtypes["ios"]) == "int64"

    ctrls = r.controllers()
    assert list(ctrls.columns) == ["controller", "host", "subsystem", "link", "cntlid", "time", "from", "to", "reason"]
    assert str(ctrls.dtypes["time"]) == "timedelta64[ns]"
    reset = ctrls[(ctrls["controller"] == "nvme0") & (ctrls["to"] == "resetting")]
    assert len(reset) == 1 and reset["time"].iloc[0] == pd.Timedelta("2s") + pd.Timedelta("10us")
    assert len(ctrls) == sum(len(c["transitions"]) for c in r.json["nvmsim"]["controllers"])

    fo = r.failovers()
    assert list(fo.columns) == ["time", "head", "path", "ctrl", "status", "bios", "release"]
    assert str(fo.dtypes["time"]) == "timedelta64[ns]" and str(fo.dtypes["bios"]) == "int64"
    assert len(fo) == r.json["nvmsim"]["failover_count"] == 1 and fo["status"].iloc[0] == "0x371"

    faults = r.faults()
    assert list(faults.columns) == ["time", "action", "target"]
    assert faults["time"].tolist() == [pd.Timedelta("2s")] and faults["action"].tolist() == ["ctrl-reset"]

    ts = r.timeseries()
    header = r.timeseries_csv.splitlines()[0].split(",")
    assert list(ts.columns) == ["time"] + header[1:]
    assert str(ts.dtypes["time"]) == "timedelta64[ns]" and ts["time"].iloc[0] == pd.Timedelta(0)
    assert str(ts.dtypes["read_iops"]) == "int64" and str(ts.dtypes["scope"]) == "object"
    assert set(ts["scope"]) == {"total", "job:oltp", "path:h1/nvme0c0n1", "path:h1/nvme0c1n1"}
    assert ts["time"].max() == pd.Timedelta("4900ms")
    assert len(ts) == len(r.timeseries_csv.splitlines()) - 1

    lat = r.latency("oltp")
    assert list(lat.columns) == ["rw", "latency_ns", "count"] and str(lat.dtypes["count"]) == "int64"
    reads = lat[lat["rw"] == "read"]
    assert reads["count"].sum() == r.json["jobs"][0]["read"]["clat_ns"]["N"]
    assert reads["latency_ns"].is_monotonic_increasing
    assert len(r.latency("oltp", "write")) > 0
    with pytest.raises(KeyError):
        r.latency("nope")


def test_empty_tables_keep_their_dtypes():
    r = nvmsim.run(nvmsim.load(BASIC).set("duration", "200ms"))
    assert len(r.failovers()) == 0 and str(r.failovers().dtypes["time"]) == "timedelta64[ns]"
    assert len(r.faults()) == 0 and list(r.faults().columns) == ["time", "action", "target"]


def test_violation_is_exit_1_with_its_evidence(cli):
    r = nvmsim.run(nvmsim.load(GHOST))
    assert r.exit_code == 1 and r.verdict == "violated"
    assert r.verdicts["linearizable"] is False and r.verdicts["no_lost_io"] is True
    assert r.violations and r.violations[0]["kind"] == "ghost_write" and r.violations[0]["chain"]
    fixed = nvmsim.run(nvmsim.load(GHOST).set("hosts.0.nvme.failover_hold", "kato+cqt"))
    assert fixed.exit_code == 0 and fixed.violations == [] and all(fixed.verdicts.values())
    assert cli("run", GHOST, "--quiet").returncode == 1


def test_keyboard_interrupt_ends_a_run_and_the_next_works():
    s = nvmsim.load(BASIC).set("duration", "10m")
    timer = threading.Timer(0.7, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        nvmsim.run(s)
    assert time.monotonic() - t0 < 5
    r = nvmsim.run(nvmsim.load(BASIC).set("duration", "200ms"))
    assert r.exit_code == 0 and r.json["nvmsim"]["sim_time_ns"] == 200_000_000


def test_runs_from_threads_at_once_release_the_gil():
    s = nvmsim.load(RESET)
    out = [None] * 4
    def work(i):
        out[i] = without_wall(nvmsim.run(s, seed=i + 1).results_json)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts: t.start()
    for t in ts: t.join()
    assert out[0] == without_wall(nvmsim.run(s, seed=1).results_json)
    assert len(set(out)) == 4


def test_run_after_chdir_reads_the_file_where_it_was_loaded(tmp_path, monkeypatch):
    s = nvmsim.load(RESET)
    monkeypatch.chdir(tmp_path)
    r = nvmsim.run(s)
    assert r.replay.startswith("nvmsim run scenarios/failover/ctrl-reset.yaml")


def test_bad_seed_and_path_argument():
    with pytest.raises(nvmsim.ScenarioError):
        nvmsim.run(nvmsim.load(BASIC), seed=-1)
    r = nvmsim.run(RESET)  # a path is loaded
    assert r.json["nvmsim"]["scenario"] == "ctrl-reset"


def test_help_and_stubs():
    assert "seed" in nvmsim.run.__doc__ and "KeyboardInterrupt" in nvmsim.run.__doc__
    assert "grid" in nvmsim.sweep.__doc__ and "--set" in nvmsim.Scenario.set.__doc__
    pkg = os.path.dirname(nvmsim.__file__)
    assert os.path.exists(os.path.join(pkg, "__init__.pyi"))
    assert os.path.exists(os.path.join(pkg, "py.typed"))


def test_a_forked_process_gets_its_own_server_and_the_server_ends_with_its_process(tmp_path):
    import subprocess
    import sys
    s = nvmsim.load(RESET).set("duration", "1s")
    want = without_wall(nvmsim.run(s).results_json)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # multiprocessing's "fork": the parent's server is not ours
        try:
            ok = without_wall(nvmsim.run(s).results_json) == want
        except BaseException:
            ok = False
        os.write(w, b"1" if ok else b"0")
        os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"1"
    os.waitpid(pid, 0)
    assert without_wall(nvmsim.run(s).results_json) == want  # ours still works
    # A Python process that imported nvmsim leaves no server behind when it exits.
    code = ("import nvmsim; nvmsim.run(nvmsim.load('scenarios/failover/ctrl-reset.yaml')); "
            "print(nvmsim._core.server_pid())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=60)
    server = int(out.stdout.split()[-1])
    assert server > 0
    def alive(pid):  # a zombie waiting for init to reap it counts as gone
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    deadline = time.monotonic() + 5
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server), "the fork server outlived its process"
    assert nvmsim._core.server_pid() > 0 and nvmsim._core.server_pid() != server


def test_a_run_whose_process_dies_raises_internal_error():
    from nvmsim import _core
    s = nvmsim.load(BASIC).set("duration", "10m")
    done = threading.Event()

    def killer():  # the run's process killed under it, as a crash would
        while not done.wait(0.3):
            _core.cancel_all()

    t = threading.Thread(target=killer)
    t.start()
    try:
        with pytest.raises(nvmsim.InternalError) as ei:
            nvmsim.run(s)
    finally:
        done.set()
        t.join()
    assert "without a result" in str(ei.value) or "killed by signal" in str(ei.value)
    assert nvmsim.run(nvmsim.load(BASIC).set("duration", "100ms")).exit_code == 0
