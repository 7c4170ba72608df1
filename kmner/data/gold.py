"""Label Studio exports (JSON or JSON_MIN) -> checked gold records.

Nothing is dropped silently: every task ends up as a gold record, in the reject
log with a reason, or in one of the counted exclusions (skipped, unannotated, not
annotated by the chosen annotator). Every region is checked against the text.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from kmner.core.errors import InputError
from kmner.core.jsonl import RejectLog, loads_strict, read_text
from kmner.core.records import Entity, Record, entity_problems
from kmner.data.gold_policies import (ImportPolicy, annotator_of, by_annotator,
                                        has_majority, latest, majority_keys)
from kmner.data.ls_shape import check_task_shape
from kmner.data.ls_tasks import nfc_record

# Keys of a JSON_MIN item that describe the annotation, not the task data.
_MIN_ANNOTATION_KEYS = {"id", "annotator", "annotation_id", "created_at", "updated_at",
                        "lead_time", "agreement", "drafts", "predictions"}


@dataclass
class ImportSummary:
    """Counts that account for every task of an export."""

    tasks: int = 0
    gold: int = 0
    entities: int = 0
    skipped: int = 0            # every annotation was skipped/cancelled
    unannotated: int = 0        # no annotation at all
    not_by_annotator: int = 0   # policy "annotator" and this annotator did not annotate
    rejected: int = 0
    generated_ids: int = 0      # no data.kmner_id (another project's export)
    relabelled_kept: int = 0
    cancelled_annotations: int = 0
    multi_annotation_tasks: int = 0
    origins: Counter = field(default_factory=Counter)
    ignored_results: Counter = field(default_factory=Counter)
    silver_not_in_export: int = 0

    @property
    def excluded(self) -> int:
        return self.skipped + self.unannotated + self.not_by_annotator

    def check_balance(self) -> None:
        accounted = self.gold + self.excluded + self.rejected
        if accounted != self.tasks:  # a bug, not bad input
            raise AssertionError(f"{self.tasks} tasks but {accounted} accounted for")

    def to_dict(self) -> dict[str, Any]:
        return {"tasks": self.tasks, "gold": self.gold, "entities": self.entities,
                "excluded": {"skipped": self.skipped, "unannotated": self.unannotated,
                             "not_by_annotator": self.not_by_annotator},
                "rejected": self.rejected, "generated_ids": self.generated_ids,
                "relabelled_kept": self.relabelled_kept,
                "cancelled_annotations": self.cancelled_annotations,
                "multi_annotation_tasks": self.multi_annotation_tasks,
                "entity_origins": dict(sorted(self.origins.items())),
                "ignored_results": dict(sorted(self.ignored_results.items())),
                "silver_not_in_export": self.silver_not_in_export}


def load_export(path: str | Path) -> list[dict[str, Any]]:
    """Read an export file (JSON or JSON_MIN, also kmner's own task files) as
    tasks in the full JSON shape. A truncated or malformed file is an InputError
    with the line and column where parsing stopped."""
    return parse_export(read_text(path), source=str(path))


def parse_export(raw: str | bytes, *, source: str = "<export>") -> list[dict[str, Any]]:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8-sig")
    if not raw.strip():
        raise InputError("export is empty", path=source)
    try:
        data = loads_strict(raw)
    except json.JSONDecodeError as exc:
        at_end = exc.pos >= len(raw.rstrip())
        hint = " — the file ends early; is it truncated?" if at_end else ""
        raise InputError(f"not valid JSON: {exc.msg} at column {exc.colno}{hint}",
                         path=source, line=exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"not usable JSON: {exc}", path=source) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputError(f"expected a JSON list of tasks, got {type(data).__name__}",
                         path=source)
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(f"task #{i + 1} is a {type(item).__name__}, expected an object",
                             path=source)
        check_task_shape(item, i, source)
    if data and all("data" not in item for item in data):
        return _from_json_min(data)
    return data


def _is_region_list(value: Any) -> bool:
    return (isinstance(value, list) and bool(value) and all(
        isinstance(v, dict) and "start" in v and "end" in v for v in value))


def _from_json_min(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """JSON_MIN has one flat item per annotation (or per task without one) and
    omits skipped annotations; regroup it into the JSON shape."""
    tasks: dict[Any, dict[str, Any]] = {}
    for n, item in enumerate(items):
        task_key = item.get("id", f"row{n}")
        regions = {k: v for k, v in item.items() if _is_region_list(v)}
        data = {k: v for k, v in item.items()
                if k not in _MIN_ANNOTATION_KEYS and k not in regions}
        task = tasks.setdefault(task_key, {"id": item.get("id"), "data": data,
                                           "annotations": []})
        if item.get("annotation_id") is None and item.get("annotator") is None and not regions:
            continue
        result = [{"from_name": name, "to_name": "text", "type": "labels",
                   "value": dict(v)} for name, vs in regions.items() for v in vs]
        task["annotations"].append({
            "id": item.get("annotation_id"), "completed_by": item.get("annotator"),
            "created_at": item.get("created_at"), "updated_at": item.get("updated_at"),
            "lead_time": item.get("lead_time"), "was_cancelled": False, "result": result})
    return list(tasks.values())


class _TaskError(Exception):
    """A problem with one task; becomes an InputError or a reject. ``reject``
    marks problems whose policy already says to set the task aside."""

    def __init__(self, message: str, *, reject: bool = False) -> None:
        super().__init__(message)
        self.reject = reject


@dataclass
class GoldConverter:
    """Turns tasks into gold records under one policy. ``silver`` (by id) enables
    the relabelled-text check; ``types`` the unknown-label check; ``users`` maps
    Label Studio user ids to e-mails."""

    policy: ImportPolicy = field(default_factory=ImportPolicy)
    types: Sequence[str] | None = None
    silver: Mapping[Any, Record] | None = None
    users: Mapping[Any, str] | None = None
    source: str = "<export>"
    rejects: RejectLog | None = None
    summary: ImportSummary = field(default_factory=ImportSummary)

    def convert(self, tasks: Iterable[Mapping[str, Any]]) -> Iterator[Record]:
        self._policy_meta = self.policy.to_meta()
        seen: dict[Any, Any] = {}
        in_export: set = set()
        for n, task in enumerate(tasks, start=1):
            self.summary.tasks += 1
            rec_id = _task_record_id(task)
            in_export.add(rec_id)
            try:
                if rec_id is not None and rec_id in seen:
                    raise _TaskError(f"kmner_id {rec_id!r} also belongs to task "
                                     f"{seen[rec_id]}; the project holds it twice")
                record = self._convert_one(task, rec_id, n)
            except _TaskError as exc:
                self._fail(task, rec_id, str(exc), exc.reject)
                continue
            if record is None:
                continue
            seen[record.id] = task.get("id")
            self.summary.gold += 1
            self.summary.entities += len(record.entities)
            yield record
        if self.silver is not None:
            self.summary.silver_not_in_export = sum(1 for i in self.silver if i not in in_export)
        self.summary.check_balance()

    def _fail(self, task: Mapping[str, Any], rec_id: Any, reason: str, reject: bool) -> None:
        where = f"task {task.get('id')}: {reason}"
        if self.policy.on_error == "raise" and not reject:
            raise InputError(where + " (use --on-error reject to set such tasks aside)",
                             path=self.source, record_id=rec_id)
        if self.rejects is None:
            self.rejects = RejectLog()
        self.summary.rejected += 1
        self.rejects.add(source=self.source, line=None, reason=where, record_id=rec_id,
                         raw=json.dumps(task, ensure_ascii=False))

    def _convert_one(self, task: Mapping[str, Any], rec_id: Any, n: int) -> Record | None:
        data = task.get("data")
        if not isinstance(data, dict):
            raise _TaskError("has no 'data' object")
        text = data.get(self.policy.text_field)
        if not isinstance(text, str):
            raise _TaskError(f"data.{self.policy.text_field} is missing or not a string")
        generated = rec_id is None
        if generated:
            rec_id = f"ls-task-{task['id']}" if task.get("id") is not None else f"ls-row-{n}"
        self._check_relabelled(rec_id, text)

        annotations = list(task.get("annotations") or [])
        valid = [a for a in annotations if not a.get("was_cancelled")]
        self.summary.cancelled_annotations += len(annotations) - len(valid)
        if not valid:
            if annotations:
                self.summary.skipped += 1
            else:
                self.summary.unannotated += 1
            return None
        if len(valid) > 1:
            self.summary.multi_annotation_tasks += 1
        prediction_regions = _prediction_regions(task)

        if self.policy.annotations == "majority":
            entities, provenance = self._majority(valid, text, prediction_regions)
        else:
            if self.policy.annotations == "annotator":
                chosen = by_annotator(valid, str(self.policy.annotator), self.users)
                if chosen is None:
                    self.summary.not_by_annotator += 1
                    return None
            else:
                chosen = latest(valid)
            entities = self._entities(chosen, text, prediction_regions)
            provenance = self._provenance(chosen)
        draft = Record(rec_id, text, entities)
        problems = entity_problems(draft, types=self.types,
                                   allow_overlaps=self.policy.allow_overlaps)
        if problems:
            raise _TaskError("; ".join(problems))
        if generated:
            self.summary.generated_ids += 1
        for e in entities:
            self.summary.origins[e.meta["origin"]] += 1
        meta = _original_meta(data)
        meta["labelstudio"] = {"task_id": task.get("id"), "n_annotations": len(valid),
                               "generated_id": generated, **provenance,
                               "policy": dict(self._policy_meta)}
        extra = data.get("kmner_extra")
        return Record(rec_id, text, draft.sorted_entities(), meta,
                      dict(extra) if isinstance(extra, dict) and extra else None)

    def _check_relabelled(self, rec_id: Any, text: str) -> None:
        if self.silver is None or rec_id not in self.silver:
            return
        expected = nfc_record(self.silver[rec_id]).text
        if expected == text:
            return
        if self.policy.relabelled == "keep":
            self.summary.relabelled_kept += 1
            return
        first = next((i for i, (a, b) in enumerate(zip(expected, text)) if a != b),
                     min(len(expected), len(text)))
        reason = (f"text differs from the silver text for this id (first difference at "
                  f"character {first}: silver {expected[first:first + 10]!r}, Label Studio "
                  f"{text[first:first + 10]!r}); use --relabelled keep or reject")
        if self.policy.relabelled == "error":
            raise InputError(reason, path=self.source, record_id=rec_id)
        raise _TaskError(reason, reject=True)

    def _provenance(self, annotation: Mapping[str, Any]) -> dict[str, Any]:
        return {"annotation_id": annotation.get("id"),
                "annotator": annotator_of(annotation, self.users),
                "created_at": annotation.get("created_at"),
                "updated_at": annotation.get("updated_at"),
                "lead_time": annotation.get("lead_time")}

    def _entities(self, annotation: Mapping[str, Any], text: str,
                  prediction_regions: Mapping[str, tuple]) -> list[Entity]:
        out = []
        for item in annotation.get("result") or []:
            if not isinstance(item, dict):
                raise _TaskError(f"annotation {annotation.get('id')}: a result item is not an "
                                 "object")
            value = item.get("value")
            if item.get("type") != "labels" and not (isinstance(value, dict)
                                                     and "labels" in value):
                self.summary.ignored_results[str(item.get("type"))] += 1
                continue
            out.append(_region_entity(item, text, prediction_regions, annotation.get("id")))
        return out

    def _majority(self, annotations: Sequence[Mapping[str, Any]], text: str,
                  prediction_regions: Mapping[str, tuple]
                  ) -> tuple[list[Entity], dict[str, Any]]:
        per_annotation = [self._entities(a, text, prediction_regions) for a in annotations]
        votes = majority_keys([[e.key for e in ents] for ents in per_annotation])
        chosen: dict[tuple, Entity] = {}
        for ents in per_annotation:
            for e in ents:
                if e.key not in chosen and has_majority(votes[e.key], len(annotations)):
                    meta = {**e.meta, "votes": votes[e.key]}
                    chosen[e.key] = Entity(e.type, e.text, e.start, e.end, meta)
        provenance = {"annotation_ids": [a.get("id") for a in annotations],
                      "annotators": [annotator_of(a, self.users) for a in annotations],
                      "updated_at": max((str(a.get("updated_at") or a.get("created_at") or "")
                                         for a in annotations), default=None),
                      "lead_time": sum(_seconds(a.get("lead_time")) for a in annotations)}
        return list(chosen.values()), provenance


def _seconds(value: Any) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok else 0.0


def _task_record_id(task: Mapping[str, Any]) -> Any:
    data = task.get("data")
    return data.get("kmner_id") if isinstance(data, dict) else None


def _original_meta(data: Mapping[str, Any]) -> dict[str, Any]:
    raw = data.get("kmner_meta")
    if isinstance(raw, str) and raw:
        try:
            meta = loads_strict(raw)
        except (ValueError, RecursionError):
            return {"kmner_meta": raw}
        return dict(meta) if isinstance(meta, dict) else {"kmner_meta": meta}
    return {}


def _prediction_regions(task: Mapping[str, Any]) -> dict[str, tuple]:
    """Region id -> (start, end, labels) of the task's predictions, where the
    export holds them in full (kmner task files; annotation.prediction in JSON)."""
    out: dict[str, tuple] = {}
    sources = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    sources += [a["prediction"] for a in task.get("annotations") or []
                if isinstance(a.get("prediction"), dict)]
    for pred in sources:
        result = pred.get("result")
        for item in result if isinstance(result, list) else []:
            value = item.get("value") if isinstance(item, dict) else None
            labels = value.get("labels") if isinstance(value, dict) else None
            if isinstance(labels, list) and isinstance(item.get("id"), str) and item["id"]:
                out[item["id"]] = (value.get("start"), value.get("end"), tuple(labels))
    return out


def _region_entity(item: Mapping[str, Any], text: str, prediction_regions: Mapping[str, tuple],
                   annotation_id: Any) -> Entity:
    value = item.get("value")
    where = f"annotation {annotation_id}, region {item.get('id')!r}"
    if not isinstance(value, dict):
        raise _TaskError(f"{where}: has no value")
    start, end, labels = value.get("start"), value.get("end"), value.get("labels")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        raise _TaskError(f"{where}: start/end are not integers ({start!r}, {end!r})")
    if not (0 <= start < end <= len(text)):
        raise _TaskError(f"{where}: span [{start}:{end}] lies outside the text "
                         f"(length {len(text)})")
    if not isinstance(labels, list) or len(labels) != 1:
        raise _TaskError(f"{where}: needs exactly one label, has {labels!r}")
    surface = text[start:end]
    if not isinstance(value.get("text"), str):
        raise _TaskError(f"{where}: region has no text, so its offsets [{start}:{end}] cannot "
                         "be checked; export as JSON or JSON_MIN, which keep region text")
    if value["text"] != surface:
        raise _TaskError(f"{where}: region text {value['text']!r} does not match the task "
                         f"text, which has {surface!r} at [{start}:{end}]")
    origin = item.get("origin")
    rid = item.get("id")
    if not origin:
        if rid in prediction_regions:
            same = prediction_regions[rid] == (start, end, tuple(labels))
            origin = "prediction" if same else "prediction-changed"
        else:
            origin = "manual" if prediction_regions else "unknown"
    meta = {"origin": origin}
    if rid:
        meta["region_id"] = rid
    return Entity(str(labels[0]), surface, start, end, meta)


def import_export(tasks: Sequence[Mapping[str, Any]], *, policy: ImportPolicy | None = None,
                  types: Sequence[str] | None = None, silver: Iterable[Record] | None = None,
                  users: Mapping[Any, str] | None = None, source: str = "<export>",
                  rejects: RejectLog | None = None) -> tuple[list[Record], ImportSummary]:
    """Convert a whole export; returns the gold records and the counts."""
    silver_by_id = {r.id: r for r in silver} if silver is not None else None
    converter = GoldConverter(policy or ImportPolicy(), types, silver_by_id, users, source,
                              rejects)
    records = list(converter.convert(tasks))
    return records, converter.summary
