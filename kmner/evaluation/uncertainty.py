"""Scores with their uncertainty: the one path every stage that reports P/R/F1
takes (kmner evaluate, compare, silver eval, ls diff, training experiments).

``with_intervals`` attaches sentence-bootstrap intervals to Scores, all at one
confidence level, and ``score_with_ci`` scores records first. The intervals are
those of bootstrap.py: one seeded draw of resampled sentence sets per call, so
per-type intervals equal ``bootstrap_ci(..., type_=t)`` with the same seed.
tables.py prints the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from kmner.core.labelmap import LabelMap
from kmner.core.records import Record
from kmner.evaluation.bootstrap import Interval, bootstrap_ci, ci_label, per_type_cis
from kmner.evaluation.scoring import Scores, score_records

METRICS = ("precision", "recall", "f1")


@dataclass(frozen=True)
class Resampling:
    """How every interval is drawn: resamples, seed and confidence level."""

    n_resamples: int = 1000
    seed: int = 0
    confidence: float = 0.95

    @property
    def label(self) -> str:
        """The header of every table and report, e.g. "95% CI" for 0.95."""
        return ci_label(self.confidence)


@dataclass
class ScoredWithCI:
    """Scores plus intervals: ``micro[metric]`` and ``per_type[type][metric]``."""

    scores: Scores
    micro: dict[str, Interval]
    per_type: dict[str, dict[str, Interval]]
    resampling: Resampling

    @property
    def label(self) -> str:
        return self.resampling.label

    def type_intervals(self, metric: str = "f1") -> dict[str, Interval]:
        """One metric's interval per type."""
        return {t: ivs[metric] for t, ivs in self.per_type.items()}

    def micro_dicts(self) -> dict[str, dict[str, Any]]:
        return {m: iv.to_dict() for m, iv in self.micro.items()}


def with_intervals(scores: Scores, resampling: Resampling | None = None, *,
                   metrics: Sequence[str] = METRICS, type_metrics: Sequence[str] = ("f1",),
                   types: Iterable[str] | None = None) -> ScoredWithCI:
    """Bootstrap intervals of ``metrics`` (micro) and of ``type_metrics`` for each
    type (default: the types scored; pass ``types`` to cover others too)."""
    rs = resampling or Resampling()
    kw = {"n_resamples": rs.n_resamples, "seed": rs.seed, "confidence": rs.confidence}
    micro = {m: bootstrap_ci(scores.per_sentence, metric=m, **kw) for m in metrics}
    types = sorted(scores.per_type) if types is None else list(types)
    by_metric = {m: per_type_cis(scores.per_sentence, types, metric=m, **kw)
                 for m in type_metrics}
    per_type = {t: {m: by_metric[m][t] for m in type_metrics} for t in types}
    return ScoredWithCI(scores, micro, per_type, rs)


def score_with_ci(gold: Iterable[Record], pred: Iterable[Record],
                  resampling: Resampling | None = None, *, label_map: LabelMap | None = None,
                  mode: str = "strict", metrics: Sequence[str] = METRICS,
                  type_metrics: Sequence[str] = ("f1",)) -> ScoredWithCI:
    """Score ``pred`` against ``gold`` (paired by id) and attach intervals."""
    scores = score_records(gold, pred, label_map=label_map, mode=mode)
    return with_intervals(scores, resampling, metrics=metrics, type_metrics=type_metrics)
