"""Shared fixtures of the Python tests (ctest label `python`; tests/CMakeLists.txt sets
PYTHONPATH to the build tree's bindings/ and NVMSIM_CLI to the nvmsim binary)."""
import json
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(autouse=True)
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def cli():
    exe = os.environ.get("NVMSIM_CLI", os.path.join(ROOT, "build", "release", "tools", "nvmsim"))
    assert os.access(exe, os.X_OK), f"no nvmsim binary at {exe} (set NVMSIM_CLI)"

    def run(*args, check=None):
        p = subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True)
        if check is not None:
            assert p.returncode == check, p.stderr
        return p

    return run


def without_wall(text: str) -> str:
    """results.json text with nvmsim.wall removed (the only part that differs between runs)."""
    j = json.loads(text)

    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if "wall" not in k}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o

    return json.dumps(strip(j), indent=2)
