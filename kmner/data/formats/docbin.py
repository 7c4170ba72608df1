"""spaCy ``DocBin`` (``.spacy``), the input of ``spacy train``. Needs the optional
``spacy`` extra; tokens come from Kiwi (a blank Korean spaCy pipeline would need
MeCab), and spans that cut a token follow the writer's ``unaligned`` policy."""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from kmner.core.errors import InputError, KmnerError
from kmner.core.jsonl import atomic_write
from kmner.core.records import Record, make_entity
from kmner.data.report import Report
from kmner.data.textio import check_not_empty, default_id
from kmner.data.tokens import Tokenizer, Unaligned, align_record


def _spacy():
    try:
        import spacy  # noqa: F401
        from spacy.tokens import Doc, DocBin
        from spacy.vocab import Vocab
    except ImportError:
        raise KmnerError("the docbin format needs spaCy: pip install 'kmner[spacy]'") from None
    return Doc, DocBin, Vocab


def words_and_spaces(text: str, tokens: list[tuple[int, int]]
                     ) -> tuple[list[str], list[bool], list[int]]:
    """spaCy words and trailing-space flags that spell ``text`` exactly, plus the
    word index of each token. Whitespace beyond one space becomes its own word."""
    words: list[str] = []
    spaces: list[bool] = []
    index: list[int] = []

    def gap(g: str) -> None:
        if not g:
            return
        if words and not spaces[-1] and g[0] == " ":
            spaces[-1] = True
            g = g[1:]
        if g:
            words.append(g)
            spaces.append(False)

    pos = 0
    for s, e in tokens:
        gap(text[pos:s])
        index.append(len(words))
        words.append(text[s:e])
        spaces.append(False)
        pos = e
    gap(text[pos:])
    return words, spaces, index


def write_docbin(path: str | os.PathLike, records: Iterable[Record], *,
                 report: Report | None = None, tokenizer: Tokenizer = "kiwi",
                 unaligned: Unaligned = "split") -> int:
    Doc, DocBin, Vocab = _spacy()
    report = report or Report()
    vocab = Vocab()
    db = DocBin(store_user_data=True)
    n = 0
    for rec in records:
        aligned = align_record(rec, tokenizer, unaligned=unaligned, report=report, path=str(path))
        if aligned is None:
            continue
        toks, ranges = aligned
        words, spaces, index = words_and_spaces(rec.text, toks)
        doc = Doc(vocab, words=words, spaces=spaces)
        assert doc.text == rec.text
        doc.ents = [_span(doc, index, a, b, t) for a, b, t in ranges]
        doc.user_data["id"] = rec.id
        db.add(doc)
        n += 1
    with atomic_write(path, "wb") as fh:
        fh.write(db.to_bytes())
    return n


def _span(doc, index, a, b, label):
    from spacy.tokens import Span

    return Span(doc, index[a], index[b - 1] + 1, label=label)


def read_docbin(path: str | os.PathLike, *, report: Report | None = None) -> Iterator[Record]:
    _, DocBin, Vocab = _spacy()

    try:
        db = DocBin().from_disk(path)
    except Exception as exc:  # spaCy raises several types for a bad file
        raise InputError(f"not a spaCy DocBin: {exc}", path=str(path)) from None
    n = 0
    for doc in db.get_docs(Vocab()):
        rec_id = doc.user_data.get("id", default_id(path, n))
        n += 1
        yield Record(rec_id, doc.text, [make_entity(doc.text, s.start_char, s.end_char,
                                                    s.label_) for s in doc.ents])
    check_not_empty(n, path)
