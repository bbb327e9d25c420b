"""explore(): `nvmsim explore`'s random fault schedules, run locally or on a Dask cluster."""
from __future__ import annotations

import os
from typing import Any, Callable, Optional

import pandas as pd

from . import _core
from ._result import run_raw
from ._scenario import Scenario, load, loads
from ._sweep import _progress_bar, _run_many, _verdict

__all__ = ["explore"]

_COLUMNS = {"run": "int64", "seed": "uint64", "faults": "int64", "exit_code": "int64",
            "verdict": "object", "kinds": "object", "error": "object", "yaml": "object"}


def _explore_one(scenario: Scenario, seed: int, index: int) -> dict:
    """Run `index` of the exploration (on a Dask worker too): drawn from the explore section,
    run as the standalone scenario it spells out; an error of any kind is a row."""
    _, is_text, name, overrides, _ = scenario._request()
    row: dict[str, Any] = {"run": index, "seed": 0, "faults": 0, "exit_code": 3, "verdict": "error",
                           "kinds": "", "error": "", "yaml": ""}
    try:
        title = f"nvmsim.explore({scenario.path or scenario._name!r}, seed={seed}): run {index}"
        drawn = _core.explore_run(scenario._load_source(), is_text, name, overrides, int(seed), int(index),
                                  title)
        row.update(seed=drawn["seed"], faults=drawn["faults"])
        run = loads(drawn["yaml"], name=f"explore-run-{index}.yaml")
        raw = run_raw(run)
        v = _core.explore_verdict(raw["exit_code"], raw.get("error", ""), raw.get("results_json", ""),
                                  raw.get("violations_json", ""))
        row.update(exit_code=raw["exit_code"], verdict=_verdict(raw["exit_code"]),
                   kinds=";".join(v["kinds"]), error=v["error"],
                   yaml=drawn["yaml"] if raw["exit_code"] != 0 else "")
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - the exploration keeps every run
        row.update(exit_code=3, verdict="error", kinds="internal-error", error=f"{type(e).__name__}: {e}")
    return row


def explore(scenario: Scenario | str | os.PathLike, runs: int = 100, seed: int = 1, client: Any = None,
            jobs: Optional[int] = None, progress: Optional[bool] = None,
            on_row: Optional[Callable[[dict], None]] = None) -> pd.DataFrame:
    """Draw ``runs`` random fault schedules from the scenario's ``explore`` section and run each
    with the oracles, as ``nvmsim explore FILE --runs RUNS --seed SEED`` does (run *i* uses the
    same seed and schedule as the CLI's run *i*; docs/explore.md).

    ``client=None`` runs on this machine, ``jobs`` at once (default: the CPUs);
    ``client=dask.distributed.Client(...)`` submits one task per run to the cluster, whose workers
    must see the scenario file by the same path. Returns one row per run, in run order: ``run``,
    ``seed`` (the run's own), ``faults`` (drawn), ``exit_code``, ``verdict`` (ok / violated /
    error), ``kinds`` (the violation kinds, ``;``-separated, as the CLI's summary groups them),
    ``error`` and ``yaml``: for a failing run, the standalone scenario that replays it with
    ``nvmsim run FILE --seed SEED`` (write it to a file). Shrinking a failure is the CLI's:
    ``nvmsim explore FILE --seed SEED --runs RUN+1`` shrinks the first failure of each kind.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    runs = int(runs)
    if runs < 1:
        raise ValueError("nvmsim.explore: runs must be at least 1")
    _, is_text, name, overrides, _ = scenario._request()
    _core.explore_run(scenario._load_source(), is_text, name, overrides, int(seed), 0, "check")  # bad input: now
    rows: dict[int, dict] = {}
    bar = _progress_bar(progress, runs, "nvmsim explore")

    def done(i: int, row: dict) -> None:
        rows[i] = row
        if bar is not None:
            bar.update(1)
        if on_row is not None:
            on_row(row)

    tasks = [(i, (scenario, int(seed), i)) for i in range(runs)]
    try:
        _run_many(_explore_one, tasks, client, jobs or os.cpu_count() or 1, done,
                  lambda i, e: {"run": i, "seed": 0, "faults": 0, "exit_code": 3, "verdict": "error",
                                "kinds": "internal-error", "error": e, "yaml": ""}, "explore")
    finally:
        if bar is not None:
            bar.close()
    df = pd.DataFrame([rows[i] for i in sorted(rows)], columns=list(_COLUMNS))
    for c, t in _COLUMNS.items():
        df[c] = df[c].astype(t)
    return df
