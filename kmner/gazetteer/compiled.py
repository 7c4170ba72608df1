"""A compiled gazetteer: one file with the Aho-Corasick automaton over match keys,
the per-term metadata and a content hash.

The file holds data only (see gazfile.py): loading one can never run code, so
gazetteers can be shared safely.
"""

from __future__ import annotations

import hashlib
import json
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmner.core.errors import InputError
from kmner.core.runinfo import to_mapping
from kmner.gazetteer.build import MergedTerm, build_terms
from kmner.gazetteer.gazfile import FORMAT, read_gazetteer, write_gazetteer
from kmner.gazetteer.keys import match_key

__all__ = ["FORMAT", "CompiledGazetteer", "build_gazetteer", "compile_terms"]


@dataclass
class CompiledGazetteer:
    """Columnar term table plus its automaton. Term ``i`` has match key length
    ``key_lens[i]``; the automaton maps each key to ``i``."""

    automaton: Any
    surfaces: list[str]
    types: list[str]
    key_lens: array
    sources: list[str]           # "kcd|kcd_chapter_r"
    codes: list[str]             # "kcd:C16|..."
    alt_types: dict[int, str] = field(default_factory=dict)  # id -> "Body|Treatment"
    info: dict[str, Any] = field(default_factory=dict)      # name, hash, report, config
    # values derived from the table once per loaded gazetteer (a Matcher's compose
    # settings), so that every run on a loaded gazetteer does not redo them
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def content_hash(self) -> str:
        return self.info.get("content_hash", "")

    def __len__(self) -> int:
        return len(self.surfaces)

    def entry(self, i: int) -> dict[str, Any]:
        out = {"term": self.surfaces[i], "type": self.types[i],
               "source": self.sources[i], "code": self.codes[i] or None}
        if i in self.alt_types:
            out["ambiguous"] = self.alt_types[i].split("|")
        return out

    def lookup(self, term: str) -> dict[str, Any] | None:
        """The entry whose match key equals that of ``term``, if any."""
        key = match_key(term)
        if not key or key not in self.automaton:
            return None
        return self.entry(self.automaton.get(key))

    def save(self, path: str | Path) -> None:
        write_gazetteer(path, self)

    @classmethod
    def load(cls, path: str | Path) -> "CompiledGazetteer":
        p = Path(path)
        if not p.exists():
            raise InputError("gazetteer file not found; build one with `kmner gazetteer "
                             "build CONFIG -o FILE`", path=str(p))
        if not p.is_file():
            raise InputError("is a folder or a special file, not a compiled gazetteer file; "
                             "give the file", path=str(p))
        t0 = time.perf_counter()
        gaz = cls(**read_gazetteer(p))
        gaz.info["load_seconds"] = round(time.perf_counter() - t0, 4)
        gaz.info["path"] = str(p)
        return gaz


def content_hash(merged: dict[str, MergedTerm], compose: Any = None) -> str:
    """SHA-256 over every key and its metadata in key order, and the compose rules
    (they change what matches): equal content, equal hash, whatever order the
    sources listed the terms in."""
    h = hashlib.sha256()
    if compose and any(compose.values()):
        h.update(json.dumps(compose, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    for key in sorted(merged):
        m = merged[key]
        h.update("\x1f".join((key, m.surface, m.type, "|".join(m.sources), "|".join(m.codes),
                               "|".join(m.alt_types))).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def compile_terms(merged: dict[str, MergedTerm], info: dict[str, Any] | None = None
                  ) -> CompiledGazetteer:
    import ahocorasick

    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    surfaces, types, sources, codes = [], [], [], []
    key_lens = array("H")
    alt: dict[int, str] = {}
    type_names: dict[str, str] = {}
    for i, (key, m) in enumerate(merged.items()):
        automaton.add_word(key, i)
        surfaces.append(m.surface)
        types.append(type_names.setdefault(m.type, m.type))  # share the str objects
        key_lens.append(len(key))
        sources.append("|".join(m.sources))
        codes.append("|".join(m.codes))
        if m.alt_types:
            alt[i] = "|".join(m.alt_types)
    automaton.make_automaton()
    info = dict(info or {})
    info["content_hash"] = content_hash(merged, (info.get("config") or {}).get("compose"))
    info["n_terms"] = len(surfaces)
    return CompiledGazetteer(automaton, surfaces, types, key_lens, sources, codes, alt, info)


def build_gazetteer(cfg) -> CompiledGazetteer:
    """Load, clean, merge and compile the sources named by a GazetteerConfig."""
    t0 = time.perf_counter()
    merged, report = build_terms(cfg)
    gaz = compile_terms(merged, {"name": cfg.name, "report": report.to_dict(),
                                 "config": to_mapping(cfg),
                                 "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    gaz.info["build_seconds"] = round(time.perf_counter() - t0, 3)
    return gaz

