"""Korean word splitters for GLiNER2.

GLiNER2 predicts spans over *word* tokens, so a span can only end where a word
token ends. Its default whitespace splitter keeps an eojeol such as 당뇨병이 as one
token, which makes the gold span 당뇨병 unreachable. These splitters cut each
eojeol with Kiwi:

- ``kiwi-terms`` (default): ``kiwi-morphs``, then content morphemes are also cut
  where a dictionary term starts or ends inside them (귀 | 지, 감기 | 약, 결핵 | 균,
  골절 | 이 where Kiwi left the particle on), so annotators' sub-morpheme spans
  stay reachable. The dictionary is the bundled default gazetteer unless a
  compiled one is named; single-syllable terms only cut as a prefix (귀 | 지, not
  시 | 간);
- ``kiwi-morphs``: every morpheme is a token (당뇨 | 병 | 이 when Kiwi splits so);
- ``kiwi-parts``: each eojeol is cut where content morphemes meet function
  morphemes (particles, endings, copula, verb-forming suffixes) and around
  symbols, so 당뇨병이 -> 당뇨병 | 이 while 당뇨병 stays one token;
- ``whitespace``: GLiNER2's default, kept for comparison.

A splitter is a callable ``(text, lower) -> iterator of (token, start, end)``
with offsets into ``text``, as GLiNER2 expects. It caches offsets per text and
can be filled from pre-tokenised records (``tokens``: list of ``[start, end]``),
so a GPU machine without kiwipiepy can train and predict on prepared data.
The splitter is not saved in GLiNER2 checkpoints; :func:`splitter_spec` and
:func:`splitter_from_spec` store and restore it through kmner's metadata.
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator, Sequence

from kmner.core.errors import ConfigError, InputError
from kmner.core.kiwi_tokens import Unit, kiwi_units_many, morph_class, whitespace_spans
from kmner.core.records import Record
from kmner.gazetteer.compiled import CompiledGazetteer
from kmner.gazetteer.default import default_gazetteer_path
from kmner.gazetteer.matcher import Matcher

SPLITTER_NAMES = ("kiwi-terms", "kiwi-morphs", "kiwi-parts", "whitespace")
DEFAULT_SPLITTER = "kiwi-terms"

Offsets = list[tuple[int, int]]


class KoreanWordSplitter:
    """Callable word splitter with an offset cache (see module docstring)."""

    def __init__(self, name: str = DEFAULT_SPLITTER, *, user_dict: str | None = None,
                 allow_kiwi: bool | None = None, cache_limit: int = 500_000,
                 terms: str | None = None, terms_hash: str | None = None):
        if name not in SPLITTER_NAMES:
            raise ConfigError(f"unknown splitter {name!r}; valid: {', '.join(SPLITTER_NAMES)}")
        self.name = name
        self.user_dict = user_dict
        # kiwi-terms: compiled gazetteer whose terms cut morphemes (None: the bundled
        # default), and the content hash it must have (set when restoring a model)
        self.terms = terms
        self.terms_hash = terms_hash
        self._term_matcher = None
        # KMNER_NO_KIWI=1 makes every splitter rely on stored token offsets (GPU runs)
        self.allow_kiwi = (os.environ.get("KMNER_NO_KIWI") != "1") if allow_kiwi is None else allow_kiwi
        self.cache_limit = cache_limit
        self._cache: dict[str, Offsets] = {}

    # -- GLiNER2 protocol -------------------------------------------------
    def __call__(self, text: str, lower: bool = True) -> Iterator[tuple[str, int, int]]:
        for s, e in self.offsets(text):
            tok = text[s:e]
            yield (tok.lower() if lower else tok), s, e

    # -- offsets -----------------------------------------------------------
    def offsets(self, text: str) -> Offsets:
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        # GLiNER2 appends "." to text without final punctuation before splitting.
        if text.endswith(".") and text[:-1] in self._cache:
            return self._cache[text[:-1]] + [(len(text) - 1, len(text))]
        offs = self._compute([text])[0]
        self._remember(text, offs)
        return offs

    def prepare(self, texts: Iterable[str]) -> None:
        """Split many texts at once (Kiwi is much faster in batches) into the cache."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for text, offs in zip(todo, self._compute(todo)):
                self._remember(text, offs)

    def add_pretokenized(self, text: str, offsets: Sequence[Sequence[int]], *,
                         where: str = "record") -> None:
        """Use stored token offsets for ``text`` instead of running Kiwi."""
        offs = [(int(s), int(e)) for s, e in offsets]
        prev = 0
        for s, e in offs:
            if not (prev <= s < e <= len(text)) or text[s:e].strip() != text[s:e]:
                raise InputError(f"{where}: bad token offsets [{s}, {e}) for a text of "
                                 f"length {len(text)} (tokens must be sorted, non-empty, "
                                 f"non-overlapping and hold no spaces)")
            prev = e
        covered = sum(e - s for s, e in offs)
        if covered != len(text) - sum(1 for c in text if c.isspace()):
            raise InputError(f"{where}: token offsets do not cover every non-space character")
        self._remember(text, offs)

    def _remember(self, text: str, offs: Offsets) -> None:
        if len(self._cache) >= self.cache_limit:
            self._cache.clear()
        self._cache[text] = offs

    def _compute(self, texts: list[str]) -> list[Offsets]:
        if self.name == "whitespace":
            return [whitespace_spans(t) for t in texts]
        if not self.allow_kiwi:
            raise InputError(
                f"text not pre-tokenised and Kiwi is disabled for this splitter: {texts[0][:60]!r}; "
                "run `kmner tokenize` on the data first")
        out = []
        for text, units in zip(texts, kiwi_units_many(texts, user_dict=self.user_dict,
                                                      num_workers=1)):
            if self.name == "kiwi-parts":
                units = _group_parts(units)
            elif self.name == "kiwi-terms":
                units = _cut_at_terms(text, units, self.term_matcher())
            out.append([(s, e) for s, e, _ in units])
        return out

    def term_matcher(self):
        """The gazetteer matcher for kiwi-terms, loaded once and checked against the
        hash recorded with a model (other terms would cut other tokens)."""
        if self._term_matcher is None:
            try:
                path = self.terms or default_gazetteer_path()
            except InputError as exc:
                raise InputError(f"{exc} (the kiwi-terms splitter cuts at its terms; "
                                 "set `splitter: kiwi-morphs` to train without it)") from None
            gaz = CompiledGazetteer.load(path)
            if self.terms_hash and gaz.content_hash != self.terms_hash:
                raise InputError(
                    f"the kiwi-terms splitter of this model was built with gazetteer "
                    f"{self.terms_hash}, but {path} is {gaz.content_hash}; tokens would "
                    "differ from training. Restore that gazetteer, or pre-tokenise the "
                    "data with the model's own tokens (`kmner tokenize`)", path=str(path))
            self.terms_hash = gaz.content_hash
            self._term_matcher = Matcher(gaz)
        return self._term_matcher

    def spec(self) -> dict:
        return splitter_spec(self)

    def copy(self) -> "KoreanWordSplitter":
        """The same splitter with its terms and the offsets computed so far; the
        copy's cache then changes on its own (training refines it at gold spans)."""
        twin = KoreanWordSplitter(self.name, user_dict=self.user_dict, allow_kiwi=self.allow_kiwi,
                                  cache_limit=self.cache_limit, terms=self.terms,
                                  terms_hash=self.terms_hash)
        twin._term_matcher = self._term_matcher
        twin._cache = dict(self._cache)
        return twin


def _cut_at_terms(text: str, units: list[Unit], matcher) -> list[Unit]:
    """Cut content units where a dictionary term starts or ends inside them; a
    single-syllable term only cuts after itself and only at the start of a unit
    (귀지 -> 귀 | 지, but 시간 stays whole). Units hold no whitespace (kiwi_tokens
    cut it), so neither do the pieces."""
    key_lens = matcher.gaz.key_lens
    out: list[Unit] = []
    for s, e, tag in units:
        cuts: set[int] = set()
        if e - s >= 2 and morph_class(tag) == "content":
            for hs, he, i in matcher.candidates(text[s:e]):
                if key_lens[i] == 1:
                    if hs == 0:
                        cuts.add(he)
                else:
                    cuts.update(b for b in (hs, he) if 0 < b < e - s)
        bounds = [s, *sorted(s + c for c in cuts if 0 < c < e - s), e]
        out.extend((a, b, tag) for a, b in zip(bounds, bounds[1:]))
    return out


def _group_parts(units: list[Unit]) -> list[Unit]:
    """Merge adjacent morphemes of one eojeol that are of the same class."""
    out: list[Unit] = []
    for s, e, tag in units:
        cls = morph_class(tag)
        if out:
            ps, pe, pcls = out[-1]
            same_word = pe == s  # no space between them
            if same_word and cls == pcls and cls != "symbol":
                out[-1] = (ps, e, cls)
                continue
        out.append((s, e, cls))
    return out


def splitter_spec(splitter: KoreanWordSplitter) -> dict:
    spec = {"name": splitter.name, "user_dict": splitter.user_dict}
    if splitter.name == "kiwi-terms":
        if splitter.terms_hash is None and splitter.allow_kiwi:
            splitter.term_matcher()  # records the hash
        spec.update(terms=splitter.terms, terms_hash=splitter.terms_hash)
    return spec


def splitter_from_spec(spec: dict | str | None, *, allow_kiwi: bool | None = None
                       ) -> KoreanWordSplitter:
    if spec is None:
        spec = {"name": "whitespace"}
    if isinstance(spec, str):
        spec = {"name": spec}
    return KoreanWordSplitter(spec.get("name", DEFAULT_SPLITTER), user_dict=spec.get("user_dict"),
                              allow_kiwi=allow_kiwi, terms=spec.get("terms"),
                              terms_hash=spec.get("terms_hash"))


def load_pretokenized(splitter: KoreanWordSplitter, records: Iterable[Record]) -> int:
    """Fill the splitter's cache from records carrying ``tokens`` (list of [start, end]).
    Returns how many records had them."""
    n = 0
    for rec in records:
        toks = (rec.extra or {}).get("tokens")
        if toks is None:
            continue
        splitter.add_pretokenized(rec.text, toks, where=f"record {rec.id}")
        n += 1
    return n


def pretokenize(records: Sequence, splitter: KoreanWordSplitter) -> list:
    """Copies of ``records`` with ``tokens`` offsets from ``splitter`` stored in the data,
    and the splitter's name, so later runs need no Kiwi."""
    splitter.prepare(r.text for r in records)
    out = []
    for r in records:
        extra = dict(r.extra or {})
        extra["tokens"] = [list(t) for t in splitter.offsets(r.text)]
        extra["tokens_splitter"] = splitter.name
        out.append(Record(r.id, r.text, list(r.entities), r.meta, extra))
    return out


# ---------------------------------------------------------------------------
# Alignment: can each gold span be expressed in splitter tokens?
# ---------------------------------------------------------------------------

def span_tokens(offsets: Offsets, start: int, end: int) -> tuple[int, int] | None:
    """Token range ``[i, j)`` whose characters are exactly ``[start, end)``, else None."""
    starts = {s: i for i, (s, _) in enumerate(offsets)}
    ends = {e: i for i, (_, e) in enumerate(offsets)}
    if start in starts and end in ends and ends[end] >= starts[start]:
        return starts[start], ends[end] + 1
    return None


def alignment_share(records: Sequence, splitter: KoreanWordSplitter) -> dict:
    """Share of gold entities whose boundaries fall on token boundaries, with examples."""
    splitter.prepare(r.text for r in records)
    total = ok = 0
    examples = []
    widths: dict[int, int] = {}
    for r in records:
        offs = splitter.offsets(r.text)
        for ent in r.entities:
            total += 1
            rng = span_tokens(offs, ent.start, ent.end)
            if rng is None:
                if len(examples) < 20:
                    toks = [r.text[s:e] for s, e in offs if s < ent.end + 4 and e > ent.start - 4]
                    examples.append({"id": r.id, "entity": ent.text, "type": ent.type,
                                     "tokens_near": toks})
            else:
                ok += 1
                w = rng[1] - rng[0]
                widths[w] = widths.get(w, 0) + 1
    return {"splitter": splitter.name, "entities": total, "aligned": ok,
            "share": ok / total if total else 1.0, "widths": dict(sorted(widths.items())),
            "examples": examples}
