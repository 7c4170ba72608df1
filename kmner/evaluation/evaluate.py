"""One evaluation run: check the inputs, score every match mode, attach
confidence intervals, error analysis and the PR curve, and write the report.

``evaluate`` is the plain function; ``evaluate_to_dir`` also writes
metrics.json, report.md and report.html. Both take lists of Record.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Sequence

from kmner.core.errors import InputError
from kmner.core.labelmap import LabelMap
from kmner.core.records import Record, entity_problems
from kmner.evaluation.bootstrap import Interval, bootstrap_ci, per_type_cis
from kmner.evaluation.error_analysis import ErrorAnalysis, analyse_errors
from kmner.evaluation.matching import MATCH_MODES, MODE_DESCRIPTIONS
from kmner.evaluation.scoring import PRF, Scores, align_records, score_pairs
from kmner.evaluation.significance import adequacy_warnings
from kmner.evaluation.threshold import (PRCurve, ThresholdChoice, apply_threshold,
                                        choose_threshold, has_confidences, pr_curve)

METRICS_FORMAT = "kmner-evaluation/1"

# The project plan's success criteria, stated as entity recognition rates.
RECOGNITION_CRITERIA = (("minimum", 0.50), ("target", 0.70), ("ideal", 0.90))


def recognition_level(rate: float, low: float | None = None) -> str:
    """Which success criterion the rate reaches; with the CI's lower end, also
    whether the interval dips back below that bar (not a firm result)."""
    reached = [(name, bar) for name, bar in RECOGNITION_CRITERIA if rate >= bar]
    if not reached:
        return "below minimum"
    name, bar = reached[-1]
    if low is not None and low < bar:
        return f"{name} reached, but the CI reaches below {bar:.0%}"
    return f"{name} reached"


@dataclass
class EvaluationConfig:
    """Settings of one evaluation; saved in metrics.json and run.yaml."""

    # Label map applied to gold and predictions before scoring: a preset name
    # ("kbmc"), "A=B,C=" (C dropped), a YAML/JSON file, or a dict. None = no map.
    label_map: Any = None
    # Seed of every bootstrap and permutation draw; same seed, same intervals.
    seed: int = 0
    # Sentence bootstrap resamples behind each confidence interval.
    n_resamples: int = 1000
    # Permutations of the paired significance test (kmner compare).
    n_permutations: int = 10000
    # Confidence level of every interval.
    confidence: float = 0.95
    # Accept predicted types that never occur in gold (else an error).
    allow_new_types: bool = False
    # Keep only predictions with confidence >= threshold (chosen on a dev set).
    threshold: float | None = None
    # Where the threshold came from, e.g. "dev: dev.jsonl" (reported only).
    threshold_source: str | None = None
    # How many of the most frequent false negatives/positives to list.
    top_k: int = 15
    # Characters of context either side of an error example.
    context_width: int = 20
    # Sentences shown with gold and predicted spans highlighted.
    max_example_sentences: int = 12

    RANGES: ClassVar[dict] = {"n_resamples": (1, 100_000), "n_permutations": (1, 1_000_000),
                              "confidence": (0.5, 0.999), "threshold": (0, 1),
                              "top_k": (0, None), "context_width": (0, None),
                              "max_example_sentences": (0, None)}


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


@dataclass
class Evaluation:
    """Everything one evaluation found. Scores-like: ``.micro``, ``.per_type``,
    ``.per_sentence``, ``.macro_f1`` and ``.recognition_rate`` are the strict ones."""

    strict: Scores
    modes: dict[str, Scores]
    intervals: dict[str, Interval]
    per_type_intervals: dict[str, Interval]
    mode_intervals: dict[str, Interval]
    errors: ErrorAnalysis
    curve: PRCurve | None
    warnings: list[str]
    n_gold_entities: int
    n_pred_entities: int
    fingerprint: str
    config: EvaluationConfig
    label_map: LabelMap
    title: str = "Evaluation"
    inputs: dict[str, Any] = field(default_factory=dict)
    pairs: list[tuple[Record, Record]] = field(default_factory=list, repr=False)
    # Things the reader must know that do not make the test set too small.
    notes: list[str] = field(default_factory=list)
    new_types: dict[str, int] = field(default_factory=dict)

    micro = property(lambda self: self.strict.micro)
    per_type = property(lambda self: self.strict.per_type)
    per_sentence = property(lambda self: self.strict.per_sentence)
    sentence_ids = property(lambda self: self.strict.sentence_ids)
    macro_f1 = property(lambda self: self.strict.macro_f1)
    recognition_rate = property(lambda self: self.strict.recognition_rate)
    n_sentences = property(lambda self: self.strict.n_sentences)
    label_map_counts = property(lambda self: self.strict.label_map_counts)

    @property
    def too_small(self) -> bool:
        return bool(self.warnings)

    def to_dict(self) -> dict:
        from kmner.core.runinfo import environment, to_mapping

        types = sorted(self.strict.per_type)
        per_type = {}
        for t in types:
            d = self.strict.per_type[t].to_dict()
            d["f1_ci"] = self.per_type_intervals[t].to_dict()
            per_type[t] = d
        rate = self.recognition_rate
        return {
            "format": METRICS_FORMAT,
            "title": self.title,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seed": self.config.seed,
            "config": to_mapping(self.config),
            "environment": environment(),
            "inputs": {**self.inputs, "n_sentences": self.n_sentences,
                       "n_gold_entities": self.n_gold_entities,
                       "n_pred_entities": self.n_pred_entities,
                       "gold_fingerprint": self.fingerprint},
            "label_map": {"mapping": self.label_map.mapping,
                          "description": self.label_map.describe(),
                          "applied": dict(self.strict.label_map_counts)},
            "headline": {"mode": "strict", "f1": self.micro.f1,
                         "f1_ci": self.intervals["f1"].to_dict(),
                         "precision": self.micro.precision, "recall": self.micro.recall},
            "recognition_rate": {"value": rate, "ci": self.intervals["recall"].to_dict(),
                                 "level": recognition_level(rate, self.intervals["recall"].low),
                                 "criteria": dict(RECOGNITION_CRITERIA)},
            "too_small": self.too_small,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "new_types": dict(self.new_types),
            "strict": {**self.strict.to_dict(),
                       "ci": {k: v.to_dict() for k, v in self.intervals.items()}},
            "per_type": per_type,
            "modes": {m: {**s.to_dict(), "description": MODE_DESCRIPTIONS[m],
                          "f1_ci": self.mode_intervals[m].to_dict()}
                      for m, s in self.modes.items()},
            "threshold": ({"threshold": self.config.threshold,
                           "source": self.config.threshold_source}
                          if self.config.threshold is not None else None),
            "pr_curve": self.curve.to_dict() if self.curve else None,
            "errors": self.errors.to_dict(),
            "per_sentence": per_sentence_table(self.strict),
        }


def per_sentence_table(scores: Scores) -> dict:
    """Compact per-sentence counts, enough for kmner compare to rerun paired tests."""
    types = sorted({t for s in scores.per_sentence for t in s})
    counts = [[[_num(s[t].tp), _num(s[t].fp), _num(s[t].fn)] if t in s else [0, 0, 0]
               for t in types] for s in scores.per_sentence]
    return {"ids": list(scores.sentence_ids), "types": types, "counts": counts}


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def scores_from_table(table: dict, *, label_map_counts: dict | None = None) -> Scores:
    """Rebuild strict Scores from per_sentence_table output."""
    types = table["types"]
    per_sentence = []
    micro = PRF()
    per_type: dict[str, PRF] = {}
    for row in table["counts"]:
        sent = {}
        for t, (tp, fp, fn) in zip(types, row):
            if tp or fp or fn:
                sent[t] = PRF(tp, fp, fn)
                per_type.setdefault(t, PRF()).add(sent[t])
                micro.add(sent[t])
        per_sentence.append(sent)
    return Scores(micro, per_type, per_sentence, dict(label_map_counts or {}),
                  list(table["ids"]))


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
    kw = {"n_resamples": config.n_resamples, "seed": config.seed,
          "confidence": config.confidence}
    intervals = {m: bootstrap_ci(strict.per_sentence, metric=m, **kw)
                 for m in ("f1", "precision", "recall")}
    mode_intervals = {m: bootstrap_ci(s.per_sentence, metric="f1", **kw)
                      for m, s in modes.items()}
    per_type_int = per_type_cis(strict.per_sentence, sorted(strict.per_type), **kw)
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


def write_reports(out_dir: str | os.PathLike, metrics: dict, markdown: str, html: str
                  ) -> dict[str, Path]:
    """Write metrics.json, report.md and report.html into ``out_dir`` (created)."""
    from kmner.core.jsonl import atomic_write, write_json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"metrics": out / "metrics.json", "markdown": out / "report.md",
             "html": out / "report.html"}
    write_json(paths["metrics"], metrics)
    with atomic_write(paths["markdown"]) as fh:
        fh.write(markdown)
    with atomic_write(paths["html"]) as fh:
        fh.write(html)
    return paths


def write_evaluation(ev: Evaluation, out_dir: str | os.PathLike, *,
                     command: str = "kmner evaluate") -> dict[str, Path]:
    """Write metrics.json, report.md, report.html and run.yaml into ``out_dir``."""
    from kmner.core.runinfo import write_run_info
    from kmner.evaluation.render_html import evaluation_html
    from kmner.evaluation.render_md import evaluation_markdown

    paths = write_reports(out_dir, ev.to_dict(), evaluation_markdown(ev), evaluation_html(ev))
    paths["run"] = write_run_info(Path(out_dir), command=command, config=ev.config,
                                  seed=ev.config.seed, extra={"inputs": ev.inputs})
    return paths


def resolve_config(config: EvaluationConfig | None, *, label_map, seed: int,
                   allow_new_types: bool | None) -> EvaluationConfig:
    """A copy of ``config`` (or the defaults) with the call's explicit overrides."""
    config = dataclasses.replace(config) if config else EvaluationConfig()
    if allow_new_types is not None:
        config.allow_new_types = allow_new_types
    if label_map is not None:
        config.label_map = label_map.mapping if isinstance(label_map, LabelMap) else label_map
    config.seed = seed
    return config


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
