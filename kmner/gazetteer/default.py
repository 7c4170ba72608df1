"""The bundled default gazetteer (ship-tier sources only, see data/ATTRIBUTION.md).

``data/gazetteer/default.gaz`` is the compiled file. If it is missing (or was
deleted to save space) it is rebuilt from ``data/gazetteer/default_terms.tsv``,
the cleaned term table, into ``$KMNER_CACHE`` (default ``~/.cache/kmner``)."""

from __future__ import annotations

from pathlib import Path

from kmner.core.bundled import bundled_path
from kmner.core.cache import cache_dir
from kmner.core.errors import InputError
from kmner.core.hashing import sha256_file
from kmner.gazetteer.compiled import build_gazetteer
from kmner.gazetteer.config import table_config

DATA_DIR = bundled_path("gazetteer")
DEFAULT_GAZ = DATA_DIR / "default.gaz"
DEFAULT_TERMS = DATA_DIR / "default_terms.tsv"
DEFAULT_CONFIG = DATA_DIR / "default.yaml"


def default_gazetteer_path() -> Path:
    """Path of a compiled default gazetteer, building and caching it if needed."""
    if DEFAULT_GAZ.exists():
        return DEFAULT_GAZ
    if not DEFAULT_TERMS.exists():
        raise InputError("bundled gazetteer missing; pass --gazetteer or rebuild with "
                         f"`kmner gazetteer build {DEFAULT_CONFIG} -o {DEFAULT_GAZ}`",
                         path=str(DEFAULT_TERMS))
    digest = sha256_file(DEFAULT_TERMS)[:16]
    cached = cache_dir() / f"default-{digest}-v2.gaz"  # v2: kmner-gazetteer/2
    if not cached.exists():
        cfg = table_config(DEFAULT_TERMS)
        cfg.name = "kmner-default"
        build_gazetteer(cfg).save(cached)
    return cached
