"""Streaming JSONL with file:line errors, gzip, atomic writes and reject files.

Every reader that can meet bad lines either raises an InputError naming the file,
line and record, or (``on_error="reject"``) hands each bad line to a RejectLog so
that input count == output count + rejected count always holds.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, TextIO

import orjson

from kmner.core.errors import InputError
from kmner.core.records import Record, entity_problems

OnError = Literal["raise", "reject"]


def _check_file(p: Path) -> bool:
    """Raise for a missing path, a directory or a binary file; return whether gzip."""
    if not p.exists():
        raise InputError("file not found", path=str(p))
    if p.is_dir():
        raise InputError("is a directory, expected a file", path=str(p))
    with open(p, "rb") as fh:
        head = fh.read(4096)
    gzipped = head[:2] == b"\x1f\x8b"
    if not gzipped and b"\x00" in head:
        raise InputError("looks like a binary file (NUL bytes), expected UTF-8 text",
                         path=str(p))
    return gzipped


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def iter_lines(path: str | os.PathLike, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Yield (line number, line without its line ending) from a text or gzip file.

    Each line is decoded on its own so that a decoding error names its exact line
    (and says so when the line is valid cp949/EUC-KR); a UTF-8 BOM is dropped."""
    p = Path(path)
    gzipped = _check_file(p)
    utf8 = encoding.lower().replace("_", "-") in {"utf-8", "utf8", "utf-8-sig"}
    codec = "UTF-8" if utf8 else encoding
    try:
        with (gzip.open(p, "rb") if gzipped else open(p, "rb")) as fh:
            for lineno, raw in enumerate(fh, start=1):
                if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if b"\x00" in raw:
                    raise InputError("contains NUL bytes; is this a binary file?",
                                     path=str(p), line=lineno)
                try:
                    line = raw.decode(codec)
                except UnicodeDecodeError as exc:
                    hint = ""
                    if utf8 and _decodes(raw, "cp949"):
                        hint = ("; this line is valid cp949 (EUC-KR): read the file with "
                                "--encoding cp949 where the command offers it, or convert it "
                                "with iconv -f cp949 -t utf-8")
                    raise InputError(f"not valid {codec} ({exc.reason} at byte {exc.start} "
                                     f"of the line){hint}", path=str(p), line=lineno) from None
                yield lineno, line.rstrip("\r\n")
    except (gzip.BadGzipFile, EOFError) as exc:
        raise InputError(f"broken gzip stream: {exc}", path=str(p)) from None


def open_text(path: str | os.PathLike) -> TextIO:
    """A UTF-8 (optionally gzip) text handle for readers such as ``csv`` that need a
    file object; a BOM is dropped. Prefer iter_lines where exact error lines matter."""
    p = Path(path)
    gzipped = _check_file(p)
    raw = gzip.open(p, "rb") if gzipped else open(p, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")


def read_text(path: str | os.PathLike) -> str:
    """A whole UTF-8 (optionally gzip) file as one string, BOM dropped; decoding
    errors name the line where they occur."""
    p = Path(path)
    gzipped = _check_file(p)
    with (gzip.open(p, "rb") if gzipped else open(p, "rb")) as fh:
        raw = fh.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not valid UTF-8 ({exc.reason}); is it cp949/EUC-KR? convert it "
                         "with iconv -f cp949 -t utf-8", path=str(p), line=line) from None


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


def parse_record_line(line: str, *, src: str, lineno: int | None, validate: bool = True,
                      types: Iterable[str] | None = None,
                      allow_overlaps: bool = False) -> Record:
    """One JSONL line as a Record, or an InputError naming file, line and record id."""
    rec_id = None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg} at column {exc.colno}",
                         path=src, line=lineno) from None
    if isinstance(obj, dict):
        rec_id = obj.get("id")
    try:
        rec = Record.from_dict(obj)
    except ValueError as exc:
        raise InputError(str(exc), path=src, line=lineno, record_id=rec_id) from None
    if validate:
        problems = entity_problems(rec, types=types, allow_overlaps=allow_overlaps)
        if problems:
            raise InputError("; ".join(problems), path=src, line=lineno, record_id=rec_id)
    return rec


def read_records(path: str | os.PathLike, *, on_error: OnError = "raise",
                 rejects: RejectLog | None = None, validate: bool = True,
                 types: Iterable[str] | None = None,
                 allow_overlaps: bool = False) -> Iterator[Record]:
    """Stream KBMC-style records from JSONL, or from a folder of part files with a
    kmner manifest (``--engine spark`` output). Blank lines are skipped (and are not
    records). With ``on_error="reject"`` bad lines go to ``rejects`` instead."""
    if on_error == "reject" and rejects is None:
        raise ValueError("on_error='reject' needs a RejectLog")
    if Path(path).is_dir():
        from kmner.core.parts import iter_part_lines

        lines = iter_part_lines(path)
    else:
        lines = ((str(path), lineno, line) for lineno, line in iter_lines(path))
    for src, lineno, line in lines:
        if not line.strip():
            continue
        try:
            rec = parse_record_line(line, src=src, lineno=lineno, validate=validate,
                                    types=types, allow_overlaps=allow_overlaps)
        except InputError as err:
            if on_error == "raise":
                raise
            assert rejects is not None
            rejects.add(source=src, line=lineno, reason=err.reason,
                        record_id=err.record_id, raw=line)
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
    """One compact JSON line. orjson, because silver output is one call per sentence
    and the standard encoder was a fifth of the pipeline's own CPU time; the
    standard library takes what orjson refuses (non-string keys, huge integers)."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


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
        json.dump(obj, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
