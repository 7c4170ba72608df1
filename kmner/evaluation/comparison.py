"""Paired comparison of systems scored on the same test set: the result model,
the systems it compares (from evaluations or saved reports) and the paired tests.

The first system is the baseline; every other one is compared against it.
Reports carry per-sentence counts and a fingerprint of the gold they were scored
on, so a comparison can rerun the paired test and refuse reports made on
different test sets or with different label maps. compare.py runs comparisons
from files and writes them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from kmner.core.errors import InputError
from kmner.core.jsonl import loads_strict, read_text
from kmner.core.labelmap import LabelMap
from kmner.core.runinfo import environment
from kmner.evaluation.bootstrap import Interval, ci_label
from kmner.evaluation.results import METRICS_FORMAT, Evaluation, scores_from_table
from kmner.evaluation.scoring import Scores
from kmner.evaluation.significance import (PairedTest, adequacy_warnings, paired_arrays,
                                           paired_tests)
from kmner.evaluation.uncertainty import Resampling, with_intervals


@dataclass
class SystemResult:
    """What a comparison needs from one system: strict per-sentence counts."""

    name: str
    scores: Scores
    fingerprint: str
    label_map: dict
    n_gold_entities: int
    source: str = ""


def system_from_evaluation(name: str, ev: Evaluation, source: str = "") -> SystemResult:
    return SystemResult(name, ev.strict, ev.fingerprint, dict(ev.label_map.mapping),
                        ev.n_gold_entities, source or str(ev.inputs.get("pred", "")))


def system_from_report(report_dir: str | os.PathLike, name: str | None = None) -> SystemResult:
    """Load a system from a ``kmner evaluate`` report directory (or its metrics.json)."""
    path = Path(report_dir)
    metrics_path = path / "metrics.json" if path.is_dir() else path
    if not metrics_path.exists():
        raise InputError("no metrics.json here; is this a `kmner evaluate` report directory?",
                         path=str(path))
    try:
        data = loads_strict(read_text(metrics_path))
    except json.JSONDecodeError as exc:
        raise InputError(f"metrics.json is not valid JSON: {exc.msg}", path=str(metrics_path),
                         line=exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"metrics.json is not usable: {exc}", path=str(metrics_path)) from None
    if not isinstance(data, dict):
        raise InputError("metrics.json is not a kmner evaluation report (not an object)",
                         path=str(metrics_path))
    if data.get("format") != METRICS_FORMAT or "per_sentence" not in data:
        raise InputError(f"not a kmner evaluation report (format {data.get('format')!r}, "
                         f"expected {METRICS_FORMAT!r})", path=str(metrics_path))
    default_name = path.name if path.is_dir() else path.parent.name
    try:
        scores = scores_from_table(data["per_sentence"],
                                   label_map_counts=data["label_map"].get("applied"))
        return SystemResult(name or default_name, scores, data["inputs"]["gold_fingerprint"],
                            data["label_map"]["mapping"],
                            data["inputs"]["n_gold_entities"], str(path))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(f"metrics.json is incomplete or altered ({type(exc).__name__}: "
                         f"{exc}); rerun `kmner evaluate` to write it again",
                         path=str(metrics_path)) from None


@dataclass
class Comparison:
    systems: list[SystemResult]
    tests: dict[str, dict[str, PairedTest]]
    intervals: dict[str, dict[str, Interval]]
    warnings: list[str]
    seed: int
    n_resamples: int
    n_permutations: int
    title: str = "Comparison"
    extra: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.95

    @property
    def baseline(self) -> str:
        return self.systems[0].name

    @property
    def n_sentences(self) -> int:
        return self.systems[0].scores.n_sentences

    @property
    def n_gold_entities(self) -> int:
        return self.systems[0].n_gold_entities

    @property
    def fingerprint(self) -> str:
        return self.systems[0].fingerprint

    @property
    def label_map_description(self) -> str:
        return LabelMap(dict(self.systems[0].label_map)).describe()

    @property
    def ci_label(self) -> str:
        return ci_label(self.confidence)

    def to_dict(self) -> dict:
        return {
            "format": "kmner-comparison/1", "title": self.title, "seed": self.seed,
            "baseline": self.baseline, "n_sentences": self.n_sentences,
            "n_gold_entities": self.n_gold_entities, "gold_fingerprint": self.fingerprint,
            "label_map": self.systems[0].label_map, "too_small": bool(self.warnings),
            "warnings": self.warnings,
            "config": {"n_resamples": self.n_resamples, "n_permutations": self.n_permutations,
                       "seed": self.seed, "confidence": self.confidence,
                       "test": "approximate randomization (p), paired bootstrap (CI of the "
                       "difference)"},
            "environment": environment(),
            "systems": {s.name: {"source": s.source, **s.scores.to_dict(),
                                 "f1_ci": {k: v.to_dict()
                                           for k, v in self.intervals[s.name].items()}}
                        for s in self.systems},
            "comparisons": {other: {k: t.to_dict() for k, t in tests.items()}
                            for other, tests in self.tests.items()},
            **self.extra,
        }


def compare_systems(systems: Sequence[SystemResult], *, seed: int = 0,
                    n_resamples: int = 1000, n_permutations: int = 10000,
                    title: str | None = None, confidence: float = 0.95) -> Comparison:
    """Paired tests of every system against the first, on the same sentences."""
    if len(systems) < 2:
        raise InputError("a comparison needs at least two systems")
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise InputError(f"system names must differ, got {names}; use --name")
    base = systems[0]
    for s in systems[1:]:
        if s.label_map != base.label_map:
            raise InputError(f"{s.name!r} was scored with label map {s.label_map} but "
                             f"{base.name!r} with {base.label_map}; rerun with the same map")
        if s.fingerprint != base.fingerprint:
            raise InputError(f"{s.name!r} and {base.name!r} were scored on different gold "
                             f"(fingerprints {s.fingerprint} vs {base.fingerprint}); a paired "
                             "comparison needs the same test set")
    types = sorted({t for s in systems for t in s.scores.per_type})
    tests: dict[str, dict[str, PairedTest]] = {}
    blocks: list[str | None] = [None, *types]
    specs = ([("F1 (micro)", ("f1", None, 0)), ("precision", ("precision", None, 0)),
              ("recall = recognition rate", ("recall", None, 0))]
             + [(f"F1 {t}", ("f1", t, k + 1)) for k, t in enumerate(types)])
    for s in systems[1:]:
        pairs = [paired_arrays(base.scores.per_sentence, base.scores.sentence_ids,
                               s.scores.per_sentence, s.scores.sentence_ids, t) for t in blocks]
        a = np.concatenate([p[0] for p in pairs], axis=1)
        b = np.concatenate([p[1] for p in pairs], axis=1)
        results = paired_tests(a, b, [spec for _, spec in specs], n_resamples=n_permutations,
                               seed=seed, confidence=confidence)
        tests[s.name] = {label: r for (label, _), r in zip(specs, results)}
    rs = Resampling(n_resamples, seed, confidence)
    intervals = {}
    for s in systems:
        sc = with_intervals(s.scores, rs, metrics=("f1",), types=types)
        intervals[s.name] = {**sc.type_intervals("f1"), "micro": sc.micro["f1"]}
    warnings = adequacy_warnings(base.scores.n_sentences, base.n_gold_entities,
                                 intervals[base.name]["micro"])
    return Comparison(list(systems), tests, intervals, warnings, seed, n_resamples,
                      n_permutations, title or "Before / after", confidence=confidence)
