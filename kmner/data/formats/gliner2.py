"""GLiNER2 training JSONL: ``{"input": text, "output": {"entities": {type: [mentions]},
"entity_descriptions": {type: description}}}``.

A mention is a string, located in the text (see kmner.data.mentions), or a
``{"text", "start", "end"}`` object pinned to offsets, which GLiNER2 2.1 accepts too.
The writer's ``mentions`` choice:

* ``auto`` (default): plain strings, pinned objects only where a string would be
  located somewhere else (a mention that also occurs unannotated in the text);
* ``strings``: plain strings only, for older GLiNER2; mentions a reader would
  place differently are reported;
* ``spans``: pinned objects everywhere.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Iterator, Literal, Mapping, Sequence

from kmner.core.errors import InputError
from kmner.core.jsonl import write_json_lines
from kmner.core.records import KBMC_DESCRIPTIONS, Entity, Record
from kmner.data.mentions import Ambiguous, Located, locate_mentions
from kmner.data.report import Report
from kmner.data.textio import default_id, iter_json_lines

MentionForm = Literal["auto", "strings", "spans"]

DEFAULT_DESCRIPTIONS = KBMC_DESCRIPTIONS


def split_mentions(entities: Mapping[str, Any]) -> tuple[list[tuple[str, str]],
                                                       list[tuple[str, str, int, int]]]:
    """``{type: [mention]}`` -> (string mentions, pinned mentions); raises ValueError
    on shapes that are not mentions."""
    strings, pinned = [], []
    for type_, mentions in entities.items():
        if isinstance(mentions, (str, Mapping)):
            mentions = [mentions]
        if not isinstance(mentions, list):
            raise ValueError(f"mentions of {type_!r} must be a list, got "
                             f"{type(mentions).__name__}")
        for m in mentions:
            if isinstance(m, str):
                strings.append((str(type_), m))
            elif isinstance(m, Mapping) and {"text", "start", "end"} <= m.keys():
                pinned.append((str(type_), str(m["text"]), m["start"], m["end"]))
            else:
                raise ValueError(f"mention {m!r} of {type_!r} is neither a string nor "
                                 "{text, start, end}")
    return strings, pinned


def located_problems(found: Located) -> list[str]:
    """Problems that make a record unusable (ambiguity is only a warning)."""
    problems = list(found.bad_offsets)
    problems += [f"{t} mention {m!r} does not occur in the text" for t, m in found.unlocatable]
    return problems


def read_gliner2(path: str | os.PathLike, *, report: Report | None = None,
                 ambiguous: Ambiguous = "all", encoding: str = "utf-8") -> Iterator[Record]:
    report = report or Report()
    src = str(path)
    for index, lineno, line, obj in iter_json_lines(path, report, encoding):
        rec_id = default_id(path, index)
        where = dict(path=src, line=lineno)
        if not isinstance(obj, dict) or not isinstance(obj.get("input"), str) \
                or not isinstance(obj.get("output", {}), dict):
            report.fail(InputError('expected {"input": text, "output": {"entities": ...}}',
                                   **where), raw=line)
            continue
        rec_id = obj.get("id", rec_id)
        text = obj["input"]
        try:
            strings, pinned = split_mentions(obj.get("output", {}).get("entities") or {})
        except ValueError as exc:
            report.fail(InputError(str(exc), **where, record_id=rec_id), raw=line)
            continue
        found = locate_mentions(text, strings, pinned, ambiguous=ambiguous)
        problems = located_problems(found)
        if ambiguous == "error":
            problems += [f"{t} mention {m!r} is listed {k} time(s) but occurs {f} times"
                         for t, m, k, f in found.ambiguous]
        if problems:
            report.fail(InputError("; ".join(problems), **where, record_id=rec_id), raw=line)
            continue
        for t, m, k, f in found.ambiguous:
            report.warn("ambiguous-mention", f"{t} mention {m!r} is listed {k} time(s) but "
                        f"occurs {f} times; {'all' if ambiguous == 'all' else 'the first'} "
                        "taken", **where, record_id=rec_id)
        yield Record(rec_id, text, found.entities)


def _entities_output(rec: Record, types: Sequence[str], form: MentionForm,
                     report: Report, src: str) -> dict[str, list[Any]]:
    pin: set[tuple[str, str]] = set()
    if form == "spans":
        pin = {(e.type, e.text) for e in rec.entities}
    for _ in range(len(rec.entities) + 1):
        out = _mentions(rec.entities, types, pin)
        strings, pinned = split_mentions(out)
        back = locate_mentions(rec.text, strings, pinned)
        wrong = {(e.type, e.text) for e in set(back.entities) ^ set(rec.entities)}
        if not wrong or form == "strings":
            break
        pin |= wrong
    if form == "strings" and wrong:
        for t, m in sorted(wrong):
            report.warn("mention-not-carried", f"{t} mention {m!r} would be located at other "
                        "offsets when read back from plain strings", path=src,
                        record_id=rec.id)
    return out


def _mentions(entities: Iterable[Entity], types: Sequence[str],
              pin: set[tuple[str, str]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {t: [] for t in types}
    for e in sorted(entities, key=lambda e: (e.start, e.end, e.type)):
        value: Any = e.text
        if (e.type, e.text) in pin:
            value = {"text": e.text, "start": e.start, "end": e.end}
        out.setdefault(e.type, []).append(value)
    return out


def write_gliner2(path: str | os.PathLike, records: Iterable[Record], *,
                  report: Report | None = None, types: Sequence[str] | None = None,
                  descriptions: Mapping[str, str] | None = None,
                  mentions: MentionForm = "auto") -> int:
    """Every type in ``types`` (default: all types in the data, in order of first
    appearance) is listed in every line, empty when absent, so the model learns
    negatives; descriptions default to DEFAULT_DESCRIPTIONS."""
    report = report or Report()
    records = list(records)
    if types is None:
        types = list(dict.fromkeys(e.type for r in records for e in r.sorted_entities()))
    descs = dict(DEFAULT_DESCRIPTIONS if descriptions is None else descriptions)
    src = str(path)

    def lines() -> Iterator[dict[str, Any]]:
        for rec in records:
            ents = _entities_output(rec, types, mentions, report, src)
            output: dict[str, Any] = {"entities": ents}
            used = {t: descs[t] for t in ents if t in descs}
            if used:
                output["entity_descriptions"] = used
            yield {"id": rec.id, "input": rec.text, "output": output}

    return write_json_lines(path, lines())


