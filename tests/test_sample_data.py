"""The bundled sample gold set and raw text are well-formed and usable by every stage."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from kmner.core.jsonl import iter_lines, load_records
from kmner.core.kiwi_tokens import kiwi_units_many
from kmner.core.records import KBMC_TYPES
from tests.script_loader import load_script

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
GOLD = SAMPLE / "gold.jsonl"

# (record id, entity text) -> why the span is kept although Kiwi does not split there.
KIWI_ALLOWLIST: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def gold():
    return load_records(GOLD, types=KBMC_TYPES)


def _load_builder():
    return load_script("data/sample/build_gold.py")


def test_gold_size_and_type_balance(gold):
    assert len(gold) >= 80
    counts = Counter(e.type for r in gold for e in r.entities)
    assert set(counts) == set(KBMC_TYPES)
    assert all(counts[t] >= 40 for t in KBMC_TYPES), counts
    assert sum(counts.values()) >= 200


def test_gold_ids_and_texts_unique(gold):
    ids = [r.id for r in gold]
    texts = [r.text for r in gold]
    assert len(set(ids)) == len(ids)
    assert len(set(texts)) == len(texts)
    assert all(t == unicodedata.normalize("NFC", t) for t in texts)


def test_gold_is_what_the_builder_writes(tmp_path):
    builder = _load_builder()
    out = tmp_path / "gold.jsonl"
    builder.main(["-o", str(out)])
    assert out.read_bytes() == GOLD.read_bytes(), "gold.jsonl is stale: rerun build_gold.py"


def test_builder_rejects_a_surface_that_is_not_there():
    builder = _load_builder()
    assert builder.locate("척추측만증은 척추가 휜다", "척추", 2) == (7, 9)
    with pytest.raises(ValueError, match="fewer than 3"):
        builder.locate("척추측만증은 척추가 휜다", "척추", 3)


def test_every_entity_falls_on_kiwi_token_boundaries(gold):
    misaligned = {}
    for rec, units in zip(gold, kiwi_units_many([r.text for r in gold], num_workers=1)):
        tokens = [(rec.text[s:e], s, e) for s, e, _ in units]
        starts = {s for _, s, _ in tokens}
        ends = {e for _, _, e in tokens}
        for ent in rec.entities:
            if ent.start not in starts or ent.end not in ends:
                misaligned[(rec.id, ent.text)] = [t for t, _, _ in tokens]
    unexplained = {k: v for k, v in misaligned.items() if k not in KIWI_ALLOWLIST}
    assert not unexplained, unexplained
    stale = set(KIWI_ALLOWLIST) - set(misaligned)
    assert not stale, f"allowlisted spans that now align; drop them: {stale}"


def test_gold_keeps_the_matcher_traps(gold):
    """The set must go on exercising the single-syllable and spacing cases it was written for."""
    texts = "\n".join(r.text for r in gold)
    for word in ("간호사", "시간", "위해", "코로나", "두 배", "제2형당뇨병", "제2형 당뇨병"):
        assert word in texts, word
    single = Counter(e.text for r in gold for e in r.entities if len(e.text) == 1)
    for body in ("간", "위", "코", "눈", "배", "귀", "목", "폐"):
        assert single[body] >= 2, (body, single)


@pytest.mark.parametrize("name, at_least", [("raw.txt", 150), ("disease_descriptions.txt", 300)])
def test_raw_text_is_one_document_per_line(name, at_least):
    lines = [line for _, line in iter_lines(SAMPLE / name)]
    assert len(lines) >= at_least
    assert all(line.strip() == line and line for line in lines)
    assert len(set(lines)) == len(lines)
