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
from kmner.evaluation.error_analysis import BOUNDARY_KINDS, MISSED, SPURIOUS
from kmner.evaluation.matching import MODE_DESCRIPTIONS
from kmner.evaluation.results import Evaluation
from kmner.evaluation.svg import Bar, bar_chart, pr_curve_chart

CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;
--accent:#4f46e5;--good:#059669;--bad:#dc2626;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,
"Segoe UI","Noto Sans CJK KR","Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic",sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 28px 60px}
header h1{margin:0;font-size:26px;letter-spacing:-.01em}
header .sub{color:var(--muted);margin-top:4px}
h2{font-size:17px;margin:0 0 12px}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;
padding:18px 20px;margin-top:18px;box-shadow:0 1px 2px rgba(0,0,0,.03)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
.grid2>section{margin-top:0}
.alert{margin-top:18px;border-radius:12px;padding:16px 20px;background:#fef2f2;
border:2px solid var(--bad);color:#7f1d1d}
.alert strong{font-size:18px;display:block;margin-bottom:4px}
.alert ul{margin:6px 0 0;padding-left:20px}
.note{margin-top:14px;border-radius:10px;padding:10px 16px;background:#fffbeb;
border:1px solid #f59e0b;color:#78350f}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-top:18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card .v{font-size:30px;font-weight:700;letter-spacing:-.02em;font-variant-numeric:tabular-nums}
.card .ci{color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums}
.card.head{border-color:var(--accent);box-shadow:inset 4px 0 0 var(--accent)}
.gauge{position:relative;height:10px;border-radius:5px;background:#eef2ff;margin:10px 0 16px}
.gauge .fill{position:absolute;left:0;top:0;bottom:0;border-radius:5px;background:var(--accent)}
.gauge .tick{position:absolute;top:-4px;bottom:-4px;width:2px;background:#9ca3af}
.gauge .tick span{position:absolute;top:14px;left:-14px;font-size:10px;color:var(--muted);
white-space:nowrap}
.level{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.level.ok{background:#d1fae5;color:#065f46}.level.mid{background:#fef3c7;color:#92400e}
.level.no{background:#fee2e2;color:#991b1b}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em}
th:first-child,td:first-child{text-align:left}
td.l,th.l{text-align:left;white-space:normal}
td.lt{text-align:left}
tr.total td{font-weight:700;border-top:2px solid var(--ink)}
.muted{color:var(--muted)}
.delta.pos{color:var(--good);font-weight:600}.delta.neg{color:var(--bad);font-weight:600}
table.heat{table-layout:fixed}
.heat td,.heat th{text-align:center;font-weight:600}
.heat tr>:first-child{width:190px;text-align:left;white-space:normal}
.chart{max-width:100%;height:auto;font:12px system-ui,"Noto Sans CJK KR",sans-serif}
.chart .grid{stroke:#f1f5f9}.chart .grid.major{stroke:#e2e8f0}
.chart .tick{fill:#6b7280;font-size:11px}.chart .label{fill:#1f2937;font-weight:600}
.chart .value{fill:#374151;font-size:11px}
.chart .whisker line{stroke:#111827;stroke-width:1.4}
.chart .legend{fill:#374151}
.chart .iso{fill:none;stroke:#cbd5e1;stroke-dasharray:3 3}
.chart .iso-label{fill:#94a3b8;font-size:10px}
.chart .curve{fill:none;stroke-width:2.2;stroke-linejoin:round}
.chart .mark{fill:#dc2626;stroke:#fff;stroke-width:2}
.chart .mark-label{fill:#991b1b;font-size:11px;font-weight:600}
.chart .axis{fill:#374151;font-size:12px}
.ex{font-size:14px;line-height:2.1;padding:8px 0;border-bottom:1px dashed var(--line)}
.ex .id{color:var(--muted);font-size:11px;margin-right:8px}
.ex .row{display:grid;grid-template-columns:44px 1fr;align-items:baseline}
.ex .who{font-size:11px;color:var(--muted);text-transform:uppercase}
mark{border-radius:3px;padding:1px 2px}
mark sup{font-size:9px;margin-left:2px;opacity:.8;font-weight:600}
mark.tp{background:#d1fae5;box-shadow:inset 0 -2px 0 #059669}
mark.fn{background:#fee2e2;box-shadow:inset 0 -2px 0 #dc2626}
mark.fp{background:#ffedd5;box-shadow:inset 0 -2px 0 #ea580c}
.legend-row{font-size:12px;color:var(--muted);margin-bottom:6px}
.ctx{color:var(--muted)}.ctx b{color:var(--ink);background:#fef3c7;padding:0 2px;
border-radius:2px;font-weight:600}
details{margin-top:6px}summary{cursor:pointer;color:var(--accent)}
footer{color:var(--muted);font-size:12px;margin-top:24px}
code{background:#f1f5f9;padding:1px 4px;border-radius:4px;font-size:12px}
"""


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


def evaluation_html(ev: Evaluation) -> str:
    m = ev.micro
    iv = ev.intervals
    level = ci_label(ev.config.confidence)
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

    rows = []
    for t in sorted(ev.per_type):
        p = ev.per_type[t]
        ci = ev.per_type_intervals[t]
        rows.append(f"<tr><td>{escape(t)}</td><td>{pct(p.precision)}</td><td>{pct(p.recall)}"
                    f"</td><td><b>{pct(p.f1)}</b></td><td class=\"muted\">{ci.low:.3f} – "
                    f"{ci.high:.3f}</td><td>{p.support:g}</td><td>{p.tp:g}</td><td>{p.fp:g}"
                    f"</td><td>{p.fn:g}</td></tr>")
    rows.append(f'<tr class="total"><td>micro</td><td>{pct(m.precision)}</td><td>'
                f'{pct(m.recall)}</td><td>{pct(m.f1)}</td><td class="muted">{iv["f1"].low:.3f}'
                f' – {iv["f1"].high:.3f}</td><td>{m.support:g}</td><td>{m.tp:g}</td><td>'
                f"{m.fp:g}</td><td>{m.fn:g}</td></tr>")
    s = ev.strict
    rows.append(f"<tr><td>macro</td><td>{pct(s.macro_precision)}</td><td>"
                f"{pct(s.macro_recall)}</td><td>{pct(s.macro_f1)}</td><td></td><td></td>"
                f"<td></td><td></td><td></td></tr>")
    chart = bar_chart([(t, [Bar("F1", ev.per_type[t].f1, ev.per_type_intervals[t].low,
                                ev.per_type_intervals[t].high)]) for t in sorted(ev.per_type)]
                      + [("micro", [Bar("F1", m.f1, iv["f1"].low, iv["f1"].high)])],
                      width=1000, bar_height=22, label_width=110)
    parts.append(
        '<section><h2>Strict scores by type</h2><table><tr><th>type</th><th>P</th><th>R</th>'
        f'<th>F1</th><th>F1 {level}</th><th>support</th><th>TP</th><th>FP</th><th>FN</th></tr>'
        f'{"".join(rows)}</table><div style="margin-top:14px">{chart}</div>'
        f'<p class="muted">Whiskers: {level}, sentence bootstrap '
        f"({ev.config.n_resamples} resamples, seed {ev.config.seed}).</p></section>")

    mode_rows = "".join(
        f"<tr><td><b>{escape(name)}</b></td><td class=\"lt muted\">"
        f"{escape(MODE_DESCRIPTIONS[name])}</td><td>{pct(sc.micro.precision)}</td><td>"
        f"{pct(sc.micro.recall)}</td><td><b>{pct(sc.micro.f1)}</b></td><td class=\"muted\">"
        f"{ev.mode_intervals[name].low:.3f} – {ev.mode_intervals[name].high:.3f}</td></tr>"
        for name, sc in ev.modes.items())
    modes_html = ('<section><h2>Match modes</h2><table><tr><th>mode</th><th class="l">'
                  f'credit</th><th>P</th><th>R</th><th>F1</th><th>F1 {level}</th></tr>'
                  f"{mode_rows}</table></section>")
    parts.append(modes_html)
    confusion_html = f"<section><h2>Type confusion</h2>{confusion_table(ev.errors)}</section>"
    if ev.curve and ev.curve.points:
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
        parts.append(f'<div class="grid2" style="margin-top:18px">{pr_html}{confusion_html}'
                     "</div>")
    else:
        parts.append(confusion_html)
    parts.append(f"<section><h2>Boundary errors</h2>{boundary_table(ev.errors)}</section>")
    parts.append(f'<section><h2>Most frequent false negatives ({ev.errors.n_fn} in all)</h2>'
                 f"{frequent_table(ev.errors.false_negatives, 'false negatives')}</section>")
    parts.append(f'<section><h2>Most frequent false positives ({ev.errors.n_fp} in all)</h2>'
                 f"{frequent_table(ev.errors.false_positives, 'false positives')}</section>")
    parts.append("<section><h2>Sentences with errors</h2>"
                 + example_sentences(ev.errors.sentences_with_errors,
                                     ev.config.max_example_sentences) +
                 "</section>")
    versions = ", ".join(f"{k} {v}" for k, v in package_versions(("kmner", "seqeval",
                                                                    "numpy")).items() if v)
    applied = ", ".join(f"{k} ×{v}" for k, v in ev.label_map_counts.items()) or "nothing"
    parts.append(f"<footer>Label map {escape(ev.label_map.describe())} (applied: "
                 f"{escape(applied)}) · seed {ev.config.seed} · gold fingerprint "
                 f"<code>{ev.fingerprint}</code> · {escape(versions)} · "
                 f"{time.strftime('%Y-%m-%d %H:%M')}</footer>")
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
