"""The bundled default gazetteer (ship-tier sources only, see data/ATTRIBUTION.md).

``data/gazetteer/default.gaz`` is the compiled file. If it is missing (or was
deleted to save space) it is rebuilt from ``data/gazetteer/default_terms.tsv``,
the cleaned term table, into ``$KMNER_CACHE`` (default ``~/.cache/kmner``)."""

from __future__ import annotations

from pathlib import Path

from kmner.core.bundled import bundled_path
from kmner.core.cache import cache_dir
from kmner.core.hashing import sha256_file

DATA_DIR = bundled_path("gazetteer")
DEFAULT_GAZ = DATA_DIR / "default.gaz"
DEFAULT_TERMS = DATA_DIR / "default_terms.tsv"
DEFAULT_CONFIG = DATA_DIR / "default.yaml"


def default_gazetteer_path() -> Path:
    """Path of a compiled default gazetteer, building and caching it if needed."""
    from kmner.core.errors import InputError

    if DEFAULT_GAZ.exists():
        return DEFAULT_GAZ
    if not DEFAULT_TERMS.exists():
        raise InputError("bundled gazetteer missing; pass --gazetteer or rebuild with "
                         f"`kmner gazetteer build {DEFAULT_CONFIG} -o {DEFAULT_GAZ}`",
                         path=str(DEFAULT_TERMS))
    digest = sha256_file(DEFAULT_TERMS)[:16]
    cached = cache_dir() / f"default-{digest}.gaz"
    if not cached.exists():
        from kmner.gazetteer.compiled import build_gazetteer
        from kmner.gazetteer.config import load_gazetteer_config, table_config

        cfg = table_config(DEFAULT_TERMS)
        cfg.name = "kmner-default"
        # the compose rules live in the build config, not in the term table
        cfg.compose = load_gazetteer_config(DEFAULT_CONFIG).compose
        build_gazetteer(cfg).save(cached)
    return cached
