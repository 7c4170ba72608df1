"""Markdown reports, from the same results as the HTML (console.py prints the
terminal summary)."""

from __future__ import annotations

from typing import Sequence

from kmner.evaluation.bootstrap import ci_label
from kmner.evaluation.comparison import Comparison
from kmner.evaluation.criteria import recognition_level
from kmner.evaluation.error_analysis import BOUNDARY_KINDS
from kmner.evaluation.matching import MODE_DESCRIPTIONS
from kmner.evaluation.results import Evaluation


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(x: object) -> str:
        if isinstance(x, float):
            return f"{x:.3f}" if not x.is_integer() or abs(x) < 1 else f"{x:g}"
        return str(x).replace("|", "\\|").replace("\n", " ")
    def numeric(col: int) -> bool:
        vals = [r[col] for r in rows if r[col] != ""]
        return bool(vals) and all(isinstance(v, (int, float)) or
                                  str(v).lstrip("+-[").replace(".", "", 1)[:1].isdigit()
                                  for v in vals)
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if i and numeric(i) else "---"
                            for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def warning_block(warnings: Sequence[str]) -> str:
    if not warnings:
        return ""
    items = "\n".join(f"> - {w}" for w in warnings)
    return ("> [!WARNING]\n> **TEST SET TOO SMALL TO SUPPORT A CLAIM.** These figures are "
            f"mostly noise.\n{items}\n\n")


def _ci(iv) -> str:
    return f"[{iv.low:.3f}, {iv.high:.3f}]"


def evaluation_markdown(ev: Evaluation) -> str:
    m, iv = ev.micro, ev.intervals
    level = ci_label(ev.config.confidence)
    out = [f"# {ev.title}\n\n",
           f"`{ev.inputs.get('pred')}` against `{ev.inputs.get('gold')}`: {ev.n_sentences} "
           f"sentences, {ev.n_gold_entities} gold and {ev.n_pred_entities} predicted entities. "
           f"Label map: {ev.label_map.describe()}"
           + (f" (applied: {', '.join(f'{k} ×{v}' for k, v in ev.label_map_counts.items())})"
              if ev.label_map_counts else "") + ".\n\n",
           warning_block(ev.warnings),
           "".join(f"> **Note:** {n}\n\n" for n in ev.notes),
           "## Headline (strict match)\n\n",
           _table(["metric", "value", level],
                  [["F1", m.f1, _ci(iv["f1"])], ["precision", m.precision, _ci(iv["precision"])],
                   ["recall", m.recall, _ci(iv["recall"])], ["macro F1", ev.macro_f1, ""]]),
           f"\n**Recognition rate** (entity recall): **{ev.recognition_rate:.1%}** "
           f"{_ci(iv['recall'])}: {recognition_level(ev.recognition_rate, iv['recall'].low)} "
           "(plan: 50% minimum, 70% target, 90%+ ideal).\n\n",
           "## By type (strict)\n\n"]
    rows = [[t, p.precision, p.recall, p.f1, _ci(ev.per_type_intervals[t]), f"{p.support:g}",
             f"{p.tp:g}", f"{p.fp:g}", f"{p.fn:g}"] for t, p in sorted(ev.per_type.items())]
    rows.append(["**micro**", m.precision, m.recall, m.f1, _ci(iv["f1"]), f"{m.support:g}",
                 f"{m.tp:g}", f"{m.fp:g}", f"{m.fn:g}"])
    rows.append(["**macro**", ev.strict.macro_precision, ev.strict.macro_recall,
                 ev.strict.macro_f1, "", "", "", "", ""])
    out.append(_table(["type", "P", "R", "F1", f"F1 {level}", "support", "TP", "FP", "FN"],
                      rows))
    out.append("\n## Match modes\n\n")
    out.append(_table(["mode", "credit", "P", "R", "F1", f"F1 {level}"],
                      [[name, MODE_DESCRIPTIONS[name], s.micro.precision, s.micro.recall,
                        s.micro.f1, _ci(ev.mode_intervals[name])]
                       for name, s in ev.modes.items()]))
    if ev.curve and ev.curve.points:
        best = ev.curve.best()
        out.append("\n## Confidence threshold\n\n")
        if ev.config.threshold is not None:
            out.append(f"Threshold **{ev.config.threshold:g}** applied "
                       f"({ev.config.threshold_source or 'given'}).\n\n")
        else:
            out.append("No threshold applied. Choose one on a dev set "
                       "(`--dev-gold/--dev-pred`), never from this test-set curve.\n\n")
        step = max(1, len(ev.curve.points) // 10)
        pts = ev.curve.points[::step]
        out.append(_table(["threshold ≥", "P", "R", "F1", "predictions"],
                          [[f"{p.threshold:.3g}", p.precision, p.recall, p.f1, p.n_predicted]
                           for p in pts]))
        if best is not None:
            out.append(f"\n(Descriptive only: the best test-set F1 on this curve is "
                       f"{best.f1:.3f}; choosing it would overfit the test set.)\n")
    err = ev.errors
    out.append("\n## Type confusion (exact boundaries; rows gold, columns predicted)\n\n")
    out.append(_table(["gold \\ pred"] + err.col_labels,
                      [[r] + [err.confusion[r][c] for c in err.col_labels]
                       for r in err.row_labels]))
    out.append("\n## Boundary errors\n\n")
    b_rows = [[k, err.boundary_counts.get(k, 0), d,
               "; ".join(f"{b.gold.text} → {b.pred.text}"
                         for b in err.boundary_examples.get(k, [])[:3])]
              for k, d in BOUNDARY_KINDS.items() if err.boundary_counts.get(k)]
    out.append(_table(["kind", "count", "meaning", "examples (gold → pred)"], b_rows)
               if b_rows else "None.\n")
    for title, items, n in (("false negatives", err.false_negatives, err.n_fn),
                            ("false positives", err.false_positives, err.n_fp)):
        out.append(f"\n## Most frequent {title} ({n} in all)\n\n")
        rows = [[fe.text, fe.type, fe.count,
                 (f"{fe.examples[0].left}**{fe.examples[0].span}**{fe.examples[0].right} "
                  f"({fe.examples[0].note})") if fe.examples else ""] for fe in items]
        out.append(_table(["span", "type", "count", "example"], rows) if rows else "None.\n")
    out.append(f"\n---\nseed {ev.config.seed}, {ev.config.n_resamples} bootstrap resamples, "
               f"gold fingerprint `{ev.fingerprint}`. Full figures in metrics.json.\n")
    return "".join(out)


def comparison_markdown(cmp: Comparison) -> str:
    out = [f"# {cmp.title}\n\n",
           f"{cmp.n_sentences} sentences, {cmp.n_gold_entities} gold entities, baseline "
           f"**{cmp.baseline}**, label map {cmp.label_map_description}.\n\n",
           warning_block(cmp.warnings)]
    for other, tests in cmp.tests.items():
        out.append(f"## {cmp.baseline} → {other}\n\n")
        out.append(_table(["metric", cmp.baseline, other, "Δ", f"Δ {cmp.ci_label}", "p",
                           "verdict"],
                          [[k, t.value_a, t.value_b, f"{t.delta:+.3f}",
                            f"[{t.low:+.3f}, {t.high:+.3f}]", f"{t.p_value:.4f}", t.verdict()]
                           for k, t in tests.items()]))
        out.append("\n")
    out.append(f"p: approximate randomisation over sentences ({cmp.n_permutations} "
               f"permutations, seed {cmp.seed}); Δ CI: paired sentence bootstrap.\n\n")
    out.append("## Systems\n\n")
    out.append(_table(["system", "P", "R (recognition)", "F1", f"F1 {cmp.ci_label}", "macro F1",
                       "source"],
                      [[s.name, s.scores.micro.precision, s.scores.micro.recall,
                        s.scores.micro.f1, _ci(cmp.intervals[s.name]["micro"]),
                        s.scores.macro_f1, f"`{s.source}`"] for s in cmp.systems]))
    return "".join(out)
