"""The ``kmner`` command. Each subcommand is a thin Typer function over a plain,
importable function in its stage's package; heavy imports happen inside them so
``kmner --help`` stays fast and never loads torch."""

from __future__ import annotations

import sys

import typer

from kmner import __version__, demo_cli
from kmner.core.errors import (EXIT_BUG, EXIT_USER, KmnerError, debug_requested, os_error_line,
                               write_bug_report)
from kmner.data import cli as data_cli
from kmner.evaluation import cli as evaluation_cli
from kmner.gazetteer import cli as gazetteer_cli
from kmner.labelstudio import cli as labelstudio_cli
from kmner.processing import engines as processing_engines
from kmner.silver import cli as silver_cli
from kmner.training import cli as training_cli

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
                                       help="Print the version and exit."),
          debug: bool = typer.Option(False, "--debug", help="Print the full traceback of "
                                     "any error (also KMNER_DEBUG=1; allowed anywhere on "
                                     "the command line).")) -> None:
    """Korean medical named-entity recognition toolkit."""


def _register_stages() -> None:
    # Each stage owns its commands in kmner/<stage>/cli.py and exposes register(app).
    for module in (gazetteer_cli, silver_cli, data_cli, labelstudio_cli, evaluation_cli,
                   training_cli, demo_cli):
        module.register(app)
    processing_engines.register()  # --engine spark (pyspark loads only when it runs)


_register_stages()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> None:
    """Entry point and the one place where the error contract is enforced (see
    kmner.core.errors): user errors are one ``error:`` line with exit code 1,
    usage errors exit 2 (Click), bugs exit 3 with the traceback in a file."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug, argv = debug_requested(argv)
    try:
        app(args=argv, prog_name="kmner", standalone_mode=True)
    except KmnerError as exc:
        _fail(exc, debug, _one_line(str(exc)), EXIT_USER)
    except OSError as exc:
        _fail(exc, debug, _one_line(os_error_line(exc)), EXIT_USER)
    except MemoryError as exc:
        _fail(exc, debug, "out of memory; process smaller inputs or free memory", EXIT_USER)
    except Exception as exc:  # anything else is a bug in kmner
        report = write_bug_report(exc, argv)
        where = f"the full traceback is in {report}" if report else "no traceback file " \
            "could be written; rerun with --debug"
        _fail(exc, debug, f"internal error ({type(exc).__name__}: "
                          f"{_one_line(str(exc))[:300]}); this is a bug in kmner: {where}; "
                          "please report it", EXIT_BUG)


def _fail(exc: BaseException, debug: bool, line: str, code: int) -> None:
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    typer.secho(f"error: {line}", fg=typer.colors.RED, err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
