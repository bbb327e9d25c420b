"""The exceptions of nvmsim: bad input (what the CLI reports with exit 2) and internal errors (exit 3)."""
from __future__ import annotations

import re

__all__ = ["ScenarioError", "InternalError"]

# InputError::format(): "file:line:column: error: message (key: a.b.c)\n  hint: ..."
_FORMAT = re.compile(
    r"^(?P<file>.*?)(?::(?P<line>\d+):(?P<column>\d+))?: error: (?P<message>.*?)"
    r"(?: \(key: (?P<key>[^()\n]*)\))?(?:\n  hint: (?P<hint>.*))?$",
    re.S,
)


class ScenarioError(ValueError):
    """A scenario that cannot be read or makes no sense: what ``nvmsim run`` reports with exit 2.

    ``str(e)`` is the CLI's message, word for word (``file:line:column: error: ... (key: ...)``
    and, on its own line, ``  hint: ...``). The parts: ``file`` (``--set`` for an override),
    ``line`` and ``column`` (1-based; 0 when unknown), ``key`` (``hosts.0.nvme.kato``; may be
    empty), ``message`` and ``hint`` (may be empty).
    """

    def __init__(self, text: str, file: str = "", line: int = 0, column: int = 0,
                 key: str = "", message: str = "", hint: str = ""):
        super().__init__(text)
        self.text = text
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message or text
        self.hint = hint

    @classmethod
    def from_text(cls, text: str) -> "ScenarioError":
        """The error of a formatted message (a run that ended with exit code 2)."""
        m = _FORMAT.match(text)
        if not m:
            return cls(text, message=text)
        return cls(text, m["file"], int(m["line"] or 0), int(m["column"] or 0), m["key"] or "",
                   m["message"], m["hint"] or "")

    def __reduce__(self):  # picklable, for Dask
        return (type(self), (self.text, self.file, self.line, self.column, self.key,
                             self.message, self.hint))


class InternalError(RuntimeError):
    """The simulator failed (exit code 3 of the CLI): a bug, or the run's process died."""
