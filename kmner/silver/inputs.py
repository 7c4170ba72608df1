"""Input units for the silver pipeline, in input order.

A unit is one input record: a line of a ``.txt`` file (a document, later split
into sentences) or one record of a ``.jsonl`` file (kept whole, id and text
unchanged). Lines that cannot be used become ``Rejected`` units in the same
stream, so the output and the reject file stay in input order and every unit is
accounted for exactly once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from kmner.core.errors import InputError
from kmner.core.jsonl import RejectLog, iter_lines, read_records, reject_item
from kmner.core.records import Record


@dataclass(slots=True)
class DocUnit:
    """A .txt line: a document to split into sentences."""

    source: str
    line: int
    id_prefix: str
    text: str
    prep: Any = None  # matcher.Prepared (normalisation, hits), filled in by the processor


@dataclass(slots=True)
class RecordUnit:
    """A .jsonl record: matched whole; entities replaced, everything else kept."""

    source: str
    record: Record
    prep: Any = None  # matcher.Prepared, filled in by the processor


@dataclass(slots=True)
class Rejected:
    source: str
    line: int | None
    record_id: object
    reason: str
    raw: str | None = None

    def to_dict(self) -> dict:
        return reject_item(source=self.source, line=self.line, reason=self.reason,
                           record_id=self.record_id, raw=self.raw)


Unit = DocUnit | RecordUnit | Rejected


def input_kind(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if name.endswith(".txt") or "." not in name:
        return "txt"
    raise InputError("unknown input type; expected .txt (a document per line) or .jsonl "
                     "(records with a text field), optionally gzipped", path=str(path))


class _QueueRejects(RejectLog):
    """A RejectLog that turns each rejected line into a unit of the stream."""

    def __init__(self, queue: deque) -> None:
        super().__init__()
        self.queue = queue

    def add(self, *, source, line, reason, record_id=None, raw=None) -> None:  # noqa: D401
        self.queue.append(Rejected(source, line, record_id, reason, raw))


def iter_units(paths: list[Path]) -> Iterator[Unit]:
    """Every unit of every input, in order."""
    stems: dict[str, int] = {}
    for path in paths:
        kind = input_kind(path)
        stem = path.name.split(".")[0]
        stems[stem] = stems.get(stem, 0) + 1
        prefix = stem if stems[stem] == 1 else f"{stem}{stems[stem]}"
        if kind == "txt":
            yield from _txt_units(path, prefix)
        else:
            yield from _jsonl_units(path, prefix)


def _txt_units(path: Path, prefix: str) -> Iterator[Unit]:
    bad: deque = deque()
    lines = iter_lines(path, on_bad=lambda lineno, err, raw: bad.append(
        Rejected(str(path), lineno, None, err.reason, raw)))
    for lineno, line in lines:
        while bad:  # undecodable lines before this one, in order
            yield bad.popleft()
        if not line.strip():
            yield Rejected(str(path), lineno, None, "empty line (no text)")
        else:
            yield DocUnit(str(path), lineno, f"{prefix}-{lineno}", line)
    while bad:
        yield bad.popleft()


def _jsonl_units(path: Path, prefix: str) -> Iterator[Unit]:
    queue: deque = deque()
    rejects = _QueueRejects(queue)
    n = 0
    # Overlaps are fine (the entities get replaced) but spans must match the text:
    # a mismatch means text and id no longer belong together.
    for rec in read_records(path, on_error="reject", rejects=rejects, allow_overlaps=True,
                            allow_duplicates=True):
        while queue:
            yield queue.popleft()
        n += 1
        if rec.id is None:
            rec.id = f"{prefix}-{n}"
        if not rec.text.strip():
            yield Rejected(str(path), None, rec.id, "empty text")
        else:
            yield RecordUnit(str(path), rec)
    while queue:
        yield queue.popleft()
