"""Scenario: a scenario file (or text) plus the --set overrides applied to it."""
from __future__ import annotations

import datetime
import json
import math
import os
import re
from typing import Any, Iterable, Optional

import yaml

from . import _core

__all__ = ["Scenario", "load", "loads", "from_dict", "yaml_value"]


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1 (``off`` is false there); nvmsim's loader reads YAML 1.2, where only
    true/false are booleans: ``fast_io_fail_tmo: off`` stays the string ``"off"``."""


_Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def yaml_value(value: Any) -> str:
    """The text of a --set value for a Python value: a str as it is (YAML, as on the command line:
    ``"15s"``, ``"[0, 1]"``), True/False as true/false, None as null, numbers as numbers,
    timedeltas in nanoseconds (``"1500000ns"``), lists and dicts as YAML flow collections."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"nvmsim: {value!r} is not a value a scenario can hold")
        return repr(value)
    if isinstance(value, datetime.timedelta):  # pandas.Timedelta too (its .value is in ns)
        ns = getattr(value, "value", None)
        if not isinstance(ns, int):
            ns = (value.days * 86400 + value.seconds) * 10**9 + value.microseconds * 1000
        return f"{int(ns)}ns"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=yaml_value)
    raise TypeError(f"nvmsim: cannot use a {type(value).__name__} as a scenario value")


class Scenario:
    """A scenario: a YAML file (or text) and the ``--set`` overrides applied to it, in order.

    Made by :func:`load`, :func:`loads` or :func:`from_dict`; checked (as ``nvmsim validate``
    checks) every time it is made or changed, so a bad value raises :class:`ScenarioError` at once.
    ``to_yaml()`` is what ``nvmsim validate`` prints.
    """

    def __init__(self, source: str, *, is_text: bool, name: str,
                 overrides: Iterable[str] = (), cwd: Optional[str] = None):
        self._source = source
        self._is_text = is_text
        self._name = name
        self._cwd = cwd if cwd is not None else os.getcwd()
        self._overrides: list[str] = []
        self._apply(list(overrides))

    # -- what it is --------------------------------------------------------------------------
    @property
    def path(self) -> Optional[str]:
        """The file as given to :func:`load` (None for text and dicts)."""
        return None if self._is_text else self._source

    @property
    def overrides(self) -> list[str]:
        """The ``key.path=value`` overrides, in the order applied (``--set``)."""
        return list(self._overrides)

    @property
    def name(self) -> str:
        """The scenario's ``name:``."""
        return self._info["name"]

    @property
    def seed(self) -> int:
        """The scenario's seed (after the overrides)."""
        return self._info["seed"]

    @property
    def warnings(self) -> list[str]:
        """What ``nvmsim run``/``validate`` warn about (device names that depend on timing)."""
        return list(self._info["warnings"])

    # -- changing it -------------------------------------------------------------------------
    def set(self, path: str, value: Any) -> "Scenario":
        """Override one value, exactly like ``nvmsim run --set path=value``: same paths, same
        checks, same errors (``--set:1:COLUMN``). ``value`` is YAML text (``"15s"``, ``"6.1"``)
        or a Python value (see :func:`nvmsim._scenario.yaml_value`). Changes this scenario and
        returns it; on error it is left as it was."""
        self._apply(self._overrides + [f"{path}={yaml_value(value)}"])
        return self

    def copy(self) -> "Scenario":
        """An independent copy (same source, same overrides)."""
        c = Scenario.__new__(Scenario)
        c.__dict__.update(self.__dict__)
        c._overrides = list(self._overrides)
        return c

    # -- reading it --------------------------------------------------------------------------
    def to_yaml(self) -> str:
        """The fully defaulted scenario as YAML: what ``nvmsim validate`` prints."""
        return self._info["yaml"]

    def to_dict(self) -> dict:
        """The fully defaulted scenario as a dict (``to_yaml()`` read as YAML 1.2)."""
        return yaml.load(self.to_yaml(), Loader=_Yaml12Loader)

    def check_runnable(self) -> None:
        """The checks ``nvmsim run`` makes before it simulates (this build's features too)."""
        _core.check_runnable(self._load_source(), self._is_text, self._name, self._overrides)

    def __repr__(self) -> str:
        src = f"text {self._name!r}" if self._is_text else repr(self._source)
        sets = "".join(f" --set {o}" for o in self._overrides)
        return f"<nvmsim.Scenario {self.name!r} from {src}{sets}>"

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items()}

    # -- internals ---------------------------------------------------------------------------
    def _load_source(self) -> str:
        if (not self._is_text and not os.path.isabs(self._source)
                and os.getcwd() != self._cwd):
            return os.path.join(self._cwd, self._source)
        return self._source

    def _apply(self, overrides: list[str]) -> None:
        self._info = _core.load(self._load_source(), self._is_text, self._name, overrides)
        self._overrides = overrides

    def _request(self) -> tuple:
        """What a run needs to rebuild this scenario: (source, is_text, name, overrides, cwd)."""
        return (self._source, self._is_text, self._name, list(self._overrides), self._cwd)


def load(path: str | os.PathLike, overrides: Iterable[str] = ()) -> Scenario:
    """Read a scenario file (and its includes), as ``nvmsim run PATH`` does. ``overrides`` are
    ``key.path=value`` strings, as ``--set`` takes them. Raises :class:`ScenarioError`."""
    return Scenario(os.fspath(path), is_text=False, name=os.fspath(path), overrides=overrides)


def loads(text: str, name: str = "<string>", overrides: Iterable[str] = ()) -> Scenario:
    """Read a scenario from YAML text; ``name`` stands for the file in errors."""
    return Scenario(text, is_text=True, name=name, overrides=overrides)


def from_dict(d: dict, name: str = "<dict>", overrides: Iterable[str] = ()) -> Scenario:
    """A scenario from a dict of the YAML format (``Scenario.to_dict()`` gives one back)."""
    text = yaml.safe_dump(d, sort_keys=False, default_flow_style=False)
    return loads(text, name=name, overrides=overrides)
