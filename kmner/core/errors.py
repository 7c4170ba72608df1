"""User-facing errors. The CLI prints these as one line and exits non-zero;
anything else is a bug and keeps its traceback."""

from __future__ import annotations


class KmnerError(Exception):
    """An error caused by the user's input or environment, with a clear message."""


class InputError(KmnerError):
    """Bad input data, located by file, line and record id where known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 record_id: object = None) -> None:
        self.path = path
        self.line = line
        self.record_id = record_id
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
        if self.record_id is not None:
            where += f" (record {self.record_id!r})" if where else f"record {self.record_id!r}"
        return f"{where}: {self.reason}" if where else self.reason


class ConfigError(KmnerError):
    """A configuration file or option that cannot be used as given."""
