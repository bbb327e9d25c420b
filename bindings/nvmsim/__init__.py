"""nvmsim: the NVMe multipath simulator from Python (docs/python.md).

    import nvmsim
    s = nvmsim.load("scenarios/basic-2path.yaml")
    s.set("hosts.0.iopolicy", "queue-depth")        # exactly `nvmsim run --set`
    r = nvmsim.run(s, seed=7)                         # exactly `nvmsim run --seed 7`
    r.paths()                                         # pandas DataFrames
    df = nvmsim.sweep(s, grid={"hosts.0.nvme.kato": ["5s", "10s"]}, seeds=range(1, 4))

Every run happens in a child process of a small fork server started at import (SimGrid allows
one engine per process); the GIL is released while it simulates and Ctrl-C ends it.
"""
from __future__ import annotations

from . import _core
from ._errors import InternalError, ScenarioError
from ._scenario import Scenario, from_dict, load, loads
from ._result import Result, run
from ._sweep import sweep
from ._explore import explore

__version__ = _core.version
__all__ = ["Scenario", "Result", "ScenarioError", "InternalError", "load", "loads", "from_dict",
           "run", "sweep", "explore", "__version__"]
