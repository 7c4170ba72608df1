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
# Short Korean definitions of the KBMC types: GLiNER2 reads them as label prompts
# (training, GLiNER2 data export and instruction data share this one default).
KBMC_DESCRIPTIONS: dict[str, str] = {
    "Disease": "질병, 증상, 의학적 상태",
    "Body": "신체 부위, 장기, 해부학적 구조",
    "Treatment": "치료법, 시술, 약물 투여",
}

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
        """An entity from its JSON object; ValueError says what is wrong with it."""
        if not isinstance(d, Mapping):
            raise ValueError(f"an entity must be a JSON object, got {_kind(d)} {_short(d)}")
        missing = [k for k in ("type", "start", "end") if k not in d]
        if missing:
            raise ValueError(f"entity {_short(d)} lacks {', '.join(missing)}")
        start, end, type_ = d["start"], d["end"], d["type"]
        if not _is_int(start) or not _is_int(end):
            raise ValueError(f"entity offsets must be integers, got start={start!r} end={end!r}")
        if not isinstance(type_, str) or not type_.strip():
            raise ValueError(f"entity type must be a non-empty string, got {type_!r}")
        text = d.get("text", "")
        if not isinstance(text, str):
            raise ValueError(f"entity text must be a string, got {_kind(text)} {_short(text)}")
        extra = {k: v for k, v in d.items() if k not in _ENTITY_KEYS}
        return cls(type_, text, start, end, _meta(d.get("meta"), "entity"), extra or None)


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
        """A record from its JSON object, checked for shape (the one place every
        reader goes through): ids are strings or integers, text is a string of valid
        Unicode, entities a list of entity objects and meta an object. ValueError
        says what is wrong."""
        if not isinstance(d, Mapping):
            raise ValueError(f"a record must be a JSON object, got {_kind(d)}")
        if "text" not in d:
            raise ValueError("record has no 'text' field")
        if not isinstance(d["text"], str):
            raise ValueError(f"'text' must be a string, got {_kind(d['text'])}")
        ents_raw = d.get("entities")
        if ents_raw is None:
            ents_raw = []
        if not isinstance(ents_raw, list):
            raise ValueError(f"'entities' must be a list, got {_kind(ents_raw)}")
        ents = [Entity.from_dict(e) for e in ents_raw]
        extra = {k: v for k, v in d.items() if k not in _RECORD_KEYS}
        rec = cls(record_id(d.get("id")), d["text"], ents, _meta(d.get("meta"), "record"),
                  extra or None)
        check_unicode(rec.text, "text")
        return rec

    def sorted_entities(self) -> list[Entity]:
        return sorted(self.entities, key=lambda e: (e.start, e.end, e.type))

    def copy_with(self, entities: Iterable[Entity]) -> "Record":
        return Record(self.id, self.text, list(entities),
                      dict(self.meta) if self.meta else None,
                      dict(self.extra) if self.extra else None)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value),
                                                                    type(value).__name__)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _meta(value: Any, what: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{what} 'meta' must be an object, got {_kind(value)} {_short(value)}")
    return value or None


def record_id(value: Any) -> str | int | None:
    """A record id as kmner keeps it: a string or an integer (kept as given, so
    files round-trip exactly), or None (the reader may then number the record)."""
    if value is None or isinstance(value, str) or _is_int(value):
        return value
    raise ValueError(f"'id' must be a string or an integer, got {_kind(value)} {_short(value)}")


def check_unicode(text: str, what: str) -> str:
    """``text`` unchanged, or ValueError if it holds a lone surrogate (JSON allows
    "\\ud800", UTF-8 cannot encode it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} is not valid Unicode: lone surrogate "
                         f"{text[exc.start]!r} at character {exc.start}") from None
    return text


def entity_problems(record: Record, *, types: Iterable[str] | None = None,
                    allow_overlaps: bool = False, allow_duplicates: bool = False) -> list[str]:
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
    if not allow_duplicates:
        seen: set[tuple[int, int, str]] = set()
        for ent in record.entities:
            if ent.key in seen:
                problems.append(f"entity {ent.text!r} [{ent.start}:{ent.end}] {ent.type} is "
                                "listed twice (it would be counted twice); remove the copy")
            seen.add(ent.key)
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
