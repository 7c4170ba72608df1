"""Mentions without offsets (GLiNER2 JSONL, LLM answers) located in their text.

A mention string is searched in the text; longer mentions are placed first and an
occurrence never overlaps one already placed, so "위" inside "위염" is not taken
when "위염" is listed too. A mention listed once but found several times is
ambiguous: by default every occurrence is taken (what GLiNER2 itself trains on)
and the case is reported; a mention not found at all is reported as unlocatable.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Literal

from kmner.core.records import Entity, make_entity

Ambiguous = Literal["all", "first", "error"]


@dataclass
class Located:
    entities: list[Entity] = field(default_factory=list)
    unlocatable: list[tuple[str, str]] = field(default_factory=list)  # (type, mention)
    ambiguous: list[tuple[str, str, int, int]] = field(default_factory=list)  # listed, found
    bad_offsets: list[str] = field(default_factory=list)


def _occurrences(text: str, mention: str, taken: bytearray) -> list[int]:
    out = []
    pos = text.find(mention)
    while pos != -1:
        if not any(taken[pos:pos + len(mention)]):
            out.append(pos)
            pos = text.find(mention, pos + len(mention))
        else:
            pos = text.find(mention, pos + 1)
    return out


def locate_mentions(text: str, strings: Iterable[tuple[str, str]],
                    pinned: Iterable[tuple[str, str, int, int]] = (), *,
                    ambiguous: Ambiguous = "all") -> Located:
    """Entities for ``strings`` ``(type, mention)`` located in ``text`` and for
    ``pinned`` ``(type, mention, start, end)`` checked against it."""
    result = Located()
    taken = bytearray(len(text))
    for type_, mention, start, end in pinned:
        if not (0 <= start < end <= len(text)) or text[start:end] != mention:
            found = text[start:end] if 0 <= start < end <= len(text) else None
            result.bad_offsets.append(f"{type_} {mention!r} at [{start}:{end}] does not match "
                                      f"the text (which has {found!r} there)")
            continue
        result.entities.append(make_entity(text, start, end, type_))
        for i in range(start, end):
            taken[i] = 1
    listed = Counter((t, m) for t, m in strings if m)
    for (type_, mention), n_listed in sorted(listed.items(), key=lambda kv: -len(kv[0][1])):
        found = _occurrences(text, mention, taken)
        if not found:
            result.unlocatable.append((type_, mention))
            continue
        if len(found) > n_listed:
            result.ambiguous.append((type_, mention, n_listed, len(found)))
            if ambiguous == "first":
                found = found[:n_listed]
        for pos in found:
            result.entities.append(make_entity(text, pos, pos + len(mention), type_))
            for i in range(pos, pos + len(mention)):
                taken[i] = 1
    result.entities.sort(key=lambda e: (e.start, e.end, e.type))
    return result


def mention_lists(entities: Iterable[Entity], types: Iterable[str] = ()) -> dict[str, list[str]]:
    """``{type: [mention, ...]}`` in text order; every type in ``types`` is present,
    empty when it has no mention (a negative for the model)."""
    out: dict[str, list[str]] = {t: [] for t in types}
    for e in sorted(entities, key=lambda e: (e.start, e.end, e.type)):
        out.setdefault(e.type, []).append(e.text)
    return out
