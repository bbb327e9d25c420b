"""nvmsim.sweep on Dask: a LocalCluster of processes, and a dask-scheduler with two dask-worker
processes started here on 127.0.0.1."""
import os
import socket
import subprocess
import sys
import time

import pytest

import nvmsim

distributed = pytest.importorskip("distributed")

RESET = "scenarios/failover/ctrl-reset.yaml"
GRID = {"hosts.0.nvme.kato": ["5s", "10s"], "hosts.0.kernel": ["6.1", "6.12"]}


def expected():
    s = nvmsim.load(RESET).set("duration", "3s")
    return s, nvmsim.sweep(s, grid=GRID, seeds=[1, 2], jobs=2)


def check_same(df, local):
    assert len(df) == 8
    assert df.drop(columns=[]).equals(local), (df, local)


def test_sweep_on_a_local_cluster():
    s, local = expected()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        seen = []
        df = nvmsim.sweep(s, grid=GRID, seeds=[1, 2], client=client, progress=True,
                          on_row=lambda r: seen.append(r["run"]))
        workers = client.run(os.getpid)
        # A scenario made from text travels with the task (no file on the workers' side).
        text = nvmsim.loads(open(RESET).read(), name="from-text.yaml").set("duration", "3s")
        from_text = nvmsim.sweep(text, grid={"hosts.0.kernel": ["6.1", "6.12"]}, client=client)
    check_same(df, local)
    assert from_text["exit_code"].tolist() == [0, 0]
    assert from_text["max_io_stall_ns"].tolist() == \
        local[(local.seed == 1) & (local["hosts.0.nvme.kato"] == "5s")]["max_io_stall_ns"].tolist()
    assert sorted(seen) == list(range(8))
    assert len(set(workers.values())) == 2 and os.getpid() not in workers.values()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sweep_on_a_scheduler_and_two_workers(tmp_path):
    s, local = expected()
    port = free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                               "127.0.0.1", "--port", str(port), "--no-dashboard"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "scheduler.log", "w"))]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", addr, "--nthreads", "1",
                 "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard",
                 "--local-directory", str(tmp_path / f"w{i}")], env=env,
                stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"worker{i}.log", "w")))
        with distributed.Client(addr, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            df = nvmsim.sweep(s, grid=GRID, seeds=[1, 2], client=client)
            hosts = client.run(os.getpid)
        check_same(df, local)
        assert len(hosts) == 2
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
