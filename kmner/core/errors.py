"""The error contract of every kmner command, in one place.

* A user error (bad input, bad config, a path that cannot be used, a full disk)
  is a KmnerError or an OSError. The CLI prints it as one line,
  ``error: WHERE: what went wrong; what to do``, and exits 1.
* A usage error (unknown option, a value of the wrong kind or out of range) is
  Click's: a short usage message and exit code 2.
* Anything else is a bug in kmner: one line saying so and naming the file the
  full traceback was written to, exit code 3.

``--debug`` (anywhere on the command line) or ``KMNER_DEBUG=1`` also prints the
traceback of every error.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
import traceback
from pathlib import Path

EXIT_USER = 1
EXIT_USAGE = 2
EXIT_BUG = 3


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


class OutputError(KmnerError):
    """An output path that cannot be written without losing data."""


# What to do about the usual filesystem errors, by errno.
_OS_ADVICE = {
    errno.ENOSPC: "free some disk space (or write elsewhere) and run again",
    errno.EDQUOT: "free some disk quota (or write elsewhere) and run again",
    errno.EISDIR: "give a file path, not a folder",
    errno.ENOTDIR: "a parent of this path is a file, not a folder; choose another path",
    errno.ENOENT: "check that the path exists",
    errno.EACCES: "check the permissions, or choose another path",
    errno.EPERM: "check the permissions, or choose another path",
    errno.EROFS: "the file system is read-only; write elsewhere",
    errno.EEXIST: "remove it or choose another path",
    errno.ENAMETOOLONG: "use a shorter file name",
    errno.EMFILE: "too many open files; raise `ulimit -n`",
    errno.EIO: "the disk reported an I/O error; check it",
}


def os_error_line(exc: OSError) -> str:
    """``WHERE: what went wrong; what to do`` for a filesystem error."""
    where = exc.filename if exc.filename is not None else type(exc).__name__
    what = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    advice = _OS_ADVICE.get(exc.errno or 0, "check the path and run again")
    return f"{where}: {what.rstrip('.').lower()}; {advice}"


def write_bug_report(exc: BaseException, argv: list[str] | None = None) -> Path | None:
    """Write the full traceback of an unexpected exception to a file; its path,
    or None if even that failed."""
    folder = Path(os.environ.get("KMNER_CRASH_DIR") or tempfile.gettempdir())
    name = f"kmner-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    text = "".join(traceback.format_exception(exc))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(f"argv: {argv!r}\n\n{text}", encoding="utf-8",
                        errors="backslashreplace")
        return path
    except OSError:
        return None


def debug_requested(argv: list[str]) -> tuple[bool, list[str]]:
    """Whether ``--debug`` is on the command line (before any ``--``) or
    KMNER_DEBUG is set; the arguments without ``--debug``."""
    env = os.environ.get("KMNER_DEBUG", "").strip().lower() not in {"", "0", "false", "no"}
    cut = argv.index("--") if "--" in argv else len(argv)
    head = [a for a in argv[:cut] if a != "--debug"]
    return env or len(head) < cut, head + argv[cut:]


def finite(value: float | None) -> float | None:
    """Typer callback for float options: nan and inf are usage errors (exit 2)."""
    import math

    if value is not None and not math.isfinite(value):
        import typer

        raise typer.BadParameter(f"{value!r} is not a finite number")
    return value
