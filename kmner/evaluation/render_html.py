"""Self-contained HTML reports (inline CSS and SVG, no scripts, no network)."""

from __future__ import annotations

import time
from html import escape
from typing import Sequence

from kmner.core.records import Entity, Record
from kmner.core.runinfo import package_versions
from kmner.evaluation.bootstrap import ci_label
from kmner.evaluation.comparison import Comparison
from kmner.evaluation.criteria import RECOGNITION_CRITERIA, recognition_level
from kmner.evaluation.css import CSS
from kmner.evaluation.error_analysis import BOUNDARY_KINDS, MISSED, SPURIOUS
from kmner.evaluation.matching import MODE_DESCRIPTIONS
from kmner.evaluation.results import Evaluation
from kmner.evaluation.svg import Bar, bar_chart, pr_curve_chart


def page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="ko"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


def pct(x: float) -> str:
    return f"{x:.3f}"


def ci_text(iv) -> str:
    return f"{ci_label(iv.confidence)} {iv.low:.3f} – {iv.high:.3f}"


def alert(warnings: Sequence[str], headline: str) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return (f'<div class="alert" role="alert"><strong>⚠ {escape(headline)}</strong>'
            f"These figures cannot support a claim.<ul>{items}</ul></div>")


def recognition_gauge(rate: float, low: float | None = None) -> str:
    ticks = "".join(f'<div class="tick" style="left:{bar * 100:.0f}%">'
                    f"<span>{name} {bar:.0%}</span></div>"
                    for name, bar in RECOGNITION_CRITERIA)
    level = recognition_level(rate, low)
    cls = "no" if level.startswith("below") else "mid" if "but" in level else "ok"
    return (f'<div class="gauge"><div class="fill" style="width:{min(rate, 1) * 100:.1f}%">'
            f'</div>{ticks}</div><span class="level {cls}">{escape(level)}</span>')


def _heat_color(value: int, peak: int, diagonal: bool) -> str:
    if value == 0 or peak == 0:
        return "background:#fff;color:#cbd5e1"
    a = 0.15 + 0.75 * value / peak
    rgb = "5,150,105" if diagonal else "220,38,38"
    ink = "#fff" if a > 0.55 else "#1f2937"
    return f"background:rgba({rgb},{a:.2f});color:{ink}"


def confusion_table(errors) -> str:
    peak = max((v for r in errors.confusion.values() for v in r.values()), default=0)
    head = "".join(f"<th>{escape(c)}</th>" for c in errors.col_labels)
    rows = []
    for r in errors.row_labels:
        cells = "".join(
            f'<td style="{_heat_color(errors.confusion[r][c], peak, r == c)}">'
            f"{errors.confusion[r][c]}</td>" for c in errors.col_labels)
        rows.append(f"<tr><th>{escape(r)}</th>{cells}</tr>")
    return (f'<table class="heat"><tr><th>gold ↓ / predicted →</th>{head}</tr>'
            f'{"".join(rows)}</table><p class="muted">Exact boundaries only: the diagonal '
            f"is the strict true positives; spans that only overlap count as "
            f"{escape(MISSED)} and {escape(SPURIOUS)} here and are broken down under "
            f"boundary errors.</p>")


def highlighted(text: str, spans: Sequence[tuple[Entity, str]]) -> str:
    """Text with spans wrapped in <mark class=...>; overlapping spans of one side
    are shown as the first, the rest listed after."""
    out, pos, hidden = [], 0, []
    for e, cls in sorted(spans, key=lambda s: (s[0].start, -s[0].end)):
        if e.start < pos:
            hidden.append((e, cls))
            continue
        out.append(escape(text[pos:e.start]))
        out.append(f'<mark class="{cls}">{escape(text[e.start:e.end])}'
                   f"<sup>{escape(e.type)}</sup></mark>")
        pos = e.end
    out.append(escape(text[pos:]))
    if hidden:
        out.append(' <span class="muted">(+ overlapping: ' + ", ".join(
            escape(f"{e.text} {e.type}") for e, _ in hidden) + ")</span>")
    return "".join(out)


def example_sentences(pairs: Sequence[tuple[Record, Record]], limit: int) -> str:
    items = []
    # Sentences with the most errors first: they teach the most.
    def n_errors(gp):
        g, p = gp
        gk, pk = {e.key for e in g.entities}, {e.key for e in p.entities}
        return len(gk ^ pk)
    for g, p in sorted(pairs, key=lambda gp: -n_errors(gp))[:limit]:
        pk = {e.key for e in p.entities}
        gk = {e.key for e in g.entities}
        gold_marks = [(e, "tp" if e.key in pk else "fn") for e in g.entities]
        pred_marks = [(e, "tp" if e.key in gk else "fp") for e in p.entities]
        items.append(f'<div class="ex"><span class="id">{escape(str(g.id))}</span>'
                     f'<div class="row"><span class="who">gold</span><span>'
                     f"{highlighted(g.text, gold_marks)}</span></div>"
                     f'<div class="row"><span class="who">pred</span><span>'
                     f"{highlighted(p.text, pred_marks)}</span></div></div>")
    if not items:
        return '<p class="muted">No errors.</p>'
    return ('<div class="legend-row"><mark class="tp">correct</mark> '
            '<mark class="fn">missed (gold)</mark> <mark class="fp">spurious (predicted)</mark>'
            "</div>" + "".join(items))


def frequent_table(errors, label: str) -> str:
    if not errors:
        return f'<p class="muted">No {escape(label)}.</p>'
    rows = []
    for fe in errors:
        ex = fe.examples[0] if fe.examples else None
        ctx = (f'<span class="ctx">{escape(ex.left)}<b>{escape(ex.span)}</b>'
               f"{escape(ex.right)}</span><br><span class=\"muted\">{escape(ex.note)}</span>"
               if ex else "")
        rows.append(f'<tr><td class="l">{escape(fe.text)}</td><td class="l">{escape(fe.type)}'
                    f'</td><td>{fe.count}</td><td class="l">{ctx}</td></tr>')
    return ('<table><tr><th class="l">span</th><th class="l">type</th><th>count</th>'
            f'<th class="l">example in context</th></tr>{"".join(rows)}</table>')


def boundary_table(errors) -> str:
    rows = []
    for kind, desc in BOUNDARY_KINDS.items():
        n = errors.boundary_counts.get(kind, 0)
        if not n:
            continue
        ex = errors.boundary_examples.get(kind, [])[:2]
        shown = "<br>".join(
            f'gold <b>{escape(b.gold.text)}</b> {escape(b.gold.type)} → pred '
            f'<b>{escape(b.pred.text)}</b> {escape(b.pred.type)}' for b in ex)
        rows.append(f'<tr><td class="l"><b>{escape(kind)}</b><br><span class="muted">'
                    f'{escape(desc)}</span></td><td>{n}</td><td class="l">{shown}</td></tr>')
    if not rows:
        return '<p class="muted">No boundary errors.</p>'
    return ('<table><tr><th class="l">kind</th><th>count</th><th class="l">examples</th></tr>'
            f'{"".join(rows)}</table>')


def _head(ev: Evaluation) -> list[str]:
    """Title, warnings, notes, the headline cards and the recognition gauge."""
    m, iv = ev.micro, ev.intervals
    sub = (f"{escape(str(ev.inputs.get('pred', 'pred')))} against "
           f"{escape(str(ev.inputs.get('gold', 'gold')))} · {ev.n_sentences} sentences · "
           f"{ev.n_gold_entities} gold / {ev.n_pred_entities} predicted entities · "
           f"label map: {escape(ev.label_map.describe())}")
    parts = [f"<header><h1>{escape(ev.title)}</h1><div class=\"sub\">{sub}</div></header>",
             alert(ev.warnings, "Test set too small to support a claim")]
    if ev.notes:
        parts.append('<div class="note">' + "<br>".join(escape(n) for n in ev.notes)
                     + "</div>")
    cards = [("Strict F1", m.f1, iv["f1"], True), ("Precision", m.precision,
                                                   iv["precision"], False),
             ("Recall", m.recall, iv["recall"], False)]
    card_html = "".join(
        f'<div class="card{" head" if head else ""}"><div class="k">{k}</div>'
        f'<div class="v">{pct(v)}</div><div class="ci">{ci_text(i)}</div></div>'
        for k, v, i, head in cards)
    card_html += (f'<div class="card"><div class="k">Macro F1</div><div class="v">'
                  f'{pct(ev.macro_f1)}</div><div class="ci">mean over '
                  f"{len(ev.per_type)} types</div></div>")
    parts.append(f'<div class="cards">{card_html}</div>')
    parts.append(
        f'<section><h2>Recognition rate (entity recall): {ev.recognition_rate:.1%}</h2>'
        f'{recognition_gauge(ev.recognition_rate, iv["recall"].low)} '
        f'<span class="muted">{ci_text(iv["recall"])}'
        f" · plan: 50% minimum, 70% target, 90%+ ideal</span></section>")
    return parts


def _score_row(label: str, p, ci, cls: str = "", bold_f1: bool = True) -> str:
    f1 = f"<b>{pct(p.f1)}</b>" if bold_f1 else pct(p.f1)
    return (f"<tr{cls}><td>{escape(label)}</td><td>{pct(p.precision)}</td><td>"
            f"{pct(p.recall)}</td><td>{f1}</td><td class=\"muted\">{ci.low:.3f} – "
            f"{ci.high:.3f}</td><td>{p.support:g}</td><td>{p.tp:g}</td><td>{p.fp:g}</td>"
            f"<td>{p.fn:g}</td></tr>")


def _types_section(ev: Evaluation) -> str:
    """Strict P/R/F1 per type, micro and macro, with the F1 chart."""
    m, iv, s = ev.micro, ev.intervals, ev.strict
    level = ci_label(ev.config.confidence)
    rows = [_score_row(t, ev.per_type[t], ev.per_type_intervals[t])
            for t in sorted(ev.per_type)]
    rows.append(_score_row("micro", m, iv["f1"], ' class="total"', bold_f1=False))
    rows.append(f"<tr><td>macro</td><td>{pct(s.macro_precision)}</td><td>"
                f"{pct(s.macro_recall)}</td><td>{pct(s.macro_f1)}</td><td></td><td></td>"
                f"<td></td><td></td><td></td></tr>")
    chart = bar_chart([(t, [Bar("F1", ev.per_type[t].f1, ev.per_type_intervals[t].low,
                                ev.per_type_intervals[t].high)]) for t in sorted(ev.per_type)]
                      + [("micro", [Bar("F1", m.f1, iv["f1"].low, iv["f1"].high)])],
                      width=1000, bar_height=22, label_width=110)
    return ('<section><h2>Strict scores by type</h2><table><tr><th>type</th><th>P</th><th>R'
            f'</th><th>F1</th><th>F1 {level}</th><th>support</th><th>TP</th><th>FP</th><th>FN'
            f'</th></tr>{"".join(rows)}</table><div style="margin-top:14px">{chart}</div>'
            f'<p class="muted">Whiskers: {level}, sentence bootstrap '
            f"({ev.config.n_resamples} resamples, seed {ev.config.seed}).</p></section>")


def _modes_section(ev: Evaluation) -> str:
    mode_rows = "".join(
        f"<tr><td><b>{escape(name)}</b></td><td class=\"lt muted\">"
        f"{escape(MODE_DESCRIPTIONS[name])}</td><td>{pct(sc.micro.precision)}</td><td>"
        f"{pct(sc.micro.recall)}</td><td><b>{pct(sc.micro.f1)}</b></td><td class=\"muted\">"
        f"{ev.mode_intervals[name].low:.3f} – {ev.mode_intervals[name].high:.3f}</td></tr>"
        for name, sc in ev.modes.items())
    return ('<section><h2>Match modes</h2><table><tr><th>mode</th><th class="l">'
            f'credit</th><th>P</th><th>R</th><th>F1</th><th>F1 '
            f'{ci_label(ev.config.confidence)}</th></tr>{mode_rows}</table></section>')


def _curve_and_confusion(ev: Evaluation) -> str:
    """The PR curve (when predictions carry confidences) beside the confusion table."""
    confusion_html = f"<section><h2>Type confusion</h2>{confusion_table(ev.errors)}</section>"
    if not (ev.curve and ev.curve.points):
        return confusion_html
    pts = [(p.recall, p.precision) for p in ev.curve.points]
    marks = []
    if ev.config.threshold is not None:
        op = min(ev.curve.points, key=lambda p: abs(p.threshold - ev.config.threshold))
        marks.append((f"t={ev.config.threshold:g}", op.recall, op.precision))
        note = (f"Threshold {ev.config.threshold:g} applied "
                f"({escape(str(ev.config.threshold_source or 'given'))}).")
    else:
        note = ("No threshold applied. Choose one on a dev set (--dev-gold/--dev-pred), "
                "never on this curve.")
    chart = pr_curve_chart([("pred", pts)], marks=marks)
    pr_html = (f"<section><h2>Precision–recall curve (strict)</h2>{chart}"
               f'<p class="muted">{note} {ev.curve.n_unscored} predictions carry no '
               "confidence and are always kept.</p></section>")
    return f'<div class="grid2" style="margin-top:18px">{pr_html}{confusion_html}</div>'


def _error_sections(ev: Evaluation) -> list[str]:
    err = ev.errors
    return [f"<section><h2>Boundary errors</h2>{boundary_table(err)}</section>",
            f'<section><h2>Most frequent false negatives ({err.n_fn} in all)</h2>'
            f"{frequent_table(err.false_negatives, 'false negatives')}</section>",
            f'<section><h2>Most frequent false positives ({err.n_fp} in all)</h2>'
            f"{frequent_table(err.false_positives, 'false positives')}</section>",
            "<section><h2>Sentences with errors</h2>"
            + example_sentences(err.sentences_with_errors, ev.config.max_example_sentences)
            + "</section>"]


def _footer(ev: Evaluation) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in package_versions(("kmner", "seqeval",
                                                                    "numpy")).items() if v)
    applied = ", ".join(f"{k} ×{v}" for k, v in ev.label_map_counts.items()) or "nothing"
    return (f"<footer>Label map {escape(ev.label_map.describe())} (applied: "
            f"{escape(applied)}) · seed {ev.config.seed} · gold fingerprint "
            f"<code>{ev.fingerprint}</code> · {escape(versions)} · "
            f"{time.strftime('%Y-%m-%d %H:%M')}</footer>")


def evaluation_html(ev: Evaluation) -> str:
    parts = [*_head(ev), _types_section(ev), _modes_section(ev), _curve_and_confusion(ev),
             *_error_sections(ev), _footer(ev)]
    return page(ev.title, "".join(parts))


def _source_cell(cmp: Comparison, system) -> str:
    link = cmp.extra.get("system_reports", {}).get(system.name)
    text = escape(system.source)
    return f'{text} · <a href="{escape(link)}">full report</a>' if link else text


def comparison_html(cmp: Comparison) -> str:
    names = [s.name for s in cmp.systems]
    sub = (f"{cmp.n_sentences} sentences · {cmp.n_gold_entities} gold entities · "
           f"baseline: {escape(cmp.baseline)} · label map: {escape(cmp.label_map_description)}")
    parts = [f"<header><h1>{escape(cmp.title)}</h1><div class=\"sub\">{sub}</div></header>",
             alert(cmp.warnings, "Test set too small to support a claim")]
    for other in names[1:]:
        rows = []
        for key, t in cmp.tests[other].items():
            cls = "pos" if t.delta > 0 else "neg" if t.delta < 0 else ""
            rows.append(f"<tr><td>{escape(key)}</td><td>{pct(t.value_a)}</td><td>"
                        f"{pct(t.value_b)}</td><td class=\"delta {cls}\">{t.delta:+.3f}</td>"
                        f"<td class=\"muted\">{t.low:+.3f} – {t.high:+.3f}</td><td>"
                        f"{t.p_value:.4f}</td><td class=\"l\">{escape(t.verdict())}</td></tr>")
        parts.append(
            f"<section><h2>{escape(cmp.baseline)} → {escape(other)}</h2><table><tr>"
            f"<th>metric</th><th>{escape(cmp.baseline)}</th><th>{escape(other)}</th>"
            f"<th>Δ</th><th>Δ {cmp.ci_label}</th><th>p</th><th class=\"l\">verdict</th></tr>"
            f'{"".join(rows)}</table><p class="muted">p: approximate randomisation over '
            f"sentences ({cmp.n_permutations} permutations, seed {cmp.seed}); CI: paired "
            f"sentence bootstrap. Significant at p &lt; 0.05.</p></section>")
    types = sorted({t for s in cmp.systems for t in s.scores.per_type})
    rows = []
    for t in types + ["micro"]:
        bars = []
        for s in cmp.systems:
            iv = cmp.intervals[s.name][t]
            bars.append(Bar(s.name, iv.value, iv.low, iv.high))
        rows.append((t, bars))
    chart = bar_chart(rows, width=1000, bar_height=18, label_width=110)
    parts.append(f"<section><h2>F1 by type</h2>{chart}"
                 f'<p class="muted">Whiskers: {cmp.ci_label} of each system '
                 "(sentence bootstrap).</p>"
                 "</section>")
    sys_rows = "".join(
        f"<tr><td>{escape(s.name)}</td><td>{pct(s.scores.micro.precision)}</td><td>"
        f"{pct(s.scores.micro.recall)}</td><td><b>{pct(s.scores.micro.f1)}</b></td><td>"
        f"{pct(s.scores.macro_f1)}</td><td>{s.scores.micro.tp:g}</td><td>{s.scores.micro.fp:g}"
        f"</td><td>{s.scores.micro.fn:g}</td><td class=\"l muted\">{_source_cell(cmp, s)}</td></tr>"
        for s in cmp.systems)
    parts.append("<section><h2>Systems</h2><table><tr><th>system</th><th>P</th><th>R "
                 "(recognition)</th><th>F1</th><th>macro F1</th><th>TP</th><th>FP</th>"
                 f'<th>FN</th><th class="l">source</th></tr>{sys_rows}</table></section>')
    parts.append(f"<footer>seed {cmp.seed} · gold fingerprint <code>{cmp.fingerprint}</code> · "
                 f"{time.strftime('%Y-%m-%d %H:%M')}</footer>")
    return page(cmp.title, "".join(parts))
