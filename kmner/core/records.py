"""The KBMC-style record model shared by every stage.

A record is ``{"id", "text", "entities": [{"type", "text", "start", "end"}]}`` with
Python code-point offsets, end exclusive. Optional ``meta`` dicts carry provenance
(source, matched term, dictionary code, score). Keys we do not know are kept in
``extra`` and written back unchanged, so kmner never loses a field it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from kmner.core.errors import InputError

KBMC_TYPES = ("Disease", "Body", "Treatment")

_ENTITY_KEYS = {"type", "text", "start", "end", "meta"}
_RECORD_KEYS = {"id", "text", "entities", "meta"}


@dataclass(frozen=True, slots=True)
class Entity:
    """One span of a record's text. ``text == record.text[start:end]`` always holds
    for a validated record."""

    type: str
    text: str
    start: int
    end: int
    meta: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    extra: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def key(self) -> tuple[int, int, str]:
        """Identity used for strict matching: offsets and type."""
        return (self.start, self.end, self.type)

    def overlaps(self, other: "Entity") -> bool:
        return self.start < other.end and other.start < self.end

    def with_type(self, new_type: str) -> "Entity":
        return Entity(new_type, self.text, self.start, self.end, self.meta, self.extra)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "text": self.text,
                               "start": self.start, "end": self.end}
        if self.meta:
            out["meta"] = dict(self.meta)
        if self.extra:
            out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Entity":
        missing = [k for k in ("type", "start", "end") if k not in d]
        if missing:
            raise ValueError(f"entity {dict(d)!r} lacks {', '.join(missing)}")
        start, end = d["start"], d["end"]
        if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) \
                or isinstance(end, bool):
            raise ValueError(f"entity offsets must be integers, got start={start!r} end={end!r}")
        extra = {k: v for k, v in d.items() if k not in _ENTITY_KEYS}
        return cls(str(d["type"]), str(d.get("text", "")), start, end,
                   d.get("meta") or None, extra or None)


@dataclass(slots=True)
class Record:
    """A text with its entity spans."""

    id: Any
    text: str
    entities: list[Entity] = field(default_factory=list)
    meta: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "text": self.text,
                               "entities": [e.to_dict() for e in self.entities]}
        if self.meta:
            out["meta"] = self.meta
        if self.extra:
            out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Record":
        if not isinstance(d, Mapping):
            raise ValueError(f"a record must be a JSON object, got {type(d).__name__}")
        if "text" not in d:
            raise ValueError("record has no 'text' field")
        if not isinstance(d["text"], str):
            raise ValueError(f"'text' must be a string, got {type(d['text']).__name__}")
        ents_raw = d.get("entities") or []
        if not isinstance(ents_raw, list):
            raise ValueError("'entities' must be a list")
        ents = [Entity.from_dict(e) for e in ents_raw]
        extra = {k: v for k, v in d.items() if k not in _RECORD_KEYS}
        return cls(d.get("id"), d["text"], ents, d.get("meta") or None, extra or None)

    def sorted_entities(self) -> list[Entity]:
        return sorted(self.entities, key=lambda e: (e.start, e.end, e.type))

    def copy_with(self, entities: Iterable[Entity]) -> "Record":
        return Record(self.id, self.text, list(entities),
                      dict(self.meta) if self.meta else None,
                      dict(self.extra) if self.extra else None)


def entity_problems(record: Record, *, types: Iterable[str] | None = None,
                    allow_overlaps: bool = False) -> list[str]:
    """Everything wrong with a record's spans, as human-readable sentences."""
    problems: list[str] = []
    n = len(record.text)
    known = set(types) if types is not None else None
    for ent in record.entities:
        label = f"entity {ent.text!r} [{ent.start}:{ent.end}] {ent.type}"
        if not (0 <= ent.start < ent.end <= n):
            problems.append(f"{label} lies outside the text (length {n}) or is empty")
            continue
        actual = record.text[ent.start:ent.end]
        if actual != ent.text:
            problems.append(f"{label} does not match the text, which has {actual!r} there")
        if known is not None and ent.type not in known:
            problems.append(f"{label} has unknown type {ent.type!r}; known: {sorted(known)}")
    if not allow_overlaps:
        ordered = record.sorted_entities()
        for a, b in zip(ordered, ordered[1:]):
            if a.overlaps(b):
                problems.append(f"entities {a.text!r} [{a.start}:{a.end}] and {b.text!r} "
                                f"[{b.start}:{b.end}] overlap")
    return problems


def validate_record(record: Record, *, types: Iterable[str] | None = None,
                    allow_overlaps: bool = False, path: str | None = None,
                    line: int | None = None) -> Record:
    """Return the record unchanged, or raise InputError naming it and every problem."""
    problems = entity_problems(record, types=types, allow_overlaps=allow_overlaps)
    if problems:
        raise InputError("; ".join(problems), path=path, line=line, record_id=record.id)
    return record


def make_entity(text: str, start: int, end: int, type_: str,
                meta: Mapping[str, Any] | None = None) -> Entity:
    """Build an entity whose surface is taken from ``text`` itself, never from a
    tokenizer's normalised form."""
    if not (0 <= start < end <= len(text)):
        raise ValueError(f"span [{start}:{end}] outside text of length {len(text)}")
    return Entity(type_, text[start:end], start, end, dict(meta) if meta else None)
