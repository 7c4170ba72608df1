"""Where the bundled defaults are: the repository's ``data/`` folder.

A source checkout or an editable install reads ``data/`` beside the package; a
wheel carries the same files inside the package as ``kmner/_bundled`` (see
setup.py), because nothing outside the package directory is installed."""

from __future__ import annotations

from pathlib import Path

_INSTALLED = Path(__file__).resolve().parents[1] / "_bundled"
_SOURCE = Path(__file__).resolve().parents[2] / "data"


def bundled_dir() -> Path:
    """The folder holding ``gazetteer/``, ``sample/`` and ``ATTRIBUTION.md``."""
    return _INSTALLED if _INSTALLED.is_dir() else _SOURCE


def bundled_path(*parts: str) -> Path:
    return bundled_dir().joinpath(*parts)
