"""Small builders shared by the Label Studio tests."""

from __future__ import annotations

import copy
from typing import Any

from kmner.core.records import Entity, Record


def ent(text: str, surface: str, type_: str, occurrence: int = 0, **meta: Any) -> Entity:
    """An entity for the ``occurrence``-th appearance of ``surface`` in ``text``."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return Entity(type_, surface, start, start + len(surface), meta or None)


def rec(id_: Any, text: str, *entities: Entity, meta: dict | None = None) -> Record:
    return Record(id_, text, list(entities), meta)


def accept_predictions(tasks: list[dict], annotator: Any = 1, lead_time: float = 2.5
                       ) -> list[dict]:
    """What Label Studio exports after an annotator submits each prediction
    unchanged: the prediction's result copied into one annotation."""
    out = []
    for i, task in enumerate(tasks, start=1):
        t = copy.deepcopy(task)
        t["id"] = i
        t["annotations"] = [{
            "id": 100 + i, "completed_by": annotator, "was_cancelled": False,
            "result": copy.deepcopy(task["predictions"][0]["result"]),
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "lead_time": lead_time}]
        out.append(t)
    return out


def as_json_min(tasks: list[dict]) -> list[dict]:
    """The JSON_MIN form Label Studio 1.23 writes for annotated tasks."""
    out = []
    for task in tasks:
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                continue
            item = {**task["data"], "id": task["id"]}
            labels = [dict(r["value"]) for r in ann["result"]]
            if labels:
                item["label"] = labels
            item.update({"annotator": ann["completed_by"], "annotation_id": ann["id"],
                         "created_at": ann["created_at"], "updated_at": ann["updated_at"],
                         "lead_time": ann["lead_time"]})
            out.append(item)
    return out


def spans(record: Record) -> list[tuple]:
    return [(e.type, e.text, e.start, e.end) for e in record.sorted_entities()]
