"""nvmsim.sweep on local processes: the order, the columns, the figures against `nvmsim sweep`."""
import csv
import io
import threading

import pandas as pd
import pytest

import nvmsim
from nvmsim import _core

RESET = "scenarios/failover/ctrl-reset.yaml"
GRID = {"hosts.0.nvme.kato": ["5s", "10s"], "hosts.0.kernel": ["6.1", "6.12"]}


def test_local_sweep_matches_nvmsim_sweep(cli, tmp_path):
    df = nvmsim.sweep(nvmsim.load(RESET).set("duration", "3s"), grid=GRID, seeds=range(1, 3), jobs=2)
    assert len(df) == 8
    assert list(df.columns) == ["run", "hosts.0.nvme.kato", "hosts.0.kernel", "seed", "exit_code",
                                "verdict", "expect_failed", "violations", "iops", "clat_p99_ns",
                                "max_io_stall_ns", "failovers", "first_failover_ns", "app_errors",
                                "error", "replay"]
    assert df["run"].tolist() == list(range(8))
    # nvmsim sweep's order: the first key slowest, the seed fastest.
    assert df["hosts.0.nvme.kato"].tolist() == ["5s"] * 4 + ["10s"] * 4
    assert df["hosts.0.kernel"].tolist() == ["6.1", "6.1", "6.12", "6.12"] * 2
    assert df["seed"].tolist() == [1, 2] * 4
    assert str(df.dtypes["iops"]) == "float64" and str(df.dtypes["failovers"]) == "Int64"
    assert (df["verdict"] == "ok").all() and (df["error"] == "").all()
    cli("sweep", RESET, "--set", "duration=3s", "--grid", "hosts.0.nvme.kato=5s,10s",
        "--grid", "hosts.0.kernel=6.1,6.12", "--seeds", "2", "--jobs", "2", "--out", str(tmp_path),
        check=0)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "sweep.csv").read_text())))
    assert len(rows) == 8
    for (_, py), c in zip(df.iterrows(), rows):
        assert py["hosts.0.nvme.kato"] == c["hosts.0.nvme.kato"] and str(py["seed"]) == c["seed"]
        for k in ("exit_code", "clat_p99_ns", "max_io_stall_ns", "failovers", "first_failover_ns",
                  "app_errors"):
            assert str(py[k]) == c[k], k
        assert f"{py['iops']:.1f}" == c["iops"]
    # The figures that the sweep is for: a later first failover never (ctrl-reset is seen at
    # once), and a failover in every run.
    assert (df["failovers"] >= 1).all()
    assert df["first_failover_ns"].min() >= 2_000_000_000


def test_grid_values_may_be_python_values_and_seeds_none():
    s = nvmsim.load(RESET).set("duration", "2s")
    df = nvmsim.sweep(s, grid={"workloads.0.iodepth": [1, 8]})
    assert df["workloads.0.iodepth"].tolist() == [1, 8]
    assert df["seed"].tolist() == [1, 1]
    assert df["replay"].tolist()[1].endswith("--set workloads.0.iodepth=8")
    assert df["iops"].iloc[1] >= df["iops"].iloc[0] - 1


def test_bad_grid_value_raises_before_any_run():
    rows = []
    with pytest.raises(nvmsim.ScenarioError) as ei:
        nvmsim.sweep(RESET, grid={"hosts.0.nvme.kato": ["5s", "soon"]}, seeds=[1, 2],
                     on_row=rows.append)
    e = ei.value
    assert e.key == "hosts[0].nvme.kato" and e.file == "--set"
    assert "in run-0002 of the sweep (4 runs): --grid hosts.0.nvme.kato=soon" in str(e)
    assert "in run-0002" in e.hint
    assert rows == []


def test_failed_runs_are_rows_not_a_lost_sweep():
    s = nvmsim.load(RESET).set("duration", "10m")
    done = threading.Event()

    def killer():  # kills the runs going on, as a crash would (again until the sweep ends)
        while not done.wait(0.5):
            _core.cancel_all()

    t = threading.Thread(target=killer)
    t.start()
    try:
        df = nvmsim.sweep(s, grid={"hosts.0.iopolicy": ["numa", "round-robin"]}, jobs=2)
    finally:
        done.set()
        t.join()
    assert len(df) == 2
    assert (df["exit_code"] == 3).all() and (df["verdict"] == "error").all()
    assert df["error"].str.contains("died without a result|killed by signal").all()
    assert df["replay"].iloc[1].endswith("--set hosts.0.iopolicy=round-robin")
    assert df["iops"].isna().all()
    # and the next sweep works
    ok = nvmsim.sweep(nvmsim.load(RESET).set("duration", "1s"), seeds=[3], jobs=1)
    assert ok["exit_code"].tolist() == [0]


def test_violations_in_a_sweep():
    df = nvmsim.sweep("scenarios/ghost-write.yaml",
                      grid={"hosts.0.nvme.failover_hold": ["none", "kato+cqt"]})
    assert df["exit_code"].tolist() == [1, 0]
    assert df["violations"].tolist() == ["ghost_write=1", ""]
    assert df["expect_failed"].tolist() == ["linearizable", ""]


def test_keyboard_interrupt_stops_a_local_sweep():
    import os
    import signal
    import time
    s = nvmsim.load(RESET).set("duration", "10m")
    timer = threading.Timer(0.8, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        nvmsim.sweep(s, seeds=range(1, 9), jobs=2)
    assert time.monotonic() - t0 < 5
    ok = nvmsim.sweep(nvmsim.load(RESET).set("duration", "1s"), seeds=[1, 2], jobs=2)
    assert ok["exit_code"].tolist() == [0, 0]
