"""Console tables, drawn by rich so columns line up whatever the width of a name
(Hangul included). Tables are rendered to text, so commands print them through
their usual channel (typer.echo, a demo log)."""

from __future__ import annotations

import io
from typing import Mapping, Sequence

from rich import box
from rich.console import Console
from rich.table import Table

from kmner.evaluation.counts import PRF
from kmner.evaluation.uncertainty import ScoredWithCI


def render(table: Table, *, width: int = 160) -> str:
    """The table as plain text (no colour, trailing spaces stripped)."""
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, highlight=False, emoji=False,
            markup=False, force_terminal=False).print(table)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()).strip("\n")


def text_table(header: Sequence[str], rows: Sequence[Sequence[object]], *,
               right_from: int = 1, title: str | None = None) -> str:
    """A plain table: columns from ``right_from`` on are right-aligned (numbers)."""
    table = Table(box=box.SIMPLE_HEAD, title=title, show_edge=False, pad_edge=False)
    for i, name in enumerate(header):
        table.add_column(name, justify="right" if i >= right_from else "left",
                         no_wrap=True)
    for row in rows:
        table.add_row(*(_cell(x) for x in row))
    return render(table)


def _cell(x: object) -> str:
    if isinstance(x, float):
        return f"{x:.3f}"
    return str(x)


def _prf_cells(prf: PRF) -> list[str]:
    return [f"{prf.precision:.3f}", f"{prf.recall:.3f}", f"{prf.f1:.3f}",
            f"{prf.tp:g}", f"{prf.fp:g}", f"{prf.fn:g}"]


def _interval_cell(iv) -> str:
    return f"[{iv.low:.3f}, {iv.high:.3f}]" if iv is not None else ""


def scores_table(systems: Mapping[str, ScoredWithCI], *, per_type: bool = True) -> str:
    """P, R, F1 (with its interval), tp, fp and fn of each system: its micro row,
    then one row per type."""
    label = next(iter(systems.values())).label if systems else "CI"
    header = ["system", "type", "P", "R", "F1", f"F1 {label}", "tp", "fp", "fn"]
    rows = []
    for name, sc in systems.items():
        p, r, f, *counts = _prf_cells(sc.scores.micro)
        rows.append([name, "micro", p, r, f, _interval_cell(sc.micro.get("f1")), *counts])
        if per_type:
            for t, prf in sorted(sc.scores.per_type.items()):
                p, r, f, *counts = _prf_cells(prf)
                iv = sc.per_type.get(t, {}).get("f1")
                rows.append(["", t, p, r, f, _interval_cell(iv), *counts])
    return text_table(header, rows, right_from=2)


def interval_line(name: str, sc: ScoredWithCI) -> str:
    """The micro intervals on one line: '95% CI name: precision 0.640 [0.588, 0.688], ...'."""
    return f"{sc.label} {name}: " + ", ".join(
        f"{m} {iv.value:.3f} [{iv.low:.3f}, {iv.high:.3f}]" for m, iv in sc.micro.items())
