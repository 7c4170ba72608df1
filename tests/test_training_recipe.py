"""The training recipe on tiny randomly initialised encoders (real GLiNER2, real
Kiwi): training beats the untrained base on dev, a type asked alone returns its
own spans, marker rows train under frozen embeddings, swallowed per-sample errors
are counted and stop the run, length-grouped batches cover every example, and
kmner's private GLiNER2 hooks still fit the installed version."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kmner.core.jsonl import write_records
from kmner.core.records import Record
from kmner.evaluation.scoring import score_records
from kmner.evaluation.specificity import type_specificity
from kmner.training.config import TrainConfig
from kmner.training.batching import LengthBatches
from kmner.training.hooks import SampleErrors, check_private_api
from tests.training_fixtures import (TINY_TYPES, build_tiny_encoder, quiet, tiny_config,
                                     tiny_records, tiny_work)

pytestmark = pytest.mark.filterwarnings("ignore")
logging.getLogger("gliner2").setLevel(logging.WARNING)
TYPES = TINY_TYPES


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tiny_work(tmp_path_factory.mktemp("recipe"), n_train=24, capitals=True)


def config(work: Path, out: str, **kw) -> TrainConfig:
    return tiny_config(work, out, **{
        **dict(use_lora=False, num_epochs=30, batch_size=8, task_lr=5e-3, encoder_lr=5e-3,
               warmup_ratio=0.0, early_stopping=False, tune_threshold=False, threshold=0.5,
               seed=0), **kw})


@pytest.fixture(scope="module")
def trained(work):
    from kmner.training.train import run_training

    return run_training(config(work, "fit"), progress=False, log=quiet)


def _predict(model_dir: Path, records, **kw):
    from kmner.training.model import load_model
    from kmner.training.predict import predict_records

    loaded = load_model(str(model_dir), device="cpu")
    return loaded, predict_records(loaded, records, threshold=0.5, **kw)


def test_training_raises_dev_f1_above_the_untrained_base(trained, work):
    dev = tiny_records(6, "d")
    _, before = _predict(work / "fit" / "base", dev, types=TYPES)
    _, after = _predict(trained.model_dir, dev)
    f1_before = score_records(dev, before).micro.f1
    f1_after = score_records(dev, after).micro.f1
    assert f1_after > f1_before + 0.3, (f1_before, f1_after)
    assert trained.best_dev_f1 == pytest.approx(f1_after, abs=0.2)


def test_a_type_asked_alone_returns_its_own_spans(trained):
    from kmner.training.predict import predict_each_type_alone

    dev = tiny_records(6, "d")
    loaded, _ = _predict(trained.model_dir, dev[:1])
    alone = predict_each_type_alone(loaded, dev, ["Body", "Disease"], threshold=0.5)
    body = {(r.id, e.text) for r in alone["Body"] for e in r.entities}
    disease_gold = {(r.id, e.text) for r in dev for e in r.entities if e.type == "Disease"}
    body_gold = {(r.id, e.text) for r in dev for e in r.entities if e.type == "Body"}
    assert body & body_gold, body
    assert not body & disease_gold, body & disease_gold
    assert all(e.type == "Body" for r in alone["Body"] for e in r.entities)
    # a type-blind model scores the share of Body among gold mentions
    spec = type_specificity(dev, alone)
    blind = sum(e.type == "Body" for r in dev for e in r.entities) / sum(len(r.entities) for r in dev)
    assert spec.share("Body") > blind, spec.to_dict()


def test_loading_a_model_drops_only_the_extractor_config_notice(trained, caplog):
    with caplog.at_level(logging.WARNING):
        _predict(trained.model_dir, tiny_records(1, "w"))
        logging.getLogger("transformers.configuration_utils").warning("another notice")
    messages = [r.getMessage() for r in caplog.records]
    assert not any("model of type `extractor`" in m for m in messages)
    assert "another notice" in messages  # the logger still speaks


def test_type_specificity_counts_spans_of_other_gold_types():
    gold = tiny_records(6)
    # a type-blind answer: every gold span of the record comes back as "Body"
    blind = {"Body": [Record(r.id, r.text, [e.__class__("Body", e.text, e.start, e.end)
                                            for e in r.entities]) for r in gold]}
    spec = type_specificity(gold, blind)
    n_body = sum(e.type == "Body" for r in gold for e in r.entities)
    n_all = sum(len(r.entities) for r in gold)
    assert spec.own["Body"] == n_body
    assert spec.share("Body") == pytest.approx(n_body / n_all)
    assert spec.other["Body"]["Disease"] == sum(e.type == "Disease" for r in gold for e in r.entities)


def _embedding_after_steps(work: Path, out: str, **kw):
    import torch

    from kmner.training.hooks import marker_token_ids
    from kmner.training.train import run_training

    cfg = config(work, out, num_epochs=1, max_steps=2, freeze_embeddings=True,
                 save_best=False, **kw)
    res = run_training(cfg, progress=False, log=quiet)
    from kmner.training.model import load_gliner

    before = load_gliner(str(work / out / "base")).encoder.get_input_embeddings().weight
    after_model = load_gliner(str(res.model_dir))
    after = after_model.encoder.get_input_embeddings().weight
    markers = torch.tensor(marker_token_ids(after_model))
    others = torch.ones(before.shape[0], dtype=torch.bool)
    others[markers] = False
    return before, after, markers, others


def test_marker_rows_train_while_the_rest_of_the_embedding_stays_frozen(work):
    import torch

    before, after, markers, others = _embedding_after_steps(work, "markers")
    assert not torch.equal(before[markers], after[markers])
    assert torch.equal(before[others], after[others])
    before, after, markers, _ = _embedding_after_steps(work, "frozen", train_type_markers=False)
    assert torch.equal(before[markers], after[markers])


def _examples(work: Path, model):
    from kmner.training.examples import build_examples
    from kmner.training.model import attach_splitter
    from kmner.training.splitter import KoreanWordSplitter

    sp = KoreanWordSplitter("kiwi-morphs")
    attach_splitter(model, sp)
    ex, _ = build_examples(tiny_records(8), descriptions=TYPES, splitter=sp, max_width=4, name="x")
    return ex


def _trainer_with_a_failing_sample(work: Path, out: str, max_failed: int):
    from gliner2.training.trainer import TrainingConfig

    from kmner.training.hooks import make_trainer_class
    from kmner.training.trainer_options import TrainerOptions
    from kmner.training.model import build_base, load_gliner

    model = load_gliner(str(build_base(str(work / "enc"), work / out / "base", max_width=4)))
    examples = _examples(work, model)
    original = model.compute_struct_loss_from_scores
    calls = {"n": 0}

    def fails_every_third(scores, structure, *a, **k):
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            raise ValueError("injected failure")
        return original(scores, structure, *a, **k)

    model.compute_struct_loss_from_scores = fails_every_third
    trainer = make_trainer_class(TrainerOptions(max_failed_samples=max_failed))(
        model=model, config=TrainingConfig(
            output_dir=str(work / out / "ck"), num_epochs=1, batch_size=4, use_lora=False,
            save_best=False, logging_steps=1, eval_strategy="epoch"))
    return trainer, examples, calls


def test_a_swallowed_sample_error_is_counted_and_fails_the_run(work):
    trainer, examples, _ = _trainer_with_a_failing_sample(work, "fail", max_failed=0)
    with pytest.raises(SampleErrors, match="injected failure"):
        trainer.train(train_data=examples)
    assert trainer.failed_samples >= 1


def test_tolerated_sample_errors_are_still_counted(work):
    trainer, examples, calls = _trainer_with_a_failing_sample(work, "tolerate", max_failed=100)
    trainer.train(train_data=examples)
    assert trainer.failed_samples == calls["n"] // 3 > 0


def test_length_batches_cover_every_example_once_and_group_lengths():
    lengths = [(i * 37) % 50 + 1 for i in range(203)]
    sampler = LengthBatches(lengths, 8, seed=1)
    first = sampler.batches()
    flat = sorted(i for b in first for i in b)
    assert flat == list(range(len(lengths)))
    assert len(first) == len(sampler)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in first) / len(first)
    assert spread < 10  # random batches of 8 over 1..50 spread about 38
    sampler.set_epoch(1)
    assert sampler.batches() != first
    # a resumed run starts its sampler at the epoch it resumes from (hooks.py), so
    # its first epoch gets the batches an uninterrupted run gets in that epoch
    straight = LengthBatches(lengths, 8, seed=1)
    orders = [list(straight), list(straight)]
    resumed = LengthBatches(lengths, 8, seed=1)
    resumed.epoch = 1
    assert list(resumed) == orders[1] != orders[0]


def test_private_gliner2_hooks_fit_the_installed_version():
    from importlib.metadata import version

    from kmner.training.hooks import PINNED_GLINER2

    assert version("gliner2") == PINNED_GLINER2
    assert check_private_api() == []


def test_save_best_false_ships_the_last_epoch_with_its_own_dev_figures(work):
    import json

    from kmner.training.train import run_training

    res = run_training(config(work, "last", num_epochs=3, save_best=False, tune_threshold=True),
                       progress=False, log=quiet)
    metrics = json.loads((res.output_dir / "metrics.json").read_text())
    last = metrics["eval_history"][-1]
    assert metrics["selected_checkpoint"] == "final"
    assert metrics["best_dev_f1"] == last["eval_f1"]
    assert metrics["threshold"] == last.get("eval_threshold", 0.5)


def test_predict_windows_respect_word_and_character_budgets():
    from kmner.training.predict import _windows

    offs = [(i * 3, i * 3 + 2) for i in range(10)]  # ten 2-char words, one space apart
    assert _windows(offs, 20, 2) == [(0, 10)]
    wins = _windows(offs, 20, 1, max_chars=8)  # at most 3 words fit in 8 characters
    assert all(offs[b - 1][1] - offs[a][0] <= 8 for a, b in wins)
    assert wins[0][0] == 0 and wins[-1][1] == 10
    assert all(b2 > b1 and a2 < b1 for (a1, b1), (a2, b2) in zip(wins, wins[1:]))
    assert _windows(offs, 4, 1) == [(0, 4), (3, 7), (6, 10)]


def test_dropout_setting_reaches_every_dropout_of_the_model(work):
    import torch

    from kmner.training.model import build_base, load_gliner, set_dropout

    model = load_gliner(str(build_base(str(work / "enc"), work / "drop" / "base", max_width=4)))
    model.train()
    ids = torch.tensor([[2, 7, 8, 9, 10, 3]])

    def encode():
        return model.encoder(input_ids=ids).last_hidden_state

    torch.manual_seed(0)
    assert not torch.equal(encode(), encode())  # the checkpoint's dropout is on
    n = set_dropout(model, 0.0)
    assert n >= 2 * len(model.encoder.encoder.layer)  # attention and hidden, per layer
    assert torch.equal(encode(), encode())  # attention dropout included
    with pytest.raises(ValueError, match="dropout must be in"):
        TrainConfig(encoder="e", dropout=1.0)


def test_lora_top_layers_puts_adapters_in_the_top_encoder_layers_only(work):
    import json

    from safetensors.torch import load_file

    from kmner.core.errors import InputError
    from kmner.training.train import run_training

    res = run_training(config(work, "top1", use_lora=True, num_epochs=1, lora_top_layers=1,
                              lora_target_modules=["encoder", "span_rep"]),
                       progress=False, log=quiet)
    targets = json.loads((res.model_dir / "adapter_config.json").read_text())["target_modules"]
    keys = load_file(str(res.model_dir / "adapter_model.safetensors"))
    assert any(".layer.1." in t for t in targets)  # the tiny encoder has layers 0 and 1
    assert not any(".layer.0." in t for t in targets)
    assert not any(".layer.0." in k for k in keys) and any(".layer.1." in k for k in keys)
    assert any(t.startswith("span_rep") for t in targets)  # heads keep their adapters
    _, pred = _predict(res.model_dir, tiny_records(3, "t"))
    assert len(pred) == 3
    with pytest.raises(InputError, match="lora_top_layers: 3 is more than"):
        run_training(config(work, "top3", use_lora=True, num_epochs=1, lora_top_layers=3),
                     progress=False, log=quiet)
