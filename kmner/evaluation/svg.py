"""Small inline-SVG charts for the HTML reports: horizontal bars with CI
whiskers, and a precision-recall curve with iso-F1 lines. No JavaScript, no
external files, so a report is one self-contained page."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Sequence

PALETTE = ("#4f46e5", "#0d9488", "#d97706", "#db2777", "#2563eb", "#65a30d")


@dataclass(frozen=True)
class Bar:
    series: str
    value: float
    low: float | None = None
    high: float | None = None


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def bar_chart(rows: Sequence[tuple[str, Sequence[Bar]]], *, width: int = 640,
              bar_height: int = 16, label_width: int = 130, title: str = "F1",
              colors: Sequence[str] = PALETTE) -> str:
    """Horizontal bars on a 0..1 axis, one group per row label and one bar per
    series in it, each with its CI as a whisker."""
    series = list(dict.fromkeys(b.series for _, bars in rows for b in bars))
    color = {s: colors[i % len(colors)] for i, s in enumerate(series)}
    gap, top = 10, 26
    group_h = bar_height * max(1, max((len(b) for _, b in rows), default=1)) + gap
    plot_w = width - label_width - 60
    height = top + group_h * len(rows) + 30
    x0 = label_width

    def x(v: float) -> float:
        return x0 + max(0.0, min(1.0, v)) * plot_w

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{escape(title)} by type">']
    for i in range(11):
        v = i / 10
        cls = "grid major" if i % 5 == 0 else "grid"
        out.append(f'<line class="{cls}" x1="{_fmt(x(v))}" x2="{_fmt(x(v))}" y1="{top - 6}" '
                   f'y2="{height - 24}"/>')
        if i % 2 == 0:
            out.append(f'<text class="tick" x="{_fmt(x(v))}" y="{height - 8}" '
                       f'text-anchor="middle">{v:.1f}</text>')
    for gi, (label, bars) in enumerate(rows):
        y = top + gi * group_h
        mid = y + bar_height * len(bars) / 2
        out.append(f'<text class="label" x="{x0 - 10}" y="{_fmt(mid + 4)}" '
                   f'text-anchor="end">{escape(label)}</text>')
        for bi, b in enumerate(bars):
            by = y + bi * bar_height
            w = x(b.value) - x0
            out.append(f'<rect x="{x0}" y="{by + 1}" width="{_fmt(max(w, 0.5))}" '
                       f'height="{bar_height - 3}" rx="2" fill="{color[b.series]}">'
                       f'<title>{escape(b.series)} {escape(label)}: {b.value:.3f}</title></rect>')
            cy = by + (bar_height - 1) / 2
            if b.low is not None and b.high is not None:
                lx, hx = x(b.low), x(b.high)
                out.append(f'<g class="whisker"><line x1="{_fmt(lx)}" x2="{_fmt(hx)}" '
                           f'y1="{_fmt(cy)}" y2="{_fmt(cy)}"/><line x1="{_fmt(lx)}" '
                           f'x2="{_fmt(lx)}" y1="{_fmt(cy - 4)}" y2="{_fmt(cy + 4)}"/>'
                           f'<line x1="{_fmt(hx)}" x2="{_fmt(hx)}" y1="{_fmt(cy - 4)}" '
                           f'y2="{_fmt(cy + 4)}"/></g>')
            vx = max(x(b.value), x(b.high) if b.high is not None else 0) + 6
            out.append(f'<text class="value" x="{_fmt(vx)}" y="{_fmt(cy + 4)}">'
                       f'{b.value:.3f}</text>')
    if len(series) > 1:
        lx = x0
        for s in series:
            out.append(f'<rect x="{lx}" y="4" width="10" height="10" rx="2" '
                       f'fill="{color[s]}"/><text class="legend" x="{lx + 14}" y="13">'
                       f'{escape(s)}</text>')
            lx += 24 + 7 * len(s)
    out.append("</svg>")
    return "".join(out)


def pr_curve_chart(curves: Sequence[tuple[str, Sequence[tuple[float, float]]]], *,
                   marks: Sequence[tuple[str, float, float]] = (), width: int = 420,
                   height: int = 340, colors: Sequence[str] = PALETTE) -> str:
    """Precision (y) against recall (x) with dotted iso-F1 lines; ``marks`` are
    labelled points such as the operating threshold."""
    left, right, top, bottom = 48, 16, 14, 40
    pw, ph = width - left - right, height - top - bottom

    def px(r: float) -> float:
        return left + r * pw

    def py(p: float) -> float:
        return top + (1 - p) * ph

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="precision-recall curve">']
    for i in range(11):
        v = i / 10
        out.append(f'<line class="grid" x1="{_fmt(px(v))}" x2="{_fmt(px(v))}" y1="{top}" '
                   f'y2="{top + ph}"/><line class="grid" x1="{left}" x2="{left + pw}" '
                   f'y1="{_fmt(py(v))}" y2="{_fmt(py(v))}"/>')
        if i % 2 == 0:
            out.append(f'<text class="tick" x="{_fmt(px(v))}" y="{top + ph + 16}" '
                       f'text-anchor="middle">{v:.1f}</text><text class="tick" '
                       f'x="{left - 6}" y="{_fmt(py(v) + 4)}" text-anchor="end">{v:.1f}</text>')
    for f in (0.2, 0.4, 0.6, 0.8):
        # Points with F1 = f: p = f r / (2 r - f), for r from f/2 to 1.
        pts = []
        for k in range(41):
            r = f / 2 + (1 - f / 2) * k / 40
            if 2 * r - f <= 1e-9:
                continue
            p = f * r / (2 * r - f)
            if p <= 1:
                pts.append(f"{_fmt(px(r))},{_fmt(py(p))}")
        out.append(f'<polyline class="iso" points="{" ".join(pts)}"/>'
                   f'<text class="iso-label" x="{_fmt(px(1) - 2)}" '
                   f'y="{_fmt(py(f / (2 - f)) - 3)}" text-anchor="end">F1={f:.1f}</text>')
    for i, (name, pts) in enumerate(curves):
        c = colors[i % len(colors)]
        path = " ".join(f"{_fmt(px(r))},{_fmt(py(p))}" for r, p in pts)
        out.append(f'<polyline class="curve" stroke="{c}" points="{path}">'
                   f'<title>{escape(name)}</title></polyline>')
    for label, r, p in marks:
        out.append(f'<circle class="mark" cx="{_fmt(px(r))}" cy="{_fmt(py(p))}" r="5"/>'
                   f'<text class="mark-label" x="{_fmt(px(r) + 8)}" y="{_fmt(py(p) - 8)}">'
                   f'{escape(label)}</text>')
    out.append(f'<text class="axis" x="{_fmt(left + pw / 2)}" y="{height - 4}" '
               f'text-anchor="middle">recall</text><text class="axis" x="12" '
               f'y="{_fmt(top + ph / 2)}" text-anchor="middle" '
               f'transform="rotate(-90 12 {_fmt(top + ph / 2)})">precision</text></svg>')
    return "".join(out)
