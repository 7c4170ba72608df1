"""How certain each silver record is, so annotators see the doubtful ones first.

A record is as certain as its least certain span. A span loses certainty when
- the silver stage gave it a low ``score`` (gazetteer confidence in entity meta);
- its surface form is ambiguous between types (meta ``ambiguous`` true or a list
  of types, as kmner's gazetteer writes it, or a ``types``/``candidates`` list
  naming more than one type): certainty is divided by the number of candidate
  types;
and a whole record loses certainty when a model's predictions for it disagree
with the gazetteer's: certainty is capped at their strict-match F1 agreement.
This is uncertainty sampling, the simplest form of active learning.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from kmner.core.records import Entity, Record
from kmner.data.ls_tasks import entity_score


def candidate_types(ent: Entity) -> int:
    """How many types the silver stage considered for this span (at least 1)."""
    meta = ent.meta or {}
    n = 1
    for key in ("ambiguous", "types", "candidates", "candidate_types"):
        value = meta.get(key)
        if isinstance(value, (list, tuple)):
            names = {v.get("type") if isinstance(v, Mapping) else v for v in value}
            n = max(n, len({x for x in names if x}))
    if meta.get("ambiguous") is True:
        n = max(n, 2)
    return n


def span_certainty(ent: Entity) -> float:
    return entity_score(ent) / candidate_types(ent)


def agreement(a: Iterable[Entity], b: Iterable[Entity]) -> float:
    """Strict-match F1 between two span sets; 1.0 when both are empty."""
    ka, kb = {e.key for e in a}, {e.key for e in b}
    if not ka and not kb:
        return 1.0
    return 2 * len(ka & kb) / (len(ka) + len(kb))


def record_certainty(record: Record, model: Record | None = None) -> float:
    certainty = min((span_certainty(e) for e in record.entities), default=1.0)
    if model is not None:
        certainty = min(certainty, agreement(record.entities, model.entities))
    return certainty


def certainties(records: Sequence[Record],
                model: Iterable[Record] | None = None) -> dict[Any, float]:
    """Certainty per record id. Model records are matched by id; ids the model
    lacks are scored on the gazetteer alone."""
    by_id = {r.id: r for r in model} if model is not None else {}
    return {r.id: record_certainty(r, by_id.get(r.id)) for r in records}


def order_by_uncertainty(records: Sequence[Record],
                         scores: Mapping[Any, float]) -> list[Record]:
    """Least certain first; ties keep input order (sorted is stable)."""
    return sorted(records, key=lambda r: scores[r.id])
