"""Result: the reports of one run (what `nvmsim run --out DIR` writes), with pandas views."""
from __future__ import annotations

import io
import json as _json
import os
from typing import Any, Optional

import pandas as pd

from . import _core
from ._errors import InternalError, ScenarioError
from ._scenario import Scenario, load

__all__ = ["Result", "run", "run_raw", "raise_for"]

_DIRECTIONS = ("read", "write", "trim")
_PCTS = {"clat_p50_ns": "50.000000", "clat_p99_ns": "99.000000", "clat_p999_ns": "99.900000"}


def _td(ns) -> pd.Series:
    return pd.to_timedelta(pd.Series(ns, dtype="int64"), unit="ns")


def _frame(rows: list, columns: dict) -> pd.DataFrame:
    """A DataFrame with these columns and dtypes, also when there are no rows."""
    df = pd.DataFrame(rows, columns=list(columns))
    for c, t in columns.items():
        if t == "timedelta":
            df[c] = _td(df[c].tolist())
        else:
            df[c] = df[c].astype(t)
    return df


class Result:
    """The reports of one run. Attributes: ``exit_code`` (0 ok, 1 an expectation violated),
    ``verdict`` ("ok"/"violated"), ``verdicts`` ({expect key: held?}), ``violations`` (the
    oracles' findings, each with its evidence ``chain``), ``json`` (results.json as a dict),
    ``summary`` (summary.txt), ``timeseries_csv``, ``topology`` (``nvme list-subsys`` at the end),
    ``seed``, ``replay`` (the ``nvmsim run`` line that repeats it) and ``wall_seconds``.
    DataFrames: :meth:`jobs`, :meth:`paths`, :meth:`controllers`, :meth:`failovers`,
    :meth:`faults`, :meth:`timeseries`, :meth:`latency`."""

    def __init__(self, raw: dict):
        self._raw = raw
        self.exit_code: int = raw["exit_code"]
        self.results_json: str = raw["results_json"]
        self.json: dict = _json.loads(self.results_json)
        self.summary: str = raw["summary"]
        self.timeseries_csv: str = raw["timeseries_csv"]
        self.violations_json: str = raw["violations_json"]
        # report.fio_logs: fio's <job>_{lat,clat,slat,iops,bw}.N.log, file name -> text
        self.fio_logs: dict[str, str] = dict(raw.get("fio_logs") or [])
        self.topology: str = raw["topology_text"]
        self.topology_json: dict = _json.loads(raw["topology_json"]) if raw["topology_json"] else {}
        self.wall_seconds: float = raw["wall_seconds"]
        nv = self.json["nvmsim"]
        self.seed: int = nv["seed"]
        self.replay: str = nv["replay"]
        self.verdicts: dict[str, bool] = {e["key"]: bool(e["ok"]) for e in nv["expect"]}
        self.violations: list[dict] = (_json.loads(self.violations_json)["violations"]
                                       if self.violations_json else list(nv["violations"]))

    @property
    def verdict(self) -> str:
        """"ok" (exit code 0) or "violated" (1: an expectation failed)."""
        return "ok" if self.exit_code == 0 else "violated"

    @property
    def _nv(self) -> dict:
        return self.json["nvmsim"]

    def __repr__(self) -> str:
        return (f"<nvmsim.Result {self._nv['scenario']!r} seed {self.seed}: exit {self.exit_code}"
                f" ({self.verdict}), {len(self.violations)} violation(s)>")

    def write(self, out: str | os.PathLike) -> None:
        """Write summary.txt, results.json, timeseries.csv, violations.json and the fio logs
        (``report.fio_logs``) into ``out``, as ``nvmsim run --out`` does."""
        os.makedirs(out, exist_ok=True)
        files = {"summary.txt": self.summary, "results.json": self.results_json,
                 "timeseries.csv": self.timeseries_csv, "violations.json": self.violations_json,
                 **self.fio_logs}
        for name, text in files.items():
            if text or name in ("summary.txt", "results.json"):
                with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
                    f.write(text)

    # -- DataFrames ----------------------------------------------------------------------------
    def jobs(self) -> pd.DataFrame:
        """One row per job and direction (read, write, trim): ios, bytes, iops, bw_bytes, the
        completion latency (clat_min/mean/p50/p99/p999/max_ns; a percentile the report did not
        ask for is <NA>) and the job's errors."""
        rows = []
        for j in self.json["jobs"]:
            for d in _DIRECTIONS:
                x = j[d]
                c = x["clat_ns"]
                pct = c.get("percentile", {})
                rows.append([j["jobname"], d, x["total_ios"], x["io_bytes"], x["iops"],
                             x["bw_bytes"], c["min"], c["mean"],
                             *[pct.get(k) if x["total_ios"] else None for k in _PCTS.values()],
                             c["max"], j["total_err"]])
        return _frame(rows, {"job": "object", "rw": "object", "ios": "int64", "bytes": "int64",
                             "iops": "float64", "bw_bytes": "int64", "clat_min_ns": "int64",
                             "clat_mean_ns": "float64", "clat_p50_ns": "Int64",
                             "clat_p99_ns": "Int64", "clat_p999_ns": "Int64",
                             "clat_max_ns": "int64", "errors": "int64"})

    def paths(self) -> pd.DataFrame:
        """One row per path (``nvmeXcYnZ``): its host, head, controller, link, the I/O and bytes it
        carried, its share of its head's I/O and its state at the end."""
        ps = self._nv["paths"]
        per_head: dict = {}
        for p in ps:
            per_head[(p["host"], p["head"])] = per_head.get((p["host"], p["head"]), 0) + p["ios"]
        rows = [[p["name"], p["host"], p["head"], p["ctrl"], p["link"], p["ios"], p["bytes"],
                 p["ios"] / per_head[(p["host"], p["head"])] if per_head[(p["host"], p["head"])] else 0.0,
                 p["states"][-1]["state"] if p["states"] else ""] for p in ps]
        return _frame(rows, {"path": "object", "host": "object", "head": "object",
                             "ctrl": "object", "link": "object", "ios": "int64", "bytes": "int64",
                             "share": "float64", "state": "object"})

    def controllers(self) -> pd.DataFrame:
        """One row per controller state transition: controller, host, subsystem, link, cntlid,
        time (pd.Timedelta), from, to, reason."""
        rows = [[c["name"], c["host"], c["subsystem"], c["link"], c["cntlid"], t["t_ns"],
                 t["from"], t["to"], t["reason"]]
                for c in self._nv["controllers"] for t in c["transitions"]]
        return _frame(rows, {"controller": "object", "host": "object", "subsystem": "object",
                             "link": "object", "cntlid": "int64", "time": "timedelta",
                             "from": "object", "to": "object", "reason": "object"})

    def failovers(self) -> pd.DataFrame:
        """One row per failover (an I/O moved off a failed path): time, head, path, ctrl, status,
        bios (how many) and release (when the I/O was released to another path)."""
        rows = [[f["t_ns"], f["head"], f["path"], f["ctrl"], f["status"], f["bios"],
                 f["release_ns"]] for f in self._nv["failovers"]]
        return _frame(rows, {"time": "timedelta", "head": "object", "path": "object",
                             "ctrl": "object", "status": "object", "bios": "int64",
                             "release": "timedelta"})

    def faults(self) -> pd.DataFrame:
        """One row per fault of the timeline that fired: time, action, target."""
        rows = [[f["t_ns"], f["action"], f["target"]] for f in self._nv["faults"]]
        return _frame(rows, {"time": "timedelta", "action": "object", "target": "object"})

    def timeseries(self) -> pd.DataFrame:
        """timeseries.csv: one row per bucket and scope (``job:NAME`` or ``path:HOST/PATH``), the
        CSV's columns with its ``t_ms`` as ``time`` (pd.Timedelta, the bucket's start)."""
        if not self.timeseries_csv:
            raise ValueError("nvmsim: this run has no time series (report.timeseries is off)")
        df = pd.read_csv(io.StringIO(self.timeseries_csv), dtype={"scope": "object"})
        df.insert(0, "time", pd.to_timedelta(df.pop("t_ms").astype("int64"), unit="ms"))
        return df

    def latency(self, job: str, rw: Optional[str] = None) -> pd.DataFrame:
        """The completion-latency histogram of a job (fio's clat_ns bins): rw, latency_ns,
        count, one row per bin in increasing latency; ``rw`` picks one direction."""
        jobs = {j["jobname"]: j for j in self.json["jobs"]}
        if job not in jobs:
            raise KeyError(f"nvmsim: no job {job!r} (jobs: {', '.join(jobs)})")
        if rw is not None and rw not in _DIRECTIONS:
            raise ValueError(f"nvmsim: rw is one of {', '.join(_DIRECTIONS)}, got {rw!r}")
        rows = []
        for d in (_DIRECTIONS if rw is None else (rw,)):
            bins = jobs[job][d]["clat_ns"].get("bins", {})
            rows += sorted([d, int(k), int(v)] for k, v in bins.items())
        return _frame(rows, {"rw": "object", "latency_ns": "int64", "count": "int64"})


def run_raw(scenario: Scenario, seed: Optional[int] = None) -> dict:
    """One run, whatever its exit code: the fields of sim::api::Result as a dict."""
    source, is_text, name, overrides, cwd = scenario._request()
    if seed is not None:
        seed = int(seed)
        if not 0 <= seed < 2**64:
            raise ScenarioError(f"--seed: expected an integer from 0 to 18446744073709551615, got '{seed}'",
                                file="--seed", key="seed",
                                message="expected an integer from 0 to 18446744073709551615")
    return _core.run(source, is_text, name, overrides, seed, cwd)


def raise_for(raw: dict) -> None:
    """The exception of a run that ended with exit code 2 or 3."""
    if raw["exit_code"] == 2:
        info = raw.get("error_info")
        if info:
            raise ScenarioError(raw["error"], info["file"], info["line"], info["column"],
                                info["key"], info["message"], info["hint"])
        raise ScenarioError.from_text(raw["error"])
    if raw["exit_code"] >= 3:
        raise InternalError(raw["error"])


def run(scenario: Scenario | str | os.PathLike, seed: Optional[int] = None,
        out: Optional[str | os.PathLike] = None) -> Result:
    """Run a scenario once: ``nvmsim run FILE [--seed SEED] [--set ...] [--out OUT]``.

    ``scenario`` is a :class:`Scenario` (or a path to load). ``seed`` overrides the scenario's
    seed. ``out``: also write the report files there. Returns a :class:`Result` whose
    ``exit_code`` is 0 or 1 (an expectation violated, see ``violations``); bad input raises
    :class:`ScenarioError`, an internal error :class:`InternalError`. The run happens in a child
    process; the GIL is released meanwhile, and Ctrl-C (KeyboardInterrupt) kills it.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    raw = run_raw(scenario, seed)
    raise_for(raw)
    r = Result(raw)
    if out is not None:
        r.write(out)
    return r
