"""What ``kmner evaluate`` and ``kmner compare`` print: short summaries of the
reports, with rich tables (tables.py)."""

from __future__ import annotations

from kmner.evaluation.comparison import Comparison
from kmner.evaluation.results import Evaluation
from kmner.evaluation.tables import scores_table, text_table
from kmner.evaluation.uncertainty import Resampling, ScoredWithCI


def headline(ev: Evaluation) -> ScoredWithCI:
    """The strict scores of an evaluation with the intervals it drew."""
    cfg = ev.config
    return ScoredWithCI(ev.strict, dict(ev.intervals),
                        {t: {"f1": iv} for t, iv in ev.per_type_intervals.items()},
                        Resampling(cfg.n_resamples, cfg.seed, cfg.confidence))


def console_summary(ev: Evaluation) -> str:
    sc = headline(ev)
    recall = ev.intervals["recall"]
    lines = [f"{ev.n_sentences} sentences, {ev.n_gold_entities} gold / {ev.n_pred_entities} "
             f"predicted entities; label map: {ev.label_map.describe()}",
             scores_table({"strict": sc}),
             f"macro F1 {ev.macro_f1:.3f}; recognition rate {ev.recognition_rate:.1%} "
             f"[{recall.low:.3f}, {recall.high:.3f}] ({sc.label})",
             "lenient modes: " + ", ".join(f"{name} F1 {s.micro.f1:.3f}"
                                           for name, s in ev.modes.items() if name != "strict")]
    return "\n".join(lines)


def console_comparison(cmp: Comparison) -> str:
    lines = []
    for other, tests in cmp.tests.items():
        lines.append(f"{cmp.baseline} -> {other}")
        rows = [[k, t.value_a, t.value_b, f"{t.delta:+.3f}", f"[{t.low:+.3f}, {t.high:+.3f}]",
                 f"{t.p_value:.4f}", t.verdict()] for k, t in tests.items()]
        lines.append(text_table(["metric", cmp.baseline, other, "Δ", f"Δ {cmp.ci_label}", "p",
                                 "verdict"], rows))
    return "\n".join(lines)
