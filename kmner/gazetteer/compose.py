"""Compositional spans: the rule layer after matching.

Dictionary hits that Kiwi accepted (matcher.select) are composed into the span a
KBMC annotator marks. Each rule is named, recorded in the entity's ``meta.rule``
and switched on or off in the gazetteer config (``compose.rules``):

* ``body_disease``: body part + a disease -> one Disease span (척추 측만증);
* ``body_symptom``: body part + a symptom (an entry of ``compose.symptom_sources``)
  -> one Disease span (가슴 통증, 잇몸 출혈, 손떨림);
* ``body_head``: body part(s) + a generic head noun -> Disease (갑상선 기능 항진증,
  기관지 염증, 성대결절). Heads (``compose.heads``) are never entities on their own;
* ``body_suffix``: a body part + a one-syllable head morpheme in the same word
  (식도+염, 허리+통) -> Disease;
* ``modifier``: a word of nominal morphemes ending in the suffix 성 (혈관성,
  역류성) or a listed modifier (급성, 만성) right before a disease belongs to its
  name; a hit that is only the stem of such a word (역류 in 역류성) is not an entity;
* ``side_body``: a laterality word (``compose.sides``: 왼쪽, 우측) right before a
  body part belongs to it (왼쪽 다리 -> Body); before a disease name it stays outside.

Parts join only when nothing but one space or nothing at all lies between them and
Kiwi reads both sides of the join as nominal morphemes, so composition never
crosses a particle, a predicate or a numeral (배가 아프고: 배 stays Body).
Laterality (좌측, 우측, 양측) is not a modifier, so it stays outside a disease name;
only ``side_body`` puts it inside a body part. Uncomposed heads and parts are dropped.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Sequence

from kmner.gazetteer.boundaries import MorphIndex
from kmner.gazetteer.config import COMPOSE_RULES, HEAD_TYPE, PART_TYPE

# Tags that may meet at a join: Kiwi must read both sides as nouns (or roots,
# Latin or Hanja).
JOIN_TAGS = frozenset({"NNG", "NNP", "XR", "SL", "SH"})
# ... and a noun suffix may end the left side (자율신경+계 이상); the adjectival 성
# never reaches a join (a hit before it is a modifier stem).
LEFT_JOIN_TAGS = JOIN_TAGS | {"XSN"}
# ... and the right side may be a dictionary symptom that is a nominalised verb
# (손 떨림 = 손 + 떨리/VV ᆷ/ETN); the right side is always a dictionary hit.
RIGHT_JOIN_TAGS = JOIN_TAGS | {"VV", "VA"}
# Tags a modifier word may consist of (혈관/NNG 성/XSN, 근육/NNG 긴장/NNG 성/XSN).
MODIFIER_TAGS = frozenset({"NNG", "NNP", "XR", "XPN", "XSN"})
# Every rule string compose can write, with the type of the span it writes.
COMPOSED_RULES = {r: "Disease" for r in COMPOSE_RULES} | {
    f"modifier+{r}": "Disease" for r in ("body_disease", "body_symptom", "body_head",
                                         "body_suffix")}
COMPOSED_RULES["body_part"] = COMPOSED_RULES["side_body"] = "Body"
_BODY_LIKE = ("Body", PART_TYPE)

Hit = tuple[int, int, int, str]


def compose_settings(info: dict[str, Any], sources: Sequence[str] = ()
                     ) -> dict[str, Any] | None:
    """Composer keyword arguments from a compiled gazetteer's stored config and its
    per-term sources, or None when it has no compose rules, heads or parts."""
    comp = (info.get("config") or {}).get("compose") or {}
    rules = [r for r in COMPOSE_RULES if (comp.get("rules") or {}).get(r)]
    if not rules and not comp.get("heads") and not comp.get("parts"):
        return None
    symptom = set(comp.get("symptom_sources") or ())
    # few distinct source strings ("kcd|symptoms"), many terms: test each string once
    named = {s for s in set(sources) if not symptom.isdisjoint(s.split("|"))}
    symptoms = frozenset(i for i, s in enumerate(sources) if s in named) if named \
        else frozenset()
    return {"rules": rules, "suffix_heads": comp.get("suffix_heads") or [],
            "modifiers": comp.get("modifiers") or [],
            "within_word": comp.get("within_word") or [], "symptoms": symptoms,
            "sides": comp.get("sides") or []}


class Composer:
    """Composes the accepted hits of one text (``__call__``), given the term types."""

    def __init__(self, types: Sequence[str], rules: Sequence[str],
                 suffix_heads: Sequence[str] = (), modifiers: Sequence[str] = (),
                 within_word: Sequence[str] = (), symptoms: frozenset[int] = frozenset(),
                 sides: Sequence[str] = ()) -> None:
        self.types = types
        self.sides = frozenset(sides)
        self.symptoms = symptoms
        self.rules = frozenset(rules)
        self.within_word = frozenset(within_word)
        self.suffix_heads = frozenset(suffix_heads)
        self.modifiers = frozenset(modifiers)
        # last characters a modifier or side word can end in: a one-character test
        # before any word or morpheme is looked at (this runs for every sentence)
        self._mod_last = frozenset("성") | {m[-1] for m in modifiers if m}
        self._side_last = frozenset(w[-1] for w in sides if w)
        self._suffix_first = frozenset(h[0] for h in suffix_heads if h)
        self._suffix = "body_suffix" in self.rules
        self._modifier = "modifier" in self.rules
        self._side = "side_body" in self.rules

    def __call__(self, text: str, hits: list[Hit], idx: MorphIndex) -> list[Hit]:
        """This runs for every sentence with a hit, so each rule first tests one
        character next to a span before it looks at words or morphemes."""
        if self._modifier:
            n = len(text)
            hits = [h for h in hits if h[1] >= n or text[h[1]] != "성"
                    or not _before_seong(idx, h[1])]
        return self._finish(text, self._bodies(text, hits, idx), idx)

    def _finish(self, text: str, spans: list[Hit], idx: MorphIndex) -> list[Hit]:
        """body_suffix, modifier and side_body in one pass; uncomposed heads and
        parts are dropped."""
        types, size, out = self.types, len(text), []
        for n, h in enumerate(spans):
            if self._suffix and h[1] < size and text[h[1]] in self._suffix_first:
                h = self._suffixed(text, spans, n, idx)
            before = h[0] - 2 if h[0] > 1 and text[h[0] - 1] == " " else h[0] - 1
            if before >= 0:
                c, start = text[before], None
                if self._modifier and c in self._mod_last and (
                        COMPOSED_RULES.get(h[3]) == "Disease" or types[h[2]] == "Disease"):
                    start = self._modifier_start(text, idx, h[0])
                    rule = f"modifier+{h[3]}" if h[3] in COMPOSED_RULES else "modifier"
                elif (self._side and c in self._side_last and types[h[2]] == "Body"
                      and h[3] not in COMPOSED_RULES):
                    start = _word_before(text, h[0])
                    if start is not None and text[start:h[0]].rstrip(" ") not in self.sides:
                        start = None
                    rule = "side_body"
                if start is not None and out and out[-1][0] < start < out[-1][1]:
                    start = None  # the word already ends a kept span (메티실린 내성)
                if start is not None:
                    while out and out[-1][0] >= start:  # hits inside the joined word
                        out.pop()
                    h = (start, h[1], h[2], rule)
            if h[3] in COMPOSED_RULES or types[h[2]] not in (HEAD_TYPE, PART_TYPE):
                out.append(h)
        return out

    # -- body part + disease, head or generic body word ---------------------------
    def _bodies(self, text: str, hits: list[Hit], idx: MorphIndex) -> list[Hit]:
        """Body hits joined to a following disease or head hit (body parts written
        together in one word included: 발목인대손상), and to a following generic
        body word (얼굴신경)."""
        types, rules = self.types, self.rules
        out: list[Hit] = []
        for h in hits:
            if not out or h[0] - out[-1][1] > 1:  # nothing adjacent to join (most hits)
                out.append(h)
                continue
            t = types[h[2]]
            rule = ((("body_symptom" if h[2] in self.symptoms else "body_disease")
                     if t == "Disease" else "body_head" if t == HEAD_TYPE
                     else "body_part" if t == PART_TYPE else None))
            if (rule in rules and self._body(out[-1])
                    and (h[0] == out[-1][1] or rule not in self.within_word)
                    and joins(text, idx, out[-1][1], h[0])):
                if rule == "body_part":
                    if types[out[-1][2]] == "Body":  # a body part, not a generic word
                        last = out.pop()
                        h = (last[0], h[1], last[2], rule)
                else:
                    start = out.pop()[0]
                    # more body parts only inside the same word (인대+손상 in
                    # 발목인대손상): across spaces they are a list (등 허리 어깨 통증)
                    while out and self._body(out[-1]) and out[-1][1] == start \
                            and joins(text, idx, out[-1][1], start):
                        start = out.pop()[0]
                    h = (start, h[1], h[2], rule)
            out.append(h)
        return out

    def _body(self, h: Hit) -> bool:
        """A body part: a Body or Part hit, or a body_part span."""
        return h[3] == "body_part" or (self.types[h[2]] in _BODY_LIKE
                                       and h[3] not in COMPOSED_RULES)

    def _suffixed(self, text: str, spans: list[Hit], n: int, idx: MorphIndex) -> Hit:
        """Span ``n`` extended over a one-syllable head morpheme right after it in
        the same word when it is a body part (식도+염), else unchanged."""
        h = spans[n]
        if not self._body(h):
            return h
        k = bisect_left(idx.starts, h[1])
        if (k < len(idx) and idx.starts[k] == h[1] and idx.form(k) in self.suffix_heads
                and idx.tag(k) in ("NNG", "XSN") and _word_ends(text, idx, k)
                and (n + 1 == len(spans) or spans[n + 1][0] >= idx.ends[k])):
            return (h[0], idx.ends[k], h[2], "body_suffix")
        return h

    # -- modifiers ----------------------------------------------------------------
    def _modifier_start(self, text: str, idx: MorphIndex, start: int) -> int | None:
        """Start of a modifier word that ends at ``start`` (attached: 역류성식도염)
        or one space before it (혈관성 편두통), or None."""
        ws = _word_before(text, start)
        if ws is None:
            return None
        end = start - 1 if text[start - 1] == " " else start
        if text[ws:end] in self.modifiers:
            return ws
        p = idx.previous(end)
        if p < 0 or idx.ends[p] != end or idx.tag(p) != "XSN" or idx.form(p) != "성":
            return None
        k = p
        while k >= 0 and idx.starts[k] >= ws:
            if idx.tag(k) not in MODIFIER_TAGS:
                return None
            k -= 1
        return ws if idx.starts[k + 1] == ws and k + 1 < p else None


def joins(text: str, idx: MorphIndex, end: int, start: int) -> bool:
    """May a span ending at ``end`` join one starting at ``start``? Only nothing or
    one space between, and Kiwi reads nouns on both sides of the join."""
    if start - end > 1 or start < end or (start > end and text[end] != " "):
        return False
    p = idx.previous(end)
    k = bisect_left(idx.starts, start)
    return (p >= 0 and idx.ends[p] == end and idx.tag(p) in LEFT_JOIN_TAGS
            and k < len(idx) and idx.starts[k] == start and idx.tag(k) in RIGHT_JOIN_TAGS)


def _word_before(text: str, start: int) -> int | None:
    """Start of the word that ends at ``start`` (attached) or one space before it."""
    end = start - 1 if start > 0 and text[start - 1] == " " else start
    if end <= 0 or text[end - 1].isspace():
        return None
    ws = end
    while ws > 0 and not text[ws - 1].isspace():
        ws -= 1
    return ws


def _before_seong(idx: MorphIndex, end: int) -> bool:
    """Is the morpheme right after ``end`` the adjectival suffix 성 (역류|성)?"""
    k = bisect_left(idx.starts, end)
    return k < len(idx) and idx.starts[k] == end and idx.form(k) == "성" \
        and idx.tag(k) == "XSN"


def _word_ends(text: str, idx: MorphIndex, k: int) -> bool:
    """Does morpheme ``k`` end its noun: text end, a space, punctuation or a
    non-nominal morpheme (a particle, an ending) follows?"""
    end = idx.ends[k]
    if end >= len(text) or not text[end].isalnum():
        return True
    return k + 1 < len(idx) and idx.tag(k + 1) not in JOIN_TAGS and idx.tag(k + 1) != "NNB"
