"""Phase 1 and Phase 2 runners end to end on a tiny random encoder (real GLiNER2,
real Kiwi, real gazetteer and evaluation reports)."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from kmner.core.errors import ConfigError
from kmner.core.jsonl import write_records
from kmner.core.runinfo import load_mapping
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
    from kmner.training.experiment import TestSet
    from kmner.training.phase2 import Phase2Config, run_phase2

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
    assert "gold-only" in (tmp_path / "p2" / "compare_vs_gold_only" / "report.md").read_text(
        encoding="utf-8")

    # reuse the silver and gold-only models: only the fine-tune trains; the gold-only
    # model's recipe (1 epoch) differs from these settings (2 epochs) and is logged
    lines = []
    again = Phase2Config(
        silver_model=res["models"]["silver"], gold_only_model=res["models"]["gold-only"],
        gold_train=str(tmp_path / "gold.jsonl"),
        test=TestSet(name="t", path=str(tmp_path / "test.jsonl"), label_map="Treatment=Disease",
                     types=["Disease", "Body"], ask=["Disease", "Body", "Treatment"]),
        output_dir=str(tmp_path / "p2b"),
        gold_train_settings=dataclasses.replace(settings, num_epochs=2))
    res2 = run_phase2(again, log=lines.append, progress=False)
    assert set(res2["timings"]) == {"silver_then_gold"} and res2["silver_sentences"] == 0
    assert not (tmp_path / "p2b" / "gold_only").exists()
    assert any("num_epochs: 1 there, 2 here" in str(line) for line in lines)
    for name in ("silver", "silver_gold", "gold-only"):
        preds = [json.loads(x) for x in (tmp_path / "p2b" / "predictions" / f"{name}.jsonl")
                 .read_text(encoding="utf-8").splitlines()]
        assert {e["type"] for r in preds for e in r["entities"]} <= {"Disease", "Body"}

    # reuse all three: nothing trains; a fine-tune that did not start from this silver
    # model is logged
    lines = []
    third = dataclasses.replace(again, output_dir=str(tmp_path / "p2c"),
                                silver_model=res["models"]["gold-only"],
                                silver_then_gold_model=res["models"]["silver+gold"])
    res3 = run_phase2(third, log=lines.append, progress=False)
    assert res3["timings"] == {} and res3["models"]["silver+gold"] == res["models"]["silver+gold"]
    assert any("silver-then-gold model started from" in str(line) for line in lines)

    # a learning-curve point: both gold models train on one seeded sample of the gold
    fourth = dataclasses.replace(again, output_dir=str(tmp_path / "p2d"), gold_only_model="",
                                 max_gold=5)
    res4 = run_phase2(fourth, log=quiet, progress=False)
    assert set(res4["timings"]) == {"silver_then_gold", "gold_only"}
    used = tmp_path / "p2d" / "gold_used.jsonl"
    used_ids = [json.loads(x)["id"] for x in used.read_text(encoding="utf-8").splitlines()]
    gold_ids = {r.id for r in tiny_records(8)}
    assert len(used_ids) == 5 and set(used_ids) < gold_ids
    for name in ("silver_then_gold", "gold_only"):
        saved = load_mapping(tmp_path / "p2d" / name / "run.yaml")["config"]
        assert saved["data"]["train"] == str(used)
    with pytest.raises(ConfigError, match="max_gold"):
        dataclasses.replace(again, max_gold=5)


# -- configs without sentinel values ------------------------------------------

def test_yaml_configs_load_and_validate_nested_train_settings():
    from kmner.core.runinfo import load_config
    from kmner.training.experiment import Phase1Config, demo_phase1_config, train_config
    from kmner.training.phase2 import Phase2Config

    p1 = load_config(Phase1Config, "configs/phase1.yaml")
    t1 = train_config(p1.train, "train", seed=p1.seed)
    assert (t1.base, t1.encoder, t1.lora_r, t1.data.dev_fraction) == ("runs/pretrain/model", "", 16, 0.2)
    p2 = load_config(Phase2Config, "configs/phase2.yaml")
    assert (p2.silver_model, p2.silver_then_gold_model, p2.gold_only_model) == (
        "runs/pretrain/model", "runs/supervised_diagnosis", "runs/gold_only_diagnosis")
    assert p2.test.ask == ["Disease", "Body", "Symptom"]
    # the gold runs start from a filled-in base: the encoder is dropped, data merged
    gold = train_config(p2.gold_train_settings, "gold_train_settings", base="runs/x",
                        data={"train": "g.jsonl"})
    assert (gold.base, gold.encoder, gold.num_epochs) == ("runs/x", "", 10)
    assert (gold.data.train, gold.data.dev_fraction) == ("g.jsonl", 0.1)
    demo = demo_phase1_config("out", encoder="enc", seed=3)
    assert demo.seed == 3 and train_config(demo.train, "train").encoder == "enc"
    mitl = load_config(Phase2Config, "configs/phase2_mitl.yaml")
    silver = train_config(mitl.silver_train, "silver_train", data={"train": mitl.silver})
    assert (silver.base, silver.num_epochs, mitl.silver_model) == ("runs/pretrain/model", 2, "")


def test_b_and_gold_only_configs_differ_only_in_where_they_start():
    from kmner.core.runinfo import load_config, to_mapping
    from kmner.training.config import TrainConfig

    b = to_mapping(load_config(TrainConfig, "configs/supervised_diagnosis.yaml"))
    gold_only = to_mapping(load_config(TrainConfig, "configs/gold_only_diagnosis.yaml"))
    differ = {k for k in b if b[k] != gold_only[k]}
    assert differ == {"base", "encoder", "output_dir"}
    assert (b["base"], gold_only["encoder"]) == ("runs/pretrain/model", "models/e5-small-ko-en")


def test_missing_base_and_encoder_is_a_config_error_naming_the_key(tmp_path):
    from kmner.training.experiment import Phase1Config, run_phase1
    from kmner.training.phase2 import Phase2Config, run_phase2

    with pytest.raises(ConfigError, match=r"silver_train\.base .* silver_train\.encoder"):
        run_phase2(Phase2Config(silver="s.jsonl", test={"name": "t", "path": "t.jsonl"},
                                output_dir=str(tmp_path / "p2")), log=quiet)
    with pytest.raises(ConfigError, match=r"train\.base .* train\.encoder"):
        run_phase1(Phase1Config(output_dir=str(tmp_path / "p1")), log=quiet)
    with pytest.raises(ConfigError, match="unknown key 'num_epoch'"):
        Phase1Config(train={"encoder": "e", "num_epoch": 2})
    with pytest.raises(ConfigError, match="exactly one"):
        from kmner.training.experiment import train_config
        train_config({"encoder": "e", "base": "b"}, "train")


def test_demo_seed_reaches_split_training_and_run_yaml(tmp_path):
    import yaml

    from kmner.core.jsonl import load_records
    from kmner.training.experiment import run_demo_training, split_gold

    enc = build_tiny_encoder(tmp_path / "enc")
    gold = tiny_records(50)
    write_records(tmp_path / "gold.jsonl", gold)
    splits = {}
    for seed in (1, 2):
        out = tmp_path / f"s{seed}"
        run_demo_training(out, encoder=enc, gold=tmp_path / "gold.jsonl", num_epochs=1,
                          seed=seed, log=quiet, progress=False)
        info = yaml.safe_load((out / "run.yaml").read_text())
        assert info["seed"] == seed and info["config"]["seed"] == seed
        ids = [r.id for r in load_records(out / "train.jsonl")]
        assert ids == [r.id for r in split_gold(gold, 40, 10, seed)[0]]
        trained = yaml.safe_load((out / "model" / "run.yaml").read_text())
        assert trained["seed"] == seed and trained["config"]["seed"] == seed
        splits[seed] = ids
    assert splits[1] != splits[2]
