"""Span morphology learned from gold and applied to predictions: real Kiwi, real
GLiNER2 code on a tiny randomly initialised model (no mocks)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kmner.cli import app
from kmner.core.jsonl import write_records
from kmner.core.morph import analyze
from kmner.core.records import Record
from kmner.training.model import load_model
from kmner.training.predict import PredictStats, predict_records
from kmner.training.span_morphology import (SpanMorphology, filter_spans, learn_span_morphology,
                                            span_tags)
from tests.ls_helpers import ent, rec
from tests.training_fixtures import TINY_TYPES, build_tiny_base, tiny_records

pytestmark = pytest.mark.filterwarnings("ignore")
logging.getLogger("gliner2").setLevel(logging.WARNING)


def record(rid: str, text: str, *surfaces: str) -> Record:
    return rec(rid, text, *(ent(text, surface, "Disease") for surface in surfaces))


GOLD = [
    record("g1", "천식이 심해서 병원에 갔다.", "천식"),
    record("g2", "결핵 치료를 받았다.", "결핵"),
    record("g3", "기관지 천식과 만성 기침이 있다.", "기관지 천식", "만성 기침"),
    record("g4", "목의 통증이 계속된다.", "목의 통증"),
    record("g5", "폐렴 증상으로 입원했다.", "폐렴"),
]


def tags_of(text: str, surface: str) -> list[str]:
    s = text.index(surface)
    return span_tags(analyze(text), s, s + len(surface))


def test_spans_joined_across_a_comma_or_a_clause_are_rejected_and_their_parts_kept():
    m = learn_span_morphology(GOLD, min_count=1)
    assert m.entities == 6
    text = "천식인지, 결핵인지 모르겠고 기침이 심해서 숨이 차다."
    for joined in ("천식인지, 결핵", "기침이 심해서 숨"):
        assert not m.allows(tags_of(text, joined)), joined
    for part in ("천식", "결핵", "기침"):
        assert m.allows(tags_of(text, part)), part


def test_min_count_decides_whether_a_tag_seen_once_may_appear():
    # 의 (a genitive particle) lies inside one gold entity only: 목의 통증
    text = "허리의 통증이 있다."
    tags = tags_of(text, "허리의 통증")
    assert "JKG" in tags
    assert learn_span_morphology(GOLD, min_count=1).allows(tags)
    assert not learn_span_morphology(GOLD, min_count=2).allows(tags)


def test_saved_counts_give_the_same_decisions_as_learned_ones():
    learned = learn_span_morphology(GOLD, min_count=1)
    saved = json.loads(json.dumps(learned.to_dict()))
    again = SpanMorphology.from_dict(saved)
    stricter = replace(again, min_count=2)
    text = "목의 통증이 있고, 천식인지 결핵인지 모르겠다."
    spans = [(0, 5, "Disease", 0.9), (0, 1, "Body", 0.8), (10, 12, "Disease", 0.7),
             (8, 16, "Disease", 0.6)]
    kept, rejected = filter_spans([text], [spans], again)
    assert kept == filter_spans([text], [spans], learned)[0]
    assert (0, 5, "Disease", 0.9) in kept[0] and (8, 16, "Disease", 0.6) not in kept[0]
    assert rejected == len(spans) - len(kept[0]) >= 1
    assert (0, 5, "Disease", 0.9) not in filter_spans([text], [spans], stricter)[0][0]
    with pytest.raises(ValueError, match="min_count"):
        replace(again, min_count=0)


def test_no_entity_to_learn_from_is_an_error():
    with pytest.raises(ValueError, match="no gold entity"):
        learn_span_morphology([Record("a", "엔티티가 없는 문장.")])


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("spanmorph"))


def test_prediction_drops_and_counts_what_the_training_entities_never_look_like(base):
    loaded = load_model(str(base), device="cpu")
    morphology = learn_span_morphology(tiny_records(), min_count=1)
    texts = [Record("a", "당뇨병이 있는 환자는 혈당을 관리해야 합니다."),
             Record("b", "고혈압과 두통이 심하면 병원에 가세요.")]
    # an untrained model at threshold 0 returns spans everywhere
    plain = predict_records(loaded, texts, types=TINY_TYPES, threshold=0.0, span_morphology=None)
    allowed = [[morphology.allows(span_tags(analyze(r.text), e.start, e.end)) for e in r.entities]
               for r in plain]
    assert not all(all(a) for a in allowed)  # so the filter has something to do
    stats = PredictStats()
    out = predict_records(loaded, texts, types=TINY_TYPES, threshold=0.0, stats=stats,
                          span_morphology=morphology)
    assert stats.rejected_by_morphology > 0 and any(r.entities for r in out)
    for r in out:
        morphs = analyze(r.text)
        assert all(morphology.allows(span_tags(morphs, e.start, e.end)) for e in r.entities)
        assert all(e.text == r.text[e.start:e.end] for e in r.entities)


def test_cli_learns_span_morphology_from_a_gold_file(base, tmp_path):
    gold, inp, out = tmp_path / "gold.jsonl", tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_records(gold, tiny_records())
    write_records(inp, [Record("a", "당뇨병이 있는 환자는 혈당을 관리해야 합니다.")])
    runner = CliRunner()
    res = runner.invoke(app, ["predict", str(base), str(inp), "-o", str(out), "--types",
                              ",".join(TINY_TYPES), "--threshold", "0", "--span-filter-from",
                              str(gold), "--span-filter-min-count", "1"])
    assert res.exit_code == 0, res.output
    n_rejected = int(res.output.split(" candidate spans rejected")[0].rsplit(" ", 1)[-1])
    assert n_rejected > 0
    bad = runner.invoke(app, ["predict", str(base), str(inp), "-o", str(tmp_path / "x.jsonl"),
                              "--no-span-filter", "--span-filter-from", str(gold)])
    assert bad.exit_code != 0 and "--no-span-filter" in bad.output
