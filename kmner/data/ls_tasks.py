"""KBMC records -> Label Studio tasks with exactly one prediction each.

Text is NFC-normalised before export (Label Studio shows, and annotators select,
composed Hangul), and every span is moved onto the normalised text through an
exact offset map; a span whose edge falls inside a composing cluster is an error,
never snapped. Region ids are stable hashes of (record id, span, type), so the
same silver data always yields the same tasks.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from kmner.core.errors import InputError
from kmner.core.jsonl import atomic_write
from kmner.core.offsets import normalize
from kmner.core.records import Entity, Record

DEFAULT_MODEL_VERSION = "kmner-silver"
# Names of the labelling interface's <Labels> and <Text> tags that tasks refer to
# (kmner.labelstudio.config builds the interface with them).
FROM_NAME = "label"
TO_NAME = "text"


def nfc_record(record: Record) -> Record:
    """The record with NFC text and its spans mapped exactly onto it."""
    omap = normalize(record.text, strip_zero_width=False)
    if omap.derived == record.text:
        return record
    entities = []
    for ent in record.entities:
        span = omap.from_original(ent.start, ent.end)
        if span is None:
            raise InputError(f"entity {ent.text!r} [{ent.start}:{ent.end}] has an edge inside a "
                             "character that NFC normalisation composes; fix the span",
                             record_id=record.id)
        s, e = span
        entities.append(Entity(ent.type, omap.derived[s:e], s, e, ent.meta, ent.extra))
    return Record(record.id, omap.derived, entities, record.meta, record.extra)


def region_id(record_id: Any, ent: Entity) -> str:
    """Stable, short region id (Label Studio ids are short strings)."""
    key = f"{record_id}\x1f{ent.start}\x1f{ent.end}\x1f{ent.type}"
    return "k" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def entity_score(ent: Entity) -> float:
    """Confidence the silver stage gave this span (meta ``score``), 1.0 when none."""
    meta = ent.meta or {}
    for key in ("score", "confidence"):
        value = meta.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(min(1.0, max(0.0, value)))
    return 1.0


def region(record_id: Any, ent: Entity, from_name: str = FROM_NAME,
           to_name: str = TO_NAME) -> dict[str, Any]:
    return {
        "id": region_id(record_id, ent),
        "from_name": from_name,
        "to_name": to_name,
        "type": "labels",
        "value": {"start": ent.start, "end": ent.end, "text": ent.text, "labels": [ent.type]},
        "score": entity_score(ent),
    }


def record_to_task(record: Record, *, model_version: str = DEFAULT_MODEL_VERSION,
                   score: float | None = None, from_name: str = FROM_NAME,
                   to_name: str = TO_NAME) -> dict[str, Any]:
    """One Label Studio task. ``score`` is the task-level prediction score (the
    record's certainty); by default the lowest region score."""
    if record.id is None:
        raise InputError("record has no id; Label Studio tasks are keyed back to silver "
                         "records by id", record_id=None)
    rec = nfc_record(record)
    result = [region(rec.id, e, from_name, to_name) for e in rec.sorted_entities()]
    if score is None:
        score = min((r["score"] for r in result), default=1.0)
    data = {"text": rec.text, "kmner_id": rec.id, "kmner_meta": meta_as_text(rec.meta)}
    if rec.extra:  # fields kmner does not know travel along and come back in gold
        data["kmner_extra"] = dict(rec.extra)
    return {
        "data": data,
        "predictions": [{"model_version": model_version, "score": round(float(score), 6),
                         "result": result}],
    }


@dataclass
class ExportSummary:
    records: int = 0
    entities: int = 0


def records_to_tasks(records: Iterable[Record], *, model_version: str = DEFAULT_MODEL_VERSION,
                     scores: Mapping[Any, float] | None = None,
                     summary: ExportSummary | None = None, from_name: str = FROM_NAME,
                     to_name: str = TO_NAME) -> Iterator[dict[str, Any]]:
    """Tasks in the order given; duplicate ids are an error (they could not be
    keyed back)."""
    seen: set = set()
    for rec in records:
        if rec.id in seen:
            raise InputError("duplicate record id; ids must be unique to key gold back",
                             record_id=rec.id)
        seen.add(rec.id)
        task = record_to_task(rec, model_version=model_version,
                              score=scores.get(rec.id) if scores else None,
                              from_name=from_name, to_name=to_name)
        if summary is not None:
            summary.records += 1
            summary.entities += len(task["predictions"][0]["result"])
        yield task


def check_exportable(records: Iterable[Record]) -> None:
    """Raise the error export would meet, before anything is sent anywhere."""
    for _ in records_to_tasks(records):
        pass


def write_tasks(path: str | Path, tasks: Iterable[Mapping[str, Any]]) -> int:
    """Write tasks as one JSON array (what Label Studio's importer reads), one
    task per line so large files stay diffable; atomic."""
    n = 0
    with atomic_write(path) as fh:
        fh.write("[")
        for task in tasks:
            fh.write(",\n" if n else "\n")
            fh.write(json.dumps(task, ensure_ascii=False, allow_nan=False))
            n += 1
        fh.write("\n]\n")
    return n


def meta_as_text(meta: object) -> str:
    """Record meta as the one-line string tasks carry in ``data.kmner_meta``."""
    return json.dumps(meta, ensure_ascii=False, sort_keys=True) if meta else ""
