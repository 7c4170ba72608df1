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
# Compositional span rules (kmner/gazetteer/compose.py), by the name recorded in meta.rule.
COMPOSE_RULES = ("body_disease", "body_symptom", "body_head", "body_suffix", "body_part",
                 "modifier", "side_body")
# The type given to generic head nouns: they are matched but never become entities
# on their own; only the compose rules use them.
HEAD_TYPE = "Head"
# The type given to generic body words (신경, 근육): body parts only inside a
# composed span, never entities on their own.
PART_TYPE = "Part"


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
class ComposeConfig:
    """Rules that compose adjacent matches into the span an annotator would mark.

    rules: which rules run, by name (all off unless listed as true): ``body_disease``
        (body part + disease -> Disease), ``body_symptom`` (body part + symptom ->
        Disease; a symptom is an entry from one of ``symptom_sources``), ``body_head``
        (body part + a generic head noun -> Disease), ``body_suffix`` (body part + a one-syllable
        head morpheme in the same word, 식도+염 -> Disease), ``body_part`` (body
        part + a generic body word, 얼굴+신경 -> Body), ``modifier`` (a -성 word
        or a listed modifier before a disease belongs to its name) and ``side_body``
        (a laterality word before a body part belongs to it: 왼쪽 다리 -> Body;
        before a disease name it stays outside).
    heads: generic head nouns (염증, 손상, 협착, 디스크 ...). They are entries of type
        ``Head``: matched, never entities on their own, and entries of any other
        source with the same surface are dropped (a type policy, reported per source).
    parts: generic body words (신경, 근육, 혈관, 뼈): type ``Part``, body parts inside
        a composed span only (근육 통증), never entities on their own.
    suffix_heads: one-syllable heads that attach to a body part inside one word
        (염, 증, 통), checked on Kiwi's morphemes.
    modifiers: disease-name modifiers kept inside the name (급성, 만성 ...); any
        word of nominal morphemes ending in the suffix 성 (혈관성) counts too.
    within_word: rules that join parts written together only (허리통증), not parts
        one space apart (허리 통증 stays Body + Disease).
    symptom_sources: sources whose entries are symptoms (KCD chapter R ...).
    sides: laterality words for ``side_body`` (왼쪽, 오른쪽, 양쪽, 좌측 ...).
    """

    rules: dict[str, bool] = field(default_factory=dict)
    heads: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    suffix_heads: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    within_word: list[str] = field(default_factory=list)
    symptom_sources: list[str] = field(default_factory=list)
    sides: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = [r for r in [*self.rules, *self.within_word] if r not in COMPOSE_RULES]
        if unknown:
            raise ConfigError(f"unknown compose rule {unknown[0]!r}; known: "
                              f"{', '.join(COMPOSE_RULES)}")

    def enabled(self) -> list[str]:
        return [r for r in COMPOSE_RULES if self.rules.get(r)]


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
    exclude_terms: surfaces never to match (stop list). A source's own
        ``options.exclude_terms`` drops surfaces of that source only (homonyms whose
        everyday sense is another type, such as 주사 "injection" in KCD).
    compose: compositional span rules and their head nouns (see ComposeConfig).
    """

    name: str = "gazetteer"
    sources: list[SourceConfig] = field(default_factory=list)
    conflicts: str = "priority"
    type_priority: list[str] = field(default_factory=lambda: ["Disease", "Treatment", "Body"])
    min_chars: int = 1
    max_chars: int = 40
    exclude_terms: list[str] = field(default_factory=list)
    compose: ComposeConfig = field(default_factory=ComposeConfig)
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
class SourceOptions:
    """Options every loader takes.

    exclude_terms: surfaces of this source never to enter the gazetteer (homonyms
        whose everyday sense is another type; the type policy at the source).
    """

    exclude_terms: list[str] = field(default_factory=list)


@dataclass
class KcdOptions(SourceOptions):
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
class AnatomyOptions(SourceOptions):
    """Options of the anatomy_tsv loader.

    exclude_sections: section or subsection names whose rows are not body sites
        (blood components, cells).
    exclude_suffixes: names ending so are left out (세포 "cell").
    """

    exclude_sections: list[str] = field(default_factory=list)
    exclude_suffixes: list[str] = field(default_factory=list)


# Loaders that take only the common options.
NoOptions = SourceOptions

# The options each loader accepts; a format not listed here accepts the common ones.
SOURCE_OPTIONS: dict[str, type] = {"kcd_csv": KcdOptions, "kcd_json": KcdOptions,
                                   "anatomy_tsv": AnatomyOptions}


def check_source_options(source: SourceConfig, fmt: str, where: str) -> dict[str, Any]:
    """The source's options, checked by type against its loader's options class;
    only the keys given are returned (loaders keep their own defaults)."""
    cls = SOURCE_OPTIONS.get(fmt, SourceOptions)
    checked = from_mapping(cls, dict(source.options), where=where,
                           keys=f"source {source.name or source.path!r} ({fmt}) options.")
    return {k: getattr(checked, k) for k in source.options}


def _unknown_type(type_: str, known: list[str]) -> str:
    near = [k for k in known if k.lower() == str(type_).strip().lower()]
    hint = f"did you mean {near[0]!r}? " if near else ""
    return (f"unknown entity type {type_!r}; {hint}known types: {', '.join(known)} (list new "
            "types in the config's type_priority)")


def check_types(entries: list, cfg: GazetteerConfig, path: Path) -> None:
    """Every loaded entry has a type the config knows (type_priority, or the compose
    types Head and Part of an exported term table); a miscased or misspelt type
    would otherwise become a type of its own silently."""
    known = {*cfg.type_priority, HEAD_TYPE, PART_TYPE}  # compose heads and parts
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
