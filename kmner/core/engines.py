"""Engines besides the local one, for the commands that offer ``--engine``.

kmner.processing (Spark) sits above the stages whose commands take ``--engine``
(silver, training): it imports them, so they cannot import it. It registers its
runners here instead (kmner.cli calls :func:`kmner.processing.engines.register`),
and the commands look them up by command and engine name.
"""

from __future__ import annotations

from typing import Any, Callable

from kmner.core.errors import KmnerError

ENGINES = ("local", "spark")
_RUNNERS: dict[tuple[str, str], Callable[..., Any]] = {}


def register(command: str, engine: str, runner: Callable[..., Any]) -> None:
    """Make ``runner`` the way ``command`` runs with ``--engine engine``."""
    _RUNNERS[(command, engine)] = runner


def runner(command: str, engine: str) -> Callable[..., Any]:
    """The registered runner; a KmnerError when none is (kmner.processing not loaded)."""
    try:
        return _RUNNERS[(command, engine)]
    except KeyError:
        raise KmnerError(f"`kmner {command}` has no {engine} engine loaded; run it through "
                         "the kmner command (kmner.cli registers kmner.processing)") from None
