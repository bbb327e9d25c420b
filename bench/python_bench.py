#!/usr/bin/python3
"""Benchmark of the Python module (docs/python.md, "Performance"); run from the repository root:

    PYTHONPATH=build/release/bindings /usr/bin/python3 bench/python_bench.py [--runs 200] [--json out.json]

1. Sweep throughput: RUNS runs of scenarios/failover/ctrl-reset.yaml with 10 s simulated (seeds
   1..RUNS), one after the other in this process (nvmsim.run in a loop) and as
   nvmsim.sweep(..., jobs=2), in ROUNDS interleaved slices: the ratio of runs per wall-second
   (goal >= 1.7 on 2 cores; an idle machine is needed, the load average is reported).
2. Per-run overhead of the Python path over the CLI on scenarios/basic-2path.yaml: the median
   wall time of nvmsim.run(s) (including reading the result into a Result) against the median of
   `nvmsim run scenarios/basic-2path.yaml --quiet` as a process, interleaved (goal <= 10 %).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import nvmsim

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def sweep_ratio(runs: int, jobs: int, rounds: int) -> dict:
    """The runs in `rounds` slices, each done both ways back to back (loop, then sweep), so that a
    change of load on a shared machine hits both alike; the ratio is total over total, and the
    median of the slices' ratios is given beside it."""
    s = nvmsim.load("scenarios/failover/ctrl-reset.yaml").set("duration", "10s")
    seeds = list(range(1, runs + 1))
    slices = [seeds[i::rounds] for i in range(rounds)]
    t_seq = t_sweep = 0.0
    per_round = []
    for sl in slices:
        t0 = time.monotonic()
        seq = [nvmsim.run(s, seed=i).exit_code for i in sl]
        a = time.monotonic() - t0
        t0 = time.monotonic()
        df = nvmsim.sweep(s, seeds=sl, jobs=jobs, progress=False)
        b = time.monotonic() - t0
        assert df["exit_code"].tolist() == seq, "the sweep and the loop disagree"
        t_seq, t_sweep = t_seq + a, t_sweep + b
        per_round.append(round(a / b, 3))
    return {"runs": runs, "jobs": jobs, "rounds": rounds, "sequential_s": round(t_seq, 3),
            "sweep_s": round(t_sweep, 3), "sequential_runs_per_s": round(runs / t_seq, 2),
            "sweep_runs_per_s": round(runs / t_sweep, 2), "ratio": round(t_seq / t_sweep, 3),
            "ratio_per_round": per_round, "ratio_median_of_rounds": statistics.median(per_round),
            "goal": 1.7}


def overhead(reps: int, cli: str) -> dict:
    s = nvmsim.load("scenarios/basic-2path.yaml")
    nvmsim.run(s)  # warm: page cache, the fork server's first fork
    py, sh = [], []
    for _ in range(reps):
        t0 = time.monotonic()
        subprocess.run([cli, "run", "scenarios/basic-2path.yaml", "--quiet"], check=True)
        sh.append(time.monotonic() - t0)
        t0 = time.monotonic()
        nvmsim.run(s)
        py.append(time.monotonic() - t0)
    m_py, m_cli = statistics.median(py), statistics.median(sh)
    return {"reps": reps, "cli_median_s": round(m_cli, 4), "python_median_s": round(m_py, 4),
            "overhead": round(m_py / m_cli - 1, 4), "goal": 0.10}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5, help="slices of the runs, each done both ways")
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "release", "tools", "nvmsim"))
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()
    os.chdir(ROOT)
    out = {"loadavg_at_start": os.getloadavg(), "sweep": sweep_ratio(a.runs, a.jobs, a.rounds), "overhead": overhead(a.reps, a.cli),
           "cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()}
    print(json.dumps(out, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
    ok = out["sweep"]["ratio"] >= 1.7 and out["overhead"]["overhead"] <= 0.10
    print("goals met" if ok else "goal missed", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
