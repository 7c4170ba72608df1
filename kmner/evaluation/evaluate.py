"""One evaluation run: check the inputs, score every match mode, attach
confidence intervals, error analysis and the PR curve.

``evaluate`` is the plain function; ``evaluate_to_dir`` also writes
metrics.json, report.md and report.html (report.py). Both take lists of Record.
The settings are config.py's EvaluationConfig, the result results.py's
Evaluation; both are re-exported here.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Sequence

from kmner.core.errors import InputError
from kmner.core.records import Record
from kmner.evaluation.config import EvaluationConfig, resolve_config
from kmner.evaluation.error_analysis import analyse_errors
from kmner.evaluation.matching import MATCH_MODES
from kmner.evaluation.pairs import as_label_map, gold_fingerprint, prepare_pairs
from kmner.evaluation.report import write_evaluation
from kmner.evaluation.results import Evaluation
from kmner.evaluation.scoring import score_pairs
from kmner.evaluation.significance import adequacy_warnings
from kmner.evaluation.threshold import (ThresholdChoice, apply_threshold, choose_threshold,
                                        has_confidences, pr_curve)
from kmner.evaluation.uncertainty import Resampling, with_intervals

__all__ = ["Evaluation", "EvaluationConfig", "evaluate", "evaluate_to_dir",
           "choose_threshold_on_dev"]


def evaluate(gold: Sequence[Record], pred: Sequence[Record],
             config: EvaluationConfig | None = None, *, title: str | None = None,
             gold_name: str = "gold", pred_name: str = "pred") -> Evaluation:
    """Score ``pred`` against ``gold`` under every match mode, with CIs and
    error analysis. Raises InputError on any input problem."""
    config = config or EvaluationConfig()
    label_map = as_label_map(config.label_map)
    pairs, map_counts, new_types = prepare_pairs(gold, pred, label_map=label_map,
                                      allow_new_types=config.allow_new_types,
                                      gold_name=gold_name, pred_name=pred_name)
    mapped_pred = [p for _, p in pairs]
    curve = None
    if has_confidences(mapped_pred):
        # The curve is descriptive; a threshold is only ever applied, never chosen here.
        curve = pr_curve([g for g, _ in pairs], mapped_pred)
    if config.threshold is not None:
        kept = apply_threshold(mapped_pred, config.threshold)
        pairs = [(g, p) for (g, _), p in zip(pairs, kept)]
    modes = {}
    for mode in MATCH_MODES:
        modes[mode] = score_pairs(pairs, mode)
        modes[mode].label_map_counts = map_counts
    strict = modes["strict"]
    rs = Resampling(config.n_resamples, config.seed, config.confidence)
    headline = with_intervals(strict, rs, metrics=("f1", "precision", "recall"))
    intervals, per_type_int = headline.micro, headline.type_intervals("f1")
    mode_intervals = {m: with_intervals(s, rs, metrics=("f1",), type_metrics=()).micro["f1"]
                      for m, s in modes.items()}
    n_gold = sum(len(g.entities) for g, _ in pairs)
    n_pred = sum(len(p.entities) for _, p in pairs)
    errors = analyse_errors(pairs, top_k=config.top_k, context_width=config.context_width)
    warnings = adequacy_warnings(len(pairs), n_gold, intervals["f1"])
    notes = [f"{n} prediction(s) of type {t!r}, which never occurs in gold, count as false "
             f"positives (drop them with --label-map '{t}=' if gold does not annotate {t})"
             for t, n in new_types.items()]
    if config.threshold is not None and curve is None:
        notes.append(f"threshold {config.threshold:g} was given but no prediction carries a "
                     "confidence (meta score/confidence), so nothing was filtered")
    return Evaluation(strict, modes, intervals, per_type_int, mode_intervals, errors, curve,
                      warnings, n_gold, n_pred, gold_fingerprint(pairs), config, label_map,
                      title or "Evaluation", {"gold": gold_name, "pred": pred_name}, pairs,
                      notes=notes, new_types=new_types)


def evaluate_to_dir(gold: Sequence[Record], pred: Sequence[Record],
                    out_dir: str | os.PathLike, *, label_map: Any = None, seed: int = 0,
                    config: EvaluationConfig | None = None, title: str | None = None,
                    gold_name: str = "gold", pred_name: str = "pred",
                    allow_new_types: bool | None = None) -> Evaluation:
    """Evaluate and write the three report artefacts (plus run.yaml). ``label_map``,
    ``seed`` and ``allow_new_types`` override the same fields of ``config`` (which
    is not modified)."""
    config = resolve_config(config, label_map=label_map, seed=seed,
                            allow_new_types=allow_new_types)
    ev = evaluate(gold, pred, config, title=title, gold_name=gold_name, pred_name=pred_name)
    write_evaluation(ev, out_dir)
    return ev


def choose_threshold_on_dev(dev_gold: Sequence[Record], dev_pred: Sequence[Record], *,
                            label_map: Any = None, test_gold: Sequence[Record] | None = None,
                            gold_name: str = "dev gold", pred_name: str = "dev pred"
                            ) -> ThresholdChoice:
    """Best-F1 confidence threshold on a dev set, after the same label map as the
    test evaluation. Passing ``test_gold`` lets it refuse a dev set that is the
    test set."""
    lm = as_label_map(label_map)
    pairs, _, _ = prepare_pairs(dev_gold, dev_pred, label_map=lm, allow_new_types=True,
                             gold_name=gold_name, pred_name=pred_name)
    if test_gold is not None:
        test = lm.apply(list(test_gold)) if lm else list(test_gold)
        if gold_fingerprint([(g, g) for g in test]) == gold_fingerprint(pairs):
            raise InputError("the dev set is the test set; a threshold chosen on the test "
                             "set overstates its F1. Use a separate dev split.", path=gold_name)
    choice = choose_threshold([g for g, _ in pairs], [p for _, p in pairs])
    return dataclasses.replace(choice, chosen_on=f"dev: {gold_name}")
