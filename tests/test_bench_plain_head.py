"""The plain token-head reference in bench/ tags words BIO exactly over each gold
span (an off-by-one there once tagged the particle after every entity)."""

from __future__ import annotations

from kmner.core.records import Entity, Record
from kmner.training.splitter import KoreanWordSplitter
from tests.script_loader import load_script


def _bench():
    return load_script("bench/plain_token_head.py")


def test_bio_tags_cover_each_gold_span_exactly_and_decode_back():
    bench = _bench()
    text = "두통이 심해서 왼쪽 무릎 통증으로 내원했다."
    gold = [Entity("Symptom", "두통", 0, 2), Entity("Body", "왼쪽 무릎", 8, 13),
            Entity("Symptom", "통증", 14, 16)]
    rec = Record("r1", text, gold)
    splitter = KoreanWordSplitter("kiwi-terms")
    splitter.prepare([text])
    offsets = splitter.offsets(text)
    tags = bench.word_tags(rec, offsets, ["Body", "Symptom"])
    words = [text[s:e] for s, e in offsets]
    assert tags[words.index("두통")] == "B-Symptom"
    assert tags[words.index("두통") + 1] == "O"  # the particle 이 is not the entity's
    decoded = bench.decode(rec, offsets, tags)
    assert {(e.type, e.start, e.end) for e in decoded.entities} == \
        {(e.type, e.start, e.end) for e in gold}
