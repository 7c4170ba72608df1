"""Confidence thresholds: the PR curve of scored predictions, and a threshold
chosen on a dev set.

The API keeps choice and use apart so a test set cannot leak into the choice:
``choose_threshold(dev_gold, dev_pred)`` picks the best-F1 threshold, and
``apply_threshold(test_pred, choice)`` applies it. Curves on the test set are
descriptive only; nothing here picks a threshold from them.

A prediction's confidence is its ``meta["score"]`` or ``meta["confidence"]``
(or the same key at the entity's top level). Predictions without one are kept
at every threshold and counted, never silently dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from kmner.core.errors import InputError
from kmner.core.records import Entity, Record
from kmner.evaluation.scoring import PRF, align_records

CONFIDENCE_KEYS = ("score", "confidence")


def entity_confidence(entity: Entity) -> float | None:
    for source in (entity.meta, entity.extra):
        if not source:
            continue
        for key in CONFIDENCE_KEYS:
            value = source.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if not math.isfinite(value):
                    raise InputError(f"entity {entity.text!r} [{entity.start}:{entity.end}] "
                                     f"has a non-finite confidence {value!r}; give a number "
                                     "between 0 and 1")
                return float(value)
    return None


def has_confidences(records: Sequence[Record]) -> bool:
    return any(entity_confidence(e) is not None for r in records for e in r.entities)


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    precision: float
    recall: float
    f1: float
    n_predicted: int

    def to_dict(self) -> dict:
        return {"threshold": self.threshold, "precision": self.precision,
                "recall": self.recall, "f1": self.f1, "n_predicted": self.n_predicted}


@dataclass(frozen=True)
class PRCurve:
    """Strict-match precision/recall at every distinct confidence, highest first.
    ``n_unscored`` predictions carry no confidence and are always kept."""

    points: list[CurvePoint]
    n_gold: int
    n_unscored: int

    def best(self) -> CurvePoint | None:
        # Ties go to the highest threshold (fewest predictions).
        return max(self.points, key=lambda p: (round(p.f1, 12), p.threshold), default=None)

    def to_dict(self) -> dict:
        return {"n_gold": self.n_gold, "n_unscored": self.n_unscored,
                "points": [p.to_dict() for p in self.points]}


def _rank_key(e: Entity) -> float:
    # Unscored predictions rank first: they are kept at every threshold.
    c = entity_confidence(e)
    return -c if c is not None else float("-inf")


def pr_curve(gold: Sequence[Record], pred: Sequence[Record]) -> PRCurve:
    """Exact strict-match PR curve. Under strict matching each prediction is a
    hit or not regardless of the threshold (of duplicate predictions of one span,
    the most confident is the hit), so cumulative counts give the whole curve."""
    scored: list[tuple[float, bool]] = []
    n_gold = 0
    always_tp = always_fp = 0
    for g, p in align_records(gold, pred):
        remaining = Counter(e.key for e in g.entities)
        n_gold += len(g.entities)
        ranked = sorted(p.entities, key=_rank_key)
        for e in ranked:
            hit = remaining[e.key] > 0
            if hit:
                remaining[e.key] -= 1
            conf = entity_confidence(e)
            if conf is None:
                always_tp += hit
                always_fp += not hit
            else:
                scored.append((conf, hit))
    scored.sort(key=lambda x: -x[0])
    points = []
    tp, fp = always_tp, always_fp
    i = 0
    while i < len(scored):
        t = scored[i][0]
        while i < len(scored) and scored[i][0] == t:
            tp += scored[i][1]
            fp += not scored[i][1]
            i += 1
        prf = PRF(tp, fp, n_gold - tp)
        points.append(CurvePoint(t, prf.precision, prf.recall, prf.f1, tp + fp))
    return PRCurve(points, n_gold, always_tp + always_fp)


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold picked on a dev set. Keep predictions with confidence >= it."""

    threshold: float
    dev_f1: float
    dev_precision: float
    dev_recall: float
    chosen_on: str = "dev"
    curve: PRCurve | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        return {"threshold": self.threshold, "chosen_on": self.chosen_on,
                "dev": {"f1": self.dev_f1, "precision": self.dev_precision,
                        "recall": self.dev_recall}}


def choose_threshold(dev_gold: Sequence[Record], dev_pred: Sequence[Record]
                     ) -> ThresholdChoice:
    """Best strict-F1 threshold on a DEV set (never pass the test set here)."""
    curve = pr_curve(dev_gold, dev_pred)
    best = curve.best()
    if best is None:
        raise InputError("cannot choose a threshold: the dev predictions carry no "
                         f"confidences (entity meta {' or '.join(CONFIDENCE_KEYS)!s})")
    return ThresholdChoice(best.threshold, best.f1, best.precision, best.recall,
                           curve=curve)


def apply_threshold(pred: Sequence[Record], threshold: float | ThresholdChoice
                    ) -> list[Record]:
    """Drop predictions whose confidence is below ``threshold``; predictions
    without a confidence are kept."""
    t = threshold.threshold if isinstance(threshold, ThresholdChoice) else float(threshold)
    out = []
    for r in pred:
        keep = [e for e in r.entities
                if (c := entity_confidence(e)) is None or c >= t]
        out.append(r.copy_with(keep))
    return out
