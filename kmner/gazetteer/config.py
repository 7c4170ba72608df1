"""The gazetteer build config: which sources, which types, what to do when one
surface form gets two types. Saved inside every compiled gazetteer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from kmner.core.errors import ConfigError, InputError
from kmner.core.runinfo import from_mapping, load_mapping
from kmner.gazetteer.sources import guess_format

CONFLICT_POLICIES = ("priority", "drop")


@dataclass
class SourceConfig:
    """One dictionary source.

    path: file, relative to the config file (``${VAR}`` and ``~`` are expanded).
    type: entity type given to every entry (a term table's own ``type`` column wins).
    name: provenance label written into each entity's meta (default: file stem).
    format: loader name (kcd_csv, kcd_json, anatomy_tsv, hira_drugs, synonym_json,
        name_list_json, procedures_json, biomarkers_json, term_list, term_table);
        guessed from the file name when left out.
    options: loader options, e.g. ``exclude_code_prefixes`` for KCD.
    optional: when true a missing file is reported and skipped instead of failing.
    """

    path: str
    type: str | None = None
    name: str | None = None
    format: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    optional: bool = False


@dataclass
class GazetteerConfig:
    """How to build one compiled gazetteer.

    name: label stored in the compiled file.
    sources: the dictionary sources (see SourceConfig).
    conflicts: what to do when one surface has two types: ``priority`` keeps the
        type that comes first in ``type_priority`` and flags the entity as ambiguous
        in its meta; ``drop`` leaves such surfaces out. Either way they are counted
        and listed in the build report.
    type_priority: order used by the ``priority`` policy; unlisted types come last.
    min_chars / max_chars: surface length bounds (without spaces).
    exclude_terms: surfaces never to match (stop list).
    """

    name: str = "gazetteer"
    sources: list[SourceConfig] = field(default_factory=list)
    conflicts: str = "priority"
    type_priority: list[str] = field(default_factory=lambda: ["Disease", "Treatment", "Body"])
    min_chars: int = 1
    max_chars: int = 40
    exclude_terms: list[str] = field(default_factory=list)
    base_dir: str = "."

    RANGES: ClassVar[dict] = {"min_chars": (1, 1000), "max_chars": (1, 1000)}
    CHOICES: ClassVar[dict] = {"conflicts": CONFLICT_POLICIES}

    def __post_init__(self) -> None:
        if self.conflicts not in CONFLICT_POLICIES:
            raise ConfigError(f"conflicts must be one of {', '.join(CONFLICT_POLICIES)}, "
                              f"got {self.conflicts!r}")

    def resolve(self, source: SourceConfig) -> Path:
        import os

        p = Path(os.path.expanduser(os.path.expandvars(source.path)))
        return p if p.is_absolute() else Path(self.base_dir) / p


@dataclass
class KcdOptions:
    """Options of the KCD loaders (kcd_csv, kcd_json).

    exclude_code_prefixes: code prefixes to leave out (default V, W, X, Y, Z:
        external causes).
    site_qualified_chapters: code prefixes whose sub-code names may be site
        qualified (see cleaning.SITE_QUALIFIED_CHAPTERS).
    head_variants: also add the head noun phrase of list-like names.
    """

    exclude_code_prefixes: list[str] = field(default_factory=list)
    site_qualified_chapters: list[str] = field(default_factory=list)
    head_variants: bool = True


@dataclass
class NoOptions:
    """Loaders that take no options."""


# The options each loader accepts; a format not listed here accepts none.
SOURCE_OPTIONS: dict[str, type] = {"kcd_csv": KcdOptions, "kcd_json": KcdOptions}


def check_source_options(source: SourceConfig, fmt: str, where: str) -> dict[str, Any]:
    """The source's options, checked by type against its loader's options class;
    only the keys given are returned (loaders keep their own defaults)."""
    cls = SOURCE_OPTIONS.get(fmt, NoOptions)
    checked = from_mapping(cls, dict(source.options), where=where,
                           keys=f"source {source.name or source.path!r} ({fmt}) options.")
    return {k: getattr(checked, k) for k in source.options}


def _unknown_type(type_: str, known: list[str]) -> str:
    near = [k for k in known if k.lower() == str(type_).strip().lower()]
    hint = f"did you mean {near[0]!r}? " if near else ""
    return (f"unknown entity type {type_!r}; {hint}known types: {', '.join(known)} (list new "
            "types in the config's type_priority)")


def check_types(entries: list, cfg: GazetteerConfig, path: Path) -> None:
    """Every loaded entry has a type the config knows (type_priority); a miscased or
    misspelt type would otherwise become a type of its own silently."""
    known = set(cfg.type_priority)
    for e in entries:
        if e.type not in known:
            raise InputError(f"{_unknown_type(e.type, cfg.type_priority)} (term {e.term!r})",
                             path=str(path))


def load_gazetteer_config(path: str | Path) -> GazetteerConfig:
    data = load_mapping(path)
    raw_sources = data.pop("sources", [])
    if not isinstance(raw_sources, list):
        raise ConfigError(f"{path}: 'sources' must be a list")
    data.setdefault("base_dir", str(Path(path).resolve().parent))
    cfg = from_mapping(GazetteerConfig, data, where=str(path))
    for i, s in enumerate(raw_sources):
        if not isinstance(s, dict):
            raise ConfigError(f"{path}: sources[{i}] must be a mapping with at least 'path'")
        cfg.sources.append(from_mapping(SourceConfig, s, where=str(path), keys=f"sources[{i}]."))
    if not cfg.sources:
        raise ConfigError(f"{path}: no sources listed; add at least one under 'sources:'")
    for i, s in enumerate(cfg.sources):
        check_source_options(s, s.format or guess_format(cfg.resolve(s)), where=str(path))
        if s.type is not None and s.type not in cfg.type_priority:
            raise ConfigError(f"{path}: sources[{i}].type: "
                              f"{_unknown_type(s.type, cfg.type_priority)}")
    return cfg


def table_config(path: str | Path) -> GazetteerConfig:
    """A config for one term,type table given directly on the command line."""
    p = Path(path).resolve()
    return GazetteerConfig(name=p.stem, sources=[SourceConfig(str(p), format="term_table",
                                                              name=p.stem)],
                           base_dir=str(p.parent))


def load_config_or_table(path: str | Path) -> GazetteerConfig:
    """A YAML/TOML build config, or a TSV/CSV term table used as the only source."""
    if Path(path).suffix.lower() in {".yaml", ".yml", ".toml"}:
        return load_gazetteer_config(path)
    return table_config(path)
