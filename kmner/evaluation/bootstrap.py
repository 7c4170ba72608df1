"""Sentence-level bootstrap confidence intervals for entity scores.

Sentences, not entities, are resampled because entities in one sentence are not
independent. Counts per sentence are precomputed by scoring, so a resample is a
sum of integer arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from kmner.evaluation.counts import PRF

Metric = str  # "f1" | "precision" | "recall"


def ci_label(confidence: float) -> str:
    """How report headers name an interval: "95% CI" for 0.95."""
    return f"{confidence * 100:g}% CI"


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float
    confidence: float
    n_resamples: int
    seed: int

    def to_dict(self) -> dict:
        return {"value": self.value, "low": self.low, "high": self.high,
                "confidence": self.confidence, "n_resamples": self.n_resamples,
                "seed": self.seed}

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def sentence_counts(per_sentence: Sequence[dict[str, PRF]], type_: str | None = None
                    ) -> np.ndarray:
    """(n_sentences, 3) array of tp, fp, fn, for one type or all types (float,
    because the partial match mode gives half credit)."""
    arr = np.zeros((len(per_sentence), 3), dtype=float)
    for i, sent in enumerate(per_sentence):
        for t, c in sent.items():
            if type_ is None or t == type_:
                arr[i] += (c.tp, c.fp, c.fn)
    return arr


def metric_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, metric: Metric
                       ) -> np.ndarray:
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        if metric == "precision":
            return p
        if metric == "recall":
            return r
        if metric == "f1":
            return np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    raise ValueError(f"unknown metric {metric!r}; use f1, precision or recall")


def resampled_totals(counts: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Column sums of ``counts`` (n_sentences, m) over ``n_resamples`` bootstrap
    resamples of its rows: (n_resamples, m). Resample r draws the same rows for
    every column, so types resampled together share their sentence sets."""
    return draw_totals(counts, n_resamples, np.random.default_rng(seed))


def draw_totals(counts: np.ndarray, n_resamples: int, rng: np.random.Generator
                ) -> np.ndarray:
    """resampled_totals drawing from an existing generator."""
    n = len(counts)
    idx = rng.integers(0, n, size=(n_resamples, n))
    # How often each sentence is drawn in each resample, then one matrix product:
    # far cheaper than gathering an (R, n, m) array.
    offsets = (np.arange(n_resamples) * n)[:, None]
    weights = np.bincount((idx + offsets).ravel(), minlength=n_resamples * n)
    return weights.reshape(n_resamples, n).astype(float) @ counts


def _interval(value: float, totals: np.ndarray, metric: Metric, confidence: float,
              n_resamples: int, seed: int) -> Interval:
    vals = metric_from_counts(totals[:, 0], totals[:, 1], totals[:, 2], metric)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(vals, [alpha, 1 - alpha])
    return Interval(value, float(low), float(high), confidence, n_resamples, seed)


def bootstrap_ci(per_sentence: Sequence[dict[str, PRF]], *, metric: Metric = "f1",
                 type_: str | None = None, n_resamples: int = 1000, seed: int = 0,
                 confidence: float = 0.95) -> Interval:
    """Percentile bootstrap CI of a micro metric over sentences (seeded, reproducible)."""
    counts = sentence_counts(per_sentence, type_)
    value = float(metric_from_counts(*counts.sum(axis=0), metric))
    if len(counts) == 0:
        return Interval(value, 0.0, 0.0, confidence, 0, seed)
    totals = resampled_totals(counts, n_resamples, seed)
    return _interval(value, totals, metric, confidence, n_resamples, seed)


def per_type_cis(per_sentence: Sequence[dict[str, PRF]], types: Iterable[str] | None = None,
                 *, metric: Metric = "f1", n_resamples: int = 1000, seed: int = 0,
                 confidence: float = 0.95) -> dict[str, Interval]:
    """One bootstrap interval per type, all from one draw of resampled sentence
    sets (identical to calling bootstrap_ci per type with the same seed)."""
    if types is None:
        types = sorted({t for sent in per_sentence for t in sent})
    types = list(types)
    if not per_sentence or not types:
        return {t: bootstrap_ci(per_sentence, metric=metric, type_=t, n_resamples=n_resamples,
                                seed=seed, confidence=confidence) for t in types}
    counts = np.concatenate([sentence_counts(per_sentence, t) for t in types], axis=1)
    totals = resampled_totals(counts, n_resamples, seed)
    out = {}
    for k, t in enumerate(types):
        own = counts[:, 3 * k:3 * k + 3].sum(axis=0)
        out[t] = _interval(float(metric_from_counts(*own, metric)),
                           totals[:, 3 * k:3 * k + 3], metric, confidence, n_resamples, seed)
    return out
