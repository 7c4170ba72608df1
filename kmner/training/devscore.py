"""Dev scoring for model selection during training: strict F1 from
:mod:`kmner.evaluation`, optionally at the grid threshold with the best F1."""

from __future__ import annotations

from kmner.core.records import Record
from kmner.evaluation.scoring import score_records
from kmner.training.config import TrainConfig

THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))


def score_dev(gold: list[Record], pred: list[Record]) -> dict[str, float]:
    s = score_records(gold, pred)
    return {"eval_f1": s.micro.f1, "eval_precision": s.micro.precision,
            "eval_recall": s.micro.recall}


def score_at_best_threshold(gold: list[Record], pred: list[Record]) -> dict[str, float]:
    """Dev scores at the grid threshold with the best F1 (predictions made at the
    lowest grid value carry their confidence in ``meta.score``)."""
    best: dict[str, float] | None = None
    for thr in THRESHOLD_GRID:
        kept = [r.copy_with([e for e in r.entities if (e.meta or {}).get("score", 1.0) >= thr])
                for r in pred]
        m = score_dev(gold, kept)
        if best is None or m["eval_f1"] > best["eval_f1"]:
            best = dict(m, eval_threshold=thr)
    return best or {}


def dev_descriptions(cfg: TrainConfig) -> dict[str, str]:
    """The types dev is asked about (``dev_types``, else every described type)."""
    if not cfg.dev_types:
        return dict(cfg.descriptions)
    return {t: cfg.descriptions[t] for t in cfg.dev_types}
