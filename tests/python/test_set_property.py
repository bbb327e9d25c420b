"""Scenario.set against `nvmsim validate --set` for values drawn by Hypothesis: the same
accepted values (what to_dict() shows) and the same refusals, message for message."""
import pytest

import nvmsim

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

BASIC = "scenarios/basic-2path.yaml"
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)


@SETTINGS
@given(st.integers(min_value=-5, max_value=70000))
def test_iodepth_like_the_cli(cli, v):
    arg = f"workloads.0.iodepth={v}"
    p = cli("validate", BASIC, "--set", arg)
    if 1 <= v <= 65536:
        assert p.returncode == 0
        d = nvmsim.load(BASIC).set("workloads.0.iodepth", v).to_dict()
        assert d["workloads"][0]["iodepth"] == v
    else:
        assert p.returncode == 2
        with pytest.raises(nvmsim.ScenarioError) as ei:
            nvmsim.load(BASIC).set("workloads.0.iodepth", v)
        assert str(ei.value) == p.stderr.strip()
        assert ei.value.file == "--set" and ei.value.column == len("workloads.0.iodepth=") + 1


@SETTINGS
@given(st.integers(min_value=0, max_value=100_000), st.sampled_from(["ms", "s", "us"]))
def test_kato_like_the_cli(cli, n, unit):
    text = f"{n}{unit}"
    p = cli("validate", BASIC, "--set", f"hosts.0.nvme.kato={text}")
    if p.returncode == 0:
        s = nvmsim.load(BASIC).set("hosts.0.nvme.kato", text)
        assert s.to_yaml() == p.stdout
    else:
        with pytest.raises(nvmsim.ScenarioError) as ei:
            nvmsim.load(BASIC).set("hosts.0.nvme.kato", text)
        assert str(ei.value) == p.stderr.strip()
