"""Streaming JSONL with file:line errors, gzip, atomic writes and reject files.

Every reader that can meet bad lines either raises an InputError naming the file,
line and record, or (``on_error="reject"``) hands each bad line to a RejectLog so
that input count == output count + rejected count always holds.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, TextIO

import orjson

from kmner.core.errors import InputError
from kmner.core.parts import iter_part_lines
from kmner.core.records import Record, check_unicode, entity_problems
# the line readers live in textfiles.py; readers across kmner import them from here
from kmner.core.textfiles import BadLine, iter_lines, open_text, read_text

# The line readers live in textfiles.py and are re-exported here, where readers
# across kmner import them from.
__all__ = ["BadLine", "OnError", "RejectLog", "atomic_write", "dumps", "iter_lines",
           "load_records", "loads_strict", "open_text", "parse_record", "read_records",
           "read_text", "reject_item", "write_json", "write_json_lines", "write_records"]

OnError = Literal["raise", "reject"]


def reject_item(*, source: str, line: int | None, reason: str, record_id: Any = None,
                raw: str | None = None) -> dict[str, Any]:
    """One line of a reject file; ``raw`` input is cut to 2,000 characters."""
    item = {"source": source, "line": line, "id": record_id, "reason": reason}
    if raw is not None:
        item["raw"] = raw if len(raw) <= 2000 else raw[:2000] + "…"
    return item


@dataclass
class RejectLog:
    """Collects (and optionally writes) the records that could not be used."""

    path: Path | None = None
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, *, source: str, line: int | None, reason: str, record_id: Any = None,
            raw: str | None = None) -> None:
        self.items.append(reject_item(source=source, line=line, reason=reason,
                                      record_id=record_id, raw=raw))

    def __len__(self) -> int:
        return len(self.items)

    def write(self) -> None:
        if self.path is not None:
            write_json_lines(self.path, self.items)


def _not_finite(token: str) -> Any:
    raise ValueError(f"{token} is not a finite number (NaN and Infinity are not JSON); "
                     "write a finite number or null")


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        _not_finite(token)
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_strings(obj: Any) -> None:
    if isinstance(obj, str):
        check_unicode(obj, "a string")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _check_strings(k)
            _check_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            _check_strings(v)


def loads_strict(text: str) -> Any:
    """json.loads that refuses what is not strict JSON: NaN, Infinity and numbers
    too large for a float, and strings with lone surrogates ("\\ud800"). Raises
    ValueError (json.JSONDecodeError for malformed JSON)."""
    obj = json.loads(text, parse_constant=_not_finite, parse_float=_finite_float)
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(obj)
    return obj


def parse_record(line: str, *, src: str, lineno: int | None, validate: bool = True,
                 types: Iterable[str] | None = None, allow_overlaps: bool = False,
                 allow_duplicates: bool = False) -> Record:
    """One JSONL line as a checked Record, or InputError naming file, line and id."""
    try:
        obj = loads_strict(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg} at column {exc.colno}",
                         path=src, line=lineno) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(str(exc) if isinstance(exc, ValueError) else "nested too deeply",
                         path=src, line=lineno) from None
    rec_id = obj.get("id") if isinstance(obj, dict) else None
    rec_id = rec_id if isinstance(rec_id, (str, int)) else None
    try:
        rec = Record.from_dict(obj)
    except ValueError as exc:
        raise InputError(str(exc), path=src, line=lineno, record_id=rec_id) from None
    if validate:
        problems = entity_problems(rec, types=types, allow_overlaps=allow_overlaps,
                                   allow_duplicates=allow_duplicates)
        if problems:
            raise InputError("; ".join(problems), path=src, line=lineno, record_id=rec_id)
    return rec


def read_records(path: str | os.PathLike, *, on_error: OnError = "raise",
                 rejects: RejectLog | None = None, validate: bool = True,
                 types: Iterable[str] | None = None, allow_overlaps: bool = False,
                 allow_duplicates: bool = False) -> Iterator[Record]:
    """Stream KBMC-style records from JSONL, or from a folder of part files with a
    kmner manifest (``--engine spark`` output). Blank lines are skipped when raising
    and rejected (so counted) with ``on_error="reject"``, which hands every bad
    line (undecodable ones included) to ``rejects`` instead of raising."""
    if on_error == "reject" and rejects is None:
        raise ValueError("on_error='reject' needs a RejectLog")

    def bad(src: str, lineno: int, err: InputError, raw: str) -> None:
        assert rejects is not None
        rejects.add(source=src, line=lineno, reason=err.reason, record_id=err.record_id,
                    raw=raw)

    rejecting = on_error == "reject"
    if Path(path).is_dir():
        lines = iter_part_lines(path, on_bad=bad if rejecting else None)
    else:
        src = str(path)
        lines = ((src, n, line) for n, line in iter_lines(
            path, on_bad=partial(bad, src) if rejecting else None))
    for src, lineno, line in lines:
        if not line.strip():
            if on_error == "reject":
                bad(src, lineno, InputError("blank line (no record)"), line)
            continue
        try:
            rec = parse_record(line, src=src, lineno=lineno, validate=validate, types=types,
                               allow_overlaps=allow_overlaps, allow_duplicates=allow_duplicates)
        except InputError as err:
            if on_error == "raise":
                raise InputError(f"{err.reason}; fix or remove this line", path=err.path,
                                 line=err.line, record_id=err.record_id) from None
            bad(src, lineno, err, line)
            continue
        yield rec


def load_records(path: str | os.PathLike, **kwargs: Any) -> list[Record]:
    return list(read_records(path, **kwargs))


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w") -> Iterator[TextIO]:
    """Write to a temporary file beside ``path`` and rename it into place only when
    the block succeeds, so readers never see half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if "b" in mode:
            fh = os.fdopen(fd, mode)
        else:
            fh = os.fdopen(fd, mode, encoding="utf-8", newline="\n")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600 files; give the result the permissions a plain
        # open() would have had under the user's umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def dumps(obj: Any) -> str:
    """One compact strict-JSON line (orjson writes NaN as null). orjson, because
    silver output is one call per sentence and the standard encoder was a fifth of
    the pipeline's own CPU time; the standard library takes what orjson refuses
    (non-string keys, huge integers)."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def write_json_lines(path: str | os.PathLike, objs: Iterable[dict[str, Any]]) -> int:
    n = 0
    with atomic_write(path) as fh:
        for obj in objs:
            fh.write(dumps(obj))
            fh.write("\n")
            n += 1
    return n


def write_records(path: str | os.PathLike, records: Iterable[Record]) -> int:
    """Atomically write records as JSONL; returns how many were written."""
    return write_json_lines(path, (r.to_dict() for r in records))


def write_json(path: str | os.PathLike, obj: Any) -> None:
    with atomic_write(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2, allow_nan=False)
        fh.write("\n")
