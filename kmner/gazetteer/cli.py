"""`kmner gazetteer ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Build and inspect dictionaries (gazetteers).", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="gazetteer")
