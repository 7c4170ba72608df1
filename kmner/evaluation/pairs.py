"""Checked input of an evaluation: gold and predictions validated, label-mapped
and paired by id, and the fingerprint that proves two reports used one test set."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, Sequence

from kmner.core.errors import InputError
from kmner.core.labelmap import LabelMap
from kmner.core.records import Record, entity_problems
from kmner.evaluation.scoring import align_records


def gold_fingerprint(pairs: Sequence[tuple[Record, Record]]) -> str:
    """Hash of the ids, texts and (mapped) gold spans, so two reports can prove
    they were scored against the same test set."""
    h = hashlib.sha256()
    for g, _ in sorted(pairs, key=lambda gp: str(gp[0].id)):
        spans = sorted(e.key for e in g.entities)
        h.update(json.dumps([str(g.id), g.text, spans], ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def as_label_map(spec: Any) -> LabelMap:
    """A LabelMap as is, anything else through LabelMap.parse."""
    return spec if isinstance(spec, LabelMap) else LabelMap.parse(spec)


def check_entities(records: Sequence[Record], name: str) -> None:
    """Every entity must match its text; the error names the file and record."""
    for rec in records:
        problems = entity_problems(rec, allow_overlaps=True)
        if problems:
            raise InputError("; ".join(problems), path=name, record_id=rec.id)


def prepare_pairs(gold: Sequence[Record], pred: Sequence[Record], *,
                  label_map: LabelMap | None = None, allow_new_types: bool = False,
                  gold_name: str = "gold", pred_name: str = "pred"
                  ) -> tuple[list[tuple[Record, Record]], dict[str, int], dict[str, int]]:
    """Validate, label-map and align gold and predictions. Every problem is an
    InputError naming the side and the record. Returns the pairs, the label map
    tally and the count of predictions per type that never occurs in gold.

    Predicted types absent from gold are an error unless a label map was given
    (the user has thought about types) or ``allow_new_types``; either way they
    are counted as false positives and reported."""
    gold, pred = list(gold), list(pred)
    if not gold:
        raise InputError("no gold records (empty file?)", path=gold_name)
    if not pred:
        raise InputError("no prediction records (empty file?)", path=pred_name)
    check_entities(gold, gold_name)
    check_entities(pred, pred_name)
    counts: Counter = Counter()
    if label_map:
        gold = label_map.apply(gold, counts)
        pred = label_map.apply(pred, counts)
    gold_types = {e.type for r in gold for e in r.entities}
    new_types = Counter(e.type for r in pred for e in r.entities if e.type not in gold_types)
    if new_types and not (allow_new_types or label_map):
        first = sorted(new_types)[0]
        raise InputError(
            f"predicted type(s) {sorted(new_types)} never occur in gold (gold types: "
            f"{sorted(gold_types)}); map them with --label-map (e.g. "
            f"'{first}=Disease' or '{first}=' to drop) or pass "
            "--allow-new-types to count them as false positives", path=pred_name)
    pairs = align_records(gold, pred, gold_name=gold_name, pred_name=pred_name)
    return pairs, dict(counts), dict(sorted(new_types.items()))
