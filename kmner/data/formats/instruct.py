"""Instruction-tuning JSONL (alpaca or chat, see kmner.data.instruct) as a format:
writing exports, reading parses the reference answers back into spans."""

from __future__ import annotations

import os
from typing import Iterable, Iterator, Mapping, Sequence

from kmner.core.errors import InputError
from kmner.core.jsonl import write_json_lines
from kmner.core.records import Record
from kmner.data.formats.gliner2 import DEFAULT_DESCRIPTIONS
from kmner.data.instruct import default_types, parse_answer, to_instruct
from kmner.data.report import Report
from kmner.data.textio import default_id, iter_json_lines


def read_instruct(path: str | os.PathLike, *, report: Report | None = None,
                  encoding: str = "utf-8") -> Iterator[Record]:
    report = report or Report()
    src = str(path)
    for index, lineno, line, obj in iter_json_lines(path, report, encoding):
        where = dict(path=src, line=lineno)
        rec_id = obj.get("id", default_id(path, index)) if isinstance(obj, dict) else None
        text, answer = _text_and_answer(obj)
        if text is None or answer is None:
            report.fail(InputError('expected alpaca {"input", "output"} or chat {"messages"} '
                                   "ending with user and assistant turns", **where,
                                   record_id=rec_id), raw=line)
            continue
        parsed = parse_answer(text, answer)
        problems = []
        if parsed.invalid_json:
            problems.append(f"output is not a JSON object of mentions: {parsed.invalid_json}")
        problems += [f"{t} mention {m!r} does not occur in the input"
                     for t, m in parsed.unlocatable]
        if problems:
            report.fail(InputError("; ".join(problems), **where, record_id=rec_id), raw=line)
            continue
        for t, m, k, f in parsed.ambiguous:
            report.warn("ambiguous-mention", f"{t} mention {m!r} is listed {k} time(s) but "
                        f"occurs {f} times; all taken", **where, record_id=rec_id)
        yield Record(rec_id, text, parsed.entities)


def _text_and_answer(obj) -> tuple[str | None, str | None]:
    if not isinstance(obj, dict):
        return None, None
    if isinstance(obj.get("input"), str) and isinstance(obj.get("output"), str):
        return obj["input"], obj["output"]
    msgs = obj.get("messages")
    if isinstance(msgs, list) and len(msgs) >= 2 and all(isinstance(m, dict) for m in msgs[-2:]) \
            and msgs[-2].get("role") == "user" and msgs[-1].get("role") == "assistant":
        return str(msgs[-2].get("content", "")), str(msgs[-1].get("content", ""))
    return None, None


def write_instruct(path: str | os.PathLike, records: Iterable[Record], *,
                   report: Report | None = None, style: str = "alpaca",
                   types: Sequence[str] | None = None,
                   descriptions: Mapping[str, str] | None = None,
                   examples: Sequence[Record] = ()) -> int:
    """Export records; types default to those in the data (KBMC types first)."""
    report = report or Report()
    records = list(records)
    types = list(types) if types else default_types(records)
    descs = dict(DEFAULT_DESCRIPTIONS if descriptions is None else descriptions)
    left_out = sum(1 for r in records for e in r.entities if e.type not in types)
    if left_out:
        report.warn("type-left-out", f"{left_out} entities of types not asked for are not in "
                    "the answers", path=str(path))
    return write_json_lines(path, (to_instruct(r, types=types, descriptions=descs,
                                               style=style, examples=examples)
                                   for r in records))
