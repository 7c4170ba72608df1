"""Phase 1 and Phase 2 runners end to end on a tiny random encoder (real GLiNER2,
real Kiwi, real gazetteer and evaluation reports)."""

from __future__ import annotations

import json
import logging

import pytest

from kmner.core.jsonl import write_records
from kmner.training.config import DataConfig, TrainConfig
from tests.training_fixtures import build_tiny_encoder, tiny_records

pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.slow]
logging.getLogger("gliner2").setLevel(logging.WARNING)


def quiet(*_a):
    pass


def test_phase1_writes_before_after_reports(tmp_path):
    from kmner.training.experiment import Phase1Config, TestSet, run_phase1

    enc = build_tiny_encoder(tmp_path / "enc")
    write_records(tmp_path / "gold.jsonl", tiny_records(18))
    write_records(tmp_path / "extra.jsonl", tiny_records(4, "x"))
    cfg = Phase1Config(
        gold=str(tmp_path / "gold.jsonl"), n_train=12, n_test=6, output_dir=str(tmp_path / "p1"),
        extra_tests=[TestSet(name="extra", path=str(tmp_path / "extra.jsonl"),
                             label_map="Treatment=", types=["Disease", "Body"])],
        train=TrainConfig(encoder=str(enc), num_epochs=1, batch_size=4, threshold=0.3,
                          data=DataConfig(dev_fraction=0.25)))
    res = run_phase1(cfg, log=quiet, progress=False)
    out = tmp_path / "p1"
    train_ids = {json.loads(l)["id"] for l in (out / "train.jsonl").read_text().splitlines()}
    test_ids = {json.loads(l)["id"] for l in (out / "test.jsonl").read_text().splitlines()}
    assert len(train_ids) == 12 and len(test_ids) == 6 and not train_ids & test_ids
    assert set(res["tests"]) == {"gold10", "extra"}
    for m in res["tests"]["gold10"].values():
        assert m["ci_low"] <= m["f1"] <= m["ci_high"] and m["sentences"] == 6
    assert list((out / "compare_gold10").glob("*.html"))
    assert "| gold10 | after (LoRA) |" in (out / "results.md").read_text()
    # extra test scored only on its own types, after its label map
    after = [json.loads(l) for l in (out / "predictions" / "extra.after.jsonl").read_text().splitlines()]
    assert {e["type"] for r in after for e in r["entities"]} <= {"Disease", "Body"}


def test_phase2_silver_gold_and_gazetteer(tmp_path):
    from kmner.training.experiment import Phase2Config, TestSet, run_phase2

    enc = build_tiny_encoder(tmp_path / "enc")
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(t for t, _ in __import__("tests.training_fixtures", fromlist=["x"]).SENTENCES),
                   encoding="utf-8")
    write_records(tmp_path / "gold.jsonl", tiny_records(8))
    write_records(tmp_path / "test.jsonl", tiny_records(4, "t"))
    settings = TrainConfig(encoder=str(enc), num_epochs=1, batch_size=4, threshold=0.3,
                           data=DataConfig(dev_fraction=0.25))
    cfg = Phase2Config(raw=[str(raw)], gold_train=str(tmp_path / "gold.jsonl"),
                       test=TestSet(name="t", path=str(tmp_path / "test.jsonl")),
                       output_dir=str(tmp_path / "p2"), silver_train=settings,
                       gold_train_settings=settings)
    res = run_phase2(cfg, log=quiet, progress=False)
    assert set(res["systems"]) == {"gazetteer", "silver", "silver+gold", "gold-only"}
    assert res["silver_sentences"] > 0
    gaz = res["systems"]["gazetteer"]
    assert gaz["f1"] > 0  # the bundled gazetteer knows 당뇨병, 고혈압, 간 ...
    assert gaz["recall_outside_gazetteer"]["found"] == 0
    assert list((tmp_path / "p2" / "compare").glob("*.html"))
