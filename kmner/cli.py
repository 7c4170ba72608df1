"""The ``kmner`` command. Each subcommand is a thin Typer function over a plain,
importable function in its stage's package; heavy imports happen inside them so
``kmner --help`` stays fast and never loads torch."""

from __future__ import annotations

import sys

import typer

from kmner import __version__
from kmner.core.errors import KmnerError

app = typer.Typer(
    name="kmner",
    help="Korean medical NER: gazetteer -> silver -> Label Studio -> gold -> training -> evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kmner {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Korean medical named-entity recognition toolkit."""


def _register_stages() -> None:
    # Each stage owns its commands in kmner/<stage>/cli.py and exposes register(app).
    from kmner import demo_cli
    from kmner.data import cli as data_cli
    from kmner.evaluation import cli as evaluation_cli
    from kmner.gazetteer import cli as gazetteer_cli
    from kmner.labelstudio import cli as labelstudio_cli
    from kmner.silver import cli as silver_cli
    from kmner.training import cli as training_cli

    for module in (gazetteer_cli, silver_cli, data_cli, labelstudio_cli, evaluation_cli,
                   training_cli, demo_cli):
        module.register(app)


_register_stages()


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one clear line and exit code 1."""
    try:
        app(args=argv, standalone_mode=True)
    except KmnerError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
