"""nvmsim.explore: the CLI's exploration from Python, locally and on a Dask LocalCluster."""
import pytest

import nvmsim

TWO_PATH = "scenarios/explore/two-path.yaml"


def body(yaml_text):
    """A run's YAML without its header comments (title and replay line name the caller)."""
    return "\n".join(line for line in yaml_text.splitlines() if not line.startswith("#"))


def test_explore_finds_what_the_cli_finds(cli, tmp_path):
    s = nvmsim.load(TWO_PATH).set("hosts.0.variant", "[BP-13]")
    df = nvmsim.explore(s, runs=3, seed=1, jobs=2)
    assert list(df["run"]) == [0, 1, 2]
    assert list(df.columns) == ["run", "seed", "faults", "exit_code", "verdict", "kinds", "error", "yaml"]
    # BP-13 is found at run 0 of seed 1 (docs/bug-patterns.md): double completion.
    first = df.iloc[0]
    assert first["exit_code"] == 1 and "double_completion" in first["kinds"].split(";")
    # The row's YAML replays it through the real CLI with its seed.
    f = tmp_path / "fail.yaml"
    f.write_text(first["yaml"])
    r = nvmsim.run(nvmsim.load(str(f)), seed=int(first["seed"]))
    assert r.exit_code == 1 and any(v["kind"] == "double_completion" for v in r.violations)
    # The same draw as the CLI's: its fail-0000.yaml is this run's scenario.
    cli("explore", TWO_PATH, "--runs", "1", "--seed", "1", "--set", "hosts.0.variant=[BP-13]",
        "--no-shrink", "-q", "--out", str(tmp_path / "cli"), check=1)
    assert body((tmp_path / "cli" / "fail-0000.yaml").read_text()) == body(first["yaml"])
    again = nvmsim.explore(s, runs=3, seed=1, jobs=1)
    assert again.drop(columns=["error"]).equals(df.drop(columns=["error"]))


def test_mainline_runs_hold_and_seeds_differ():
    df = nvmsim.explore(TWO_PATH, runs=4, seed=7, jobs=2)
    assert (df["exit_code"] == 0).all(), df[["run", "kinds", "error"]]
    assert df["seed"].nunique() == 4 and (df["faults"] > 0).all() and (df["yaml"] == "").all()


def test_a_scenario_without_explore_is_a_scenario_error():
    with pytest.raises(nvmsim.ScenarioError, match="no explore section"):
        nvmsim.explore("scenarios/basic-2path.yaml", runs=1)


def test_explore_on_a_local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        df = nvmsim.explore(nvmsim.load(TWO_PATH).set("hosts.0.variant", "[BP-13]"), runs=3, seed=1,
                            client=client, progress=False)
    local = nvmsim.explore(nvmsim.load(TWO_PATH).set("hosts.0.variant", "[BP-13]"), runs=3, seed=1, jobs=2)
    assert df.drop(columns=["error"]).equals(local.drop(columns=["error"]))
