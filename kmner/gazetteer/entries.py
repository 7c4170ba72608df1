"""Typed dictionary entries, the unit every source loader produces."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Entry:
    """One surface form of a concept.

    ``term`` is the cleaned surface that will be matched; ``raw`` is the name as
    the source wrote it (before cleaning), kept for provenance; ``code`` is the
    source's identifier (a KCD code, a HIRA ingredient code); ``synonyms`` are
    other names the source gives for the same concept (English names, aliases),
    recorded but not matched unless a source asks for it.
    """

    term: str
    type: str
    source: str
    code: str | None = None
    synonyms: tuple[str, ...] = ()
    raw: str | None = field(default=None, compare=False)
