"""Is a before/after difference real? Paired tests over the sentences of one test
set, and a plain rule for when a test set is too small to say anything.

Both systems are scored on the same sentences, so the tests resample or swap
whole sentences, keeping each sentence's pair of outcomes together:

- approximate randomisation (the p-value we report): for each sentence, swap
  the two systems' counts with probability 1/2 and see how often the absolute
  difference is at least the observed one;
- paired bootstrap: resample sentences with replacement; the percentile
  interval of the resampled differences is the CI of the difference, and the
  share of resampled differences at least |observed| away from the observed
  one is a second (two-sided, shifted) p-value.

Identical systems give p = 1 under both by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from kmner.core.errors import InputError
from kmner.evaluation.bootstrap import (Interval, Metric, ci_label, draw_totals,
                                        metric_from_counts, sentence_counts)
from kmner.evaluation.counts import PRF

# A test set below either size, or whose F1 interval is wider than
# MAX_CI_WIDTH, cannot support a claim; reports say so prominently.
MIN_SENTENCES = 30
MIN_GOLD_ENTITIES = 30
MAX_CI_WIDTH = 0.20
ALPHA = 0.05


@dataclass(frozen=True)
class PairedTest:
    """Difference ``b - a`` of a micro metric with its CI and p-values."""

    metric: str
    type_: str | None
    value_a: float
    value_b: float
    delta: float
    low: float
    high: float
    p_value: float
    p_bootstrap: float
    n_sentences: int
    n_resamples: int
    seed: int
    confidence: float = 0.95

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    def verdict(self) -> str:
        if self.n_sentences < MIN_SENTENCES:
            return "test set too small to tell"
        if not self.significant:
            return "no significant difference"
        return "better" if self.delta > 0 else "worse"

    def to_dict(self) -> dict:
        return {"metric": self.metric, "type": self.type_, "a": self.value_a,
                "b": self.value_b, "delta": self.delta,
                "delta_ci": {"low": self.low, "high": self.high,
                             "confidence": self.confidence},
                "p_value": self.p_value, "p_value_method": "approximate randomization",
                "p_bootstrap": self.p_bootstrap, "significant": self.significant,
                "alpha": ALPHA, "verdict": self.verdict(), "n_sentences": self.n_sentences,
                "n_resamples": self.n_resamples, "seed": self.seed}


def paired_arrays(a_per_sentence: Sequence[dict[str, PRF]], a_ids: Sequence,
                  b_per_sentence: Sequence[dict[str, PRF]], b_ids: Sequence,
                  type_: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) count arrays of both systems in the same sentence order. The two
    must cover exactly the same sentence ids."""
    if len(set(a_ids)) != len(a_ids) or len(a_ids) != len(a_per_sentence):
        raise InputError("system A's sentence ids are missing or repeated")
    if set(a_ids) != set(b_ids) or len(b_ids) != len(b_per_sentence):
        only_a = [i for i in a_ids if i not in set(b_ids)][:3]
        only_b = [i for i in b_ids if i not in set(a_ids)][:3]
        raise InputError("the two systems were not scored on the same sentences "
                         f"(only in A: {only_a!r}, only in B: {only_b!r})")
    order = {sid: i for i, sid in enumerate(b_ids)}
    a = sentence_counts(a_per_sentence, type_)
    b = sentence_counts(b_per_sentence, type_)[[order[sid] for sid in a_ids]]
    return a, b


def _metric(counts: np.ndarray, metric: Metric) -> np.ndarray:
    return metric_from_counts(counts[..., 0], counts[..., 1], counts[..., 2], metric)


# Rows of random draws generated at a time, so memory stays flat on big test sets.
_CHUNK_CELLS = 2_000_000


def _chunks(n_resamples: int, n: int):
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, n_resamples, step):
        yield min(step, n_resamples - start)


def _permuted_shifts(diff: np.ndarray, n_resamples: int, rng: np.random.Generator
                     ) -> np.ndarray:
    """For each permutation, the summed ``b - a`` of the sentences it swaps."""
    n = len(diff)
    parts = [(rng.random((c, n)) < 0.5).astype(float) @ diff for c in _chunks(n_resamples, n)]
    return np.concatenate(parts)


def _bootstrap_totals(counts: np.ndarray, n_resamples: int, rng: np.random.Generator
                      ) -> np.ndarray:
    """Column sums of ``counts`` over bootstrap resamples of its rows."""
    chunks = _chunks(n_resamples, len(counts))
    return np.concatenate([draw_totals(counts, c, rng) for c in chunks])


def paired_tests(a: np.ndarray, b: np.ndarray, specs: Sequence[tuple[str, str | None, int]],
                 *, n_resamples: int = 10000, seed: int = 0, confidence: float = 0.95
                 ) -> list[PairedTest]:
    """Several paired tests from one set of draws. ``a`` and ``b`` are
    (n_sentences, 3k) counts (tp, fp, fn for each of k blocks, e.g. types);
    each spec is (metric, type label, block index). Every test sees the same
    permutations and resamples, so a figure does not depend on which others
    were computed beside it."""
    n = len(a)
    tol = 1e-12  # differences equal up to rounding count as "as extreme"
    rng = np.random.default_rng(seed)
    diff = b - a
    if n:
        shifts = _permuted_shifts(diff, n_resamples, rng)
        boot = _bootstrap_totals(np.concatenate([a, b], axis=1), n_resamples, rng)
    width = a.shape[1]
    out = []
    alpha = (1 - confidence) / 2
    for metric, type_, k in specs:
        cols = slice(3 * k, 3 * k + 3)
        tot_a, tot_b = a[:, cols].sum(axis=0), b[:, cols].sum(axis=0)
        value_a, value_b = float(_metric(tot_a, metric)), float(_metric(tot_b, metric))
        delta = value_b - value_a
        if n == 0:
            out.append(PairedTest(metric, type_, value_a, value_b, delta, 0.0, 0.0, 1.0, 1.0,
                                  0, 0, seed, confidence))
            continue
        perm_delta = (_metric(tot_b - shifts[:, cols], metric)
                      - _metric(tot_a + shifts[:, cols], metric))
        extreme = int(np.sum(np.abs(perm_delta) >= abs(delta) - tol))
        p_value = (extreme + 1) / (n_resamples + 1)
        boot_delta = (_metric(boot[:, width:][:, cols], metric)
                      - _metric(boot[:, :width][:, cols], metric))
        low, high = np.quantile(boot_delta, [alpha, 1 - alpha])
        p_boot = float(np.mean(np.abs(boot_delta - delta) >= abs(delta) - tol))
        out.append(PairedTest(metric, type_, value_a, value_b, delta, float(low), float(high),
                              min(p_value, 1.0), p_boot, n, n_resamples, seed, confidence))
    return out


def paired_test(a: np.ndarray, b: np.ndarray, *, metric: Metric = "f1",
                type_: str | None = None, n_resamples: int = 10000, seed: int = 0,
                confidence: float = 0.95) -> PairedTest:
    """Approximate randomisation p-value plus paired-bootstrap CI of ``b - a``
    for (n_sentences, 3) count arrays."""
    return paired_tests(a, b, [(metric, type_, 0)], n_resamples=n_resamples, seed=seed,
                        confidence=confidence)[0]


def compare_scores(a, b, *, metric: Metric = "f1", type_: str | None = None,
                   n_resamples: int = 10000, seed: int = 0) -> PairedTest:
    """Paired test between two Scores (or anything with ``per_sentence`` and
    ``sentence_ids``) computed on the same gold."""
    arr_a, arr_b = paired_arrays(a.per_sentence, a.sentence_ids, b.per_sentence,
                                 b.sentence_ids, type_)
    return paired_test(arr_a, arr_b, metric=metric, type_=type_, n_resamples=n_resamples,
                       seed=seed)


def adequacy_warnings(n_sentences: int, n_gold_entities: int,
                      f1_interval: Interval | None = None) -> list[str]:
    """Reasons this test set cannot support a claim; empty when it can."""
    out = []
    if n_sentences < MIN_SENTENCES:
        out.append(f"only {n_sentences} test sentences (fewer than {MIN_SENTENCES}): "
                   "scores and differences are mostly noise")
    if n_gold_entities < MIN_GOLD_ENTITIES:
        out.append(f"only {n_gold_entities} gold entities (fewer than {MIN_GOLD_ENTITIES})")
    if f1_interval is not None and f1_interval.high - f1_interval.low > MAX_CI_WIDTH:
        out.append(f"the {ci_label(f1_interval.confidence)} of F1 is "
                   f"{f1_interval.high - f1_interval.low:.2f} wide "
                   f"(more than {MAX_CI_WIDTH:.2f})")
    return out
