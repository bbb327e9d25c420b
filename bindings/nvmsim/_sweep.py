"""sweep(): a grid of --set values times seeds, on local processes or a Dask cluster."""
from __future__ import annotations

import concurrent.futures
import itertools
import json
import os
import shlex
import sys
import uuid
from typing import Any, Callable, Iterable, Mapping, Optional

import pandas as pd

from . import _core
from ._errors import ScenarioError
from ._result import run_raw
from ._scenario import Scenario, load, yaml_value

__all__ = ["sweep"]

# The columns after the grid's, as in `nvmsim sweep`'s sweep.csv (docs/cli.md).
_COLUMNS = {"seed": "Int64", "exit_code": "int64", "verdict": "object", "expect_failed": "object",
            "violations": "object", "iops": "float64", "clat_p99_ns": "Int64",
            "max_io_stall_ns": "Int64", "failovers": "Int64", "first_failover_ns": "Int64",
            "app_errors": "Int64", "error": "object", "replay": "object"}


def _verdict(code: int) -> str:
    return {0: "ok", 1: "violated"}.get(code, "error")


def _one_line(text: str) -> str:
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())


def figures(raw: dict) -> dict:
    """The key figures of a run (sweep.csv's columns) from its results.json and violations.json."""
    f: dict[str, Any] = {"exit_code": raw["exit_code"], "verdict": _verdict(raw["exit_code"]),
                         "expect_failed": "", "violations": "", "iops": float("nan"),
                         "clat_p99_ns": None, "max_io_stall_ns": None, "failovers": None,
                         "first_failover_ns": None, "app_errors": None,
                         "error": _one_line(raw["error"]) if raw["exit_code"] >= 2 else "",
                         "replay": "", "seed": None}
    if not raw.get("results_json"):
        return f
    j = json.loads(raw["results_json"])
    iops, p99 = 0.0, None
    for job in j["jobs"]:
        for d in ("read", "write", "trim"):
            x = job[d]
            iops += x["iops"]
            pct = x["clat_ns"].get("percentile", {})
            if x["total_ios"] > 0 and "99.000000" in pct:
                p99 = max(p99 or 0, pct["99.000000"])
    nv = j["nvmsim"]
    f.update(iops=round(iops, 1), clat_p99_ns=p99, max_io_stall_ns=nv["max_io_stall_ns"],
             failovers=nv["failover_count"],
             first_failover_ns=nv["failovers"][0]["t_ns"] if nv["failovers"] else None,
             app_errors=nv["app_errors"], replay=nv["replay"], seed=nv["seed"],
             expect_failed=";".join(e["key"] for e in nv["expect"] if not e["ok"]))
    if raw.get("violations_json"):
        counts = json.loads(raw["violations_json"])["counts"]
        f["violations"] = ";".join(f"{k}={v}" for k, v in counts.items())
    return f


def _run_point(scenario: Scenario, seed: Optional[int]) -> dict:
    """One run of a sweep (on a Dask worker too): its figures; an error of any kind is a row."""
    try:
        raw = run_raw(scenario, seed)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - the sweep keeps every run, failed or not
        raw = {"exit_code": 3, "error": f"internal error: {type(e).__name__}: {e}"}
    row = figures(raw)
    if row["seed"] is None:
        row["seed"] = seed if seed is not None else scenario.seed
    return row


def _replay(scenario: Scenario, seed: int) -> str:
    cmd = f"nvmsim run {shlex.quote(scenario.path or scenario._name)} --seed {seed}"
    return cmd + "".join(f" --set {shlex.quote(o)}" for o in scenario.overrides)


def _plan(scenario: Scenario, grid: Mapping[str, Iterable[Any]], seeds: list):
    """Every point in `nvmsim sweep`'s order (the first grid key slowest, the seed fastest), each
    combination checked before anything runs, as `nvmsim run` would check it."""
    keys = list(grid)
    values = [list(grid[k]) for k in keys]
    for k, v in zip(keys, values):
        if not v:
            raise ValueError(f"nvmsim.sweep: grid key {k!r} has no values")
    if "seed" in keys and seeds:
        raise ValueError("nvmsim.sweep: the seed is swept by both grid['seed'] and seeds; use one")
    combos = list(itertools.product(*values))
    total = len(combos) * max(1, len(seeds))
    points = []
    for c, combo in enumerate(combos):
        s = scenario.copy()
        try:
            for k, v in zip(keys, combo):
                s.set(k, v)
            s.check_runnable()
        except ScenarioError as e:
            width = max(4, len(str(total - 1)))
            note = (f"in run-{c * max(1, len(seeds)):0{width}d} of the sweep ({total} runs):"
                    + "".join(f" --grid {shlex.quote(f'{k}={yaml_value(v)}')}"
                              for k, v in zip(keys, combo)))
            # As `nvmsim sweep`: the note after the hint, on a line of its own (or as the hint).
            hint = f"{e.hint}\n  {note}" if e.hint else note
            base = e.text.split("\n  hint: ")[0]
            raise ScenarioError(f"{base}\n  hint: {hint}", e.file, e.line, e.column, e.key,
                                e.message, hint) from None
        for seed in (seeds or [None]):
            points.append((len(points), dict(zip(keys, combo)), s, seed))
    return points


def _progress_bar(enabled: Optional[bool], total: int, desc: str = "nvmsim sweep"):
    """A tqdm bar: by default when stderr is a terminal or in a Jupyter kernel (as a widget when
    ipywidgets is installed, else as text)."""
    if enabled is None:
        enabled = sys.stderr.isatty() or "ipykernel" in sys.modules
    if not enabled:
        return None
    try:
        if "ipykernel" in sys.modules:
            import ipywidgets  # noqa: F401 - tqdm.notebook needs it
            from tqdm.notebook import tqdm
        else:
            from tqdm import tqdm
    except ImportError:
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - python3-tqdm is a dependency
            return None
    return tqdm(total=total, unit="run", desc=desc)


def sweep(scenario: Scenario | str | os.PathLike, grid: Optional[Mapping[str, Iterable[Any]]] = None,
          seeds: Optional[Iterable[int]] = None, client: Any = None, jobs: Optional[int] = None,
          progress: Optional[bool] = None,
          on_row: Optional[Callable[[dict], None]] = None) -> pd.DataFrame:
    """Run a scenario for every combination of ``grid`` values times every seed.

    ``grid`` maps a ``--set`` key path to its values (``{"hosts.0.nvme.kato": ["5s", "10s"],
    "hosts.0.kernel": ["6.1", "6.12"]}``); ``seeds`` is an iterable of seeds (None: the
    scenario's own). The order is ``nvmsim sweep``'s: the first key varies slowest, the seed
    fastest. Every combination is checked before any run (a bad value raises
    :class:`ScenarioError`, naming the combination).

    ``client=None`` runs on this machine, ``jobs`` runs at once (default: the number of CPUs),
    each in its own process. ``client=dask.distributed.Client(...)`` submits one task per run to
    the cluster (the workers import nvmsim and read the scenario file by the same path).
    ``progress``: a tqdm bar (default: when stderr is a terminal, or in Jupyter). ``on_row(row)`` is called as
    each run finishes, in the order they finish.

    Returns one row per run in sweep order: ``run``, one column per grid key (the values as
    given), ``seed``, ``exit_code``, ``verdict`` (ok / violated / error), ``expect_failed``,
    ``violations``, ``iops``, ``clat_p99_ns``, ``max_io_stall_ns``, ``failovers``,
    ``first_failover_ns``, ``app_errors``, ``error`` and ``replay``: the columns of
    ``nvmsim sweep``'s sweep.csv. A run that failed (exit 3, a crash) is a row with its error.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    grid = dict(grid or {})
    seeds = [int(s) for s in seeds] if seeds is not None else []
    points = _plan(scenario, grid, seeds)
    rows: dict[int, dict] = {}
    bar = _progress_bar(progress, len(points))

    def done(i: int, row: dict) -> None:
        row = {"run": i, **points[i][1], **row}
        if not row["replay"]:
            row["replay"] = _replay(points[i][2], row["seed"])
        rows[i] = row
        if bar is not None:
            bar.update(1)
        if on_row is not None:
            on_row(row)

    def error_row(i: int, error: str) -> dict:
        row = figures({"exit_code": 3, "error": error})
        row["seed"] = points[i][3]
        return row

    try:
        _run_many(_run_point, [(i, (s, seed)) for i, _, s, seed in points], client,
                  jobs or os.cpu_count() or 1, done, error_row, "run")
    finally:
        if bar is not None:
            bar.close()
    df = pd.DataFrame([rows[i] for i in sorted(rows)],
                      columns=["run", *grid, *_COLUMNS])
    df["run"] = df["run"].astype("int64")
    for c, t in _COLUMNS.items():
        df[c] = df[c].astype(t)
    return df


def _run_many(fn, tasks, client, jobs: int, done, error_row, what: str) -> None:
    """fn(*args) for every (index, args) of ``tasks``: ``jobs`` threads here (each run is a child
    of the fork server), or one Dask task each on ``client``; ``done(index, row)`` as each ends,
    in the order they end. A task Dask loses is ``error_row(index, message)``."""
    if client is None:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, int(jobs)))
        futures = {pool.submit(fn, *args): i for i, args in tasks}
        try:
            for fut in concurrent.futures.as_completed(futures):
                done(futures[fut], fut.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            _core.cancel_all()  # the runs going on now: killed, their threads return at once
            raise
        pool.shutdown()
        return
    from distributed import as_completed

    futures = {}
    tag = uuid.uuid4().hex[:12]
    for i, args in tasks:
        futures[client.submit(fn, *args, pure=False, key=f"nvmsim-{what}-{tag}-{i}")] = i
    try:
        for fut in as_completed(futures):
            try:
                row = fut.result()
            except Exception as e:  # noqa: BLE001 - a lost worker, an unpicklable error: a row
                row = error_row(futures[fut], f"internal error: {type(e).__name__}: {e}")
            done(futures[fut], row)
    except BaseException:
        client.cancel(list(futures))
        raise
