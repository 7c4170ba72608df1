"""The bundled default gazetteer (ship-tier sources only, see data/ATTRIBUTION.md).

``data/gazetteer/default.gaz`` is the compiled file. If it is missing (or was
deleted to save space) it is rebuilt from ``data/gazetteer/default_terms.tsv``,
the cleaned term table, with the compose rules of ``default.yaml``, into
``$KMNER_CACHE`` (default ``~/.cache/kmner``)."""

from __future__ import annotations

from pathlib import Path

from kmner.core.bundled import bundled_path
from kmner.core.cache import cache_dir
from kmner.core.errors import InputError
from kmner.core.hashing import sha256_file
from kmner.gazetteer.compiled import build_gazetteer
from kmner.gazetteer.config import GazetteerConfig, load_gazetteer_config, table_config

DATA_DIR = bundled_path("gazetteer")
DEFAULT_GAZ = DATA_DIR / "default.gaz"
DEFAULT_TERMS = DATA_DIR / "default_terms.tsv"
DEFAULT_CONFIG = DATA_DIR / "default.yaml"


def default_table_config(terms: str | Path = DEFAULT_TERMS) -> GazetteerConfig:
    """A build config for the bundled term table (or a table in its format) with
    the bundled compose rules: they live in default.yaml, not in the table."""
    cfg = table_config(terms)
    cfg.name = "kmner-default"
    cfg.compose = load_gazetteer_config(DEFAULT_CONFIG).compose
    return cfg


def default_gazetteer_path() -> Path:
    """Path of a compiled default gazetteer, building and caching it if needed."""
    if DEFAULT_GAZ.exists():
        return DEFAULT_GAZ
    if not DEFAULT_TERMS.exists():
        raise InputError("bundled gazetteer missing; pass --gazetteer or rebuild with "
                         f"`kmner gazetteer build {DEFAULT_CONFIG} -o {DEFAULT_GAZ}`",
                         path=str(DEFAULT_TERMS))
    digest = (sha256_file(DEFAULT_TERMS)[:12] + sha256_file(DEFAULT_CONFIG)[:4])
    cached = cache_dir() / f"default-{digest}-v2.gaz"  # v2: kmner-gazetteer/2
    if not cached.exists():
        build_gazetteer(default_table_config()).save(cached)
    return cached
