"""Resuming, chunked prediction and the tuned threshold on tiny randomly
initialised encoders (real GLiNER2, real Kiwi, no mocks).

GLiNER2 2.1.0 saves no optimiser or scheduler state, and kmner documents that
both restart on resume: a resumed run is therefore compared with a run that
also restarts them from the same weights, not with itself."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kmner.core.jsonl import load_records, write_records
from kmner.core.records import Record
from kmner.evaluation.scoring import score_records
from kmner.training.config import TrainConfig
from kmner.training.devscore import THRESHOLD_GRID
from kmner.training.model import load_model
from kmner.training.predict import PredictStats, predict_records
from kmner.training.span_morphology import learn_span_morphology
from kmner.training.train import run_training
from tests.training_fixtures import (TINY_TYPES, build_tiny_encoder, quiet, tiny_config,
                                     tiny_records, tiny_work)

pytestmark = pytest.mark.filterwarnings("ignore")
logging.getLogger("gliner2").setLevel(logging.WARNING)
TYPES = TINY_TYPES


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tiny_work(tmp_path_factory.mktemp("resume"), n_train=12, capitals=True)


def config(work: Path, out: str, **kw) -> TrainConfig:
    # a constant learning rate: the first epoch of a 1-epoch and of a 2-epoch run
    # then see the same steps, so an interrupted run can be compared with a straight one
    return tiny_config(work, out, **{
        **dict(use_lora=False, num_epochs=2, batch_size=4, task_lr=5e-3, encoder_lr=5e-3,
               warmup_ratio=0.0, scheduler_type="constant", early_stopping=False,
               tune_threshold=False, precision="fp32", seed=0, cpu_threads=1), **kw})


def weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    name = ("adapter_model.safetensors" if (folder / "adapter_model.safetensors").exists()
            else "model.safetensors")
    return load_file(str(folder / name))


def same(a: Path, b: Path) -> bool:
    import torch

    wa, wb = weights(a), weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.mark.parametrize("lora", [False, True], ids=["full", "lora"])
def test_resumed_run_continues_from_the_checkpoint_with_a_restarted_optimiser(work, lora):
    tag = "lora" if lora else "full"
    straight = run_training(config(work, f"{tag}-straight", use_lora=lora), progress=False, log=quiet)
    run_training(config(work, f"{tag}-cut", use_lora=lora, num_epochs=1), progress=False, log=quiet)
    ck = work / f"{tag}-cut" / "checkpoints"
    resumed = run_training(config(work, f"{tag}-cut", use_lora=lora,
                                  resume_from=str(ck / "checkpoint-epoch-1")),
                           progress=False, log=quiet)
    sck = straight.output_dir / "checkpoints"
    # the interrupted run's first epoch is the uninterrupted run's first epoch
    assert same(ck / "checkpoint-epoch-1", sck / "checkpoint-epoch-1")
    # the resumed epoch starts from the checkpoint: a resume that dropped the saved
    # weights would be a fresh 1-epoch run from the base, i.e. checkpoint-epoch-1
    assert not same(ck / "checkpoint-epoch-2", ck / "checkpoint-epoch-1")
    # GLiNER2 keeps no optimiser state: AdamW restarts, so epoch 2 differs from the
    # straight run's (documented); the epochs are numbered on and the history kept
    assert not same(ck / "checkpoint-epoch-2", sck / "checkpoint-epoch-2")
    assert [h["epoch"] for h in resumed.history] == [1, 2]
    metrics = json.loads((resumed.output_dir / "metrics.json").read_text())
    assert metrics["epoch_offset"] == 1
    if not lora:
        # a resume restarts the optimiser but continues the batch order (epoch 2's
        # length batches), so it is not a new run with that checkpoint as base, which
        # would replay epoch 1's order (the order itself: test_training_recipe.py)
        ref = run_training(config(work, "full-from-ck", encoder="", num_epochs=1,
                                  base=str(ck / "checkpoint-epoch-1")), progress=False, log=quiet)
        assert not same(ck / "checkpoint-epoch-2",
                        ref.output_dir / "checkpoints" / "checkpoint-epoch-1")


@pytest.fixture(scope="module")
def tuned(work):
    # with these settings (and the span morphology filter on) dev F1
    # peaks at epoch 6 of 9, at another threshold than epoch 9's
    return run_training(config(work, "tuned", num_epochs=9, tune_threshold=True,
                               task_lr=8e-3, encoder_lr=8e-3, span_filter_min_count=2),
                        progress=False, log=quiet)


def test_saved_threshold_is_the_dev_tuned_one_of_the_selected_epoch(tuned, work):
    meta = json.loads((tuned.model_dir / "kmner.json").read_text())
    chosen = max(tuned.history, key=lambda h: h["eval_f1"])
    last = tuned.history[-1]
    # the check can only tell the selected epoch from the last one if they differ
    assert chosen is not last and chosen["eval_threshold"] != last["eval_threshold"]
    assert meta["selected"] == "best" and meta["best_dev_f1"] == pytest.approx(chosen["eval_f1"])
    assert meta["threshold"] == chosen["eval_threshold"] != 0.5
    # re-tune on the shipped model: dev predictions at the lowest grid value, then
    # the grid threshold with the best F1 (the first on ties)
    dev = tiny_records(6, "d")
    pred = predict_records(load_model(str(tuned.model_dir), device="cpu"), dev,
                           threshold=THRESHOLD_GRID[0])
    f1 = {t: score_records(dev, [r.copy_with([e for e in r.entities if e.meta["score"] >= t])
                                 for r in pred]).micro.f1 for t in THRESHOLD_GRID}
    best = max(THRESHOLD_GRID, key=lambda t: (f1[t], -t))
    assert meta["threshold"] == best and f1[best] == pytest.approx(meta["best_dev_f1"])
    assert json.loads((tuned.output_dir / "metrics.json").read_text())["threshold"] == best


def test_the_model_keeps_the_span_morphology_of_its_training_entities(tuned, work):
    meta = json.loads((tuned.model_dir / "kmner.json").read_text())
    learned = learn_span_morphology(load_records(work / "train.jsonl"), 2)
    assert meta["span_morphology"] == learned.to_dict()
    assert meta["span_morphology"]["entities"] == sum(len(r.entities) for r in tiny_records(12))
    # and prediction applies it unless told not to
    loaded = load_model(str(tuned.model_dir), device="cpu")
    text = [Record("x", "당뇨병이 있는 환자는 혈당을 관리해야 합니다.")]
    on, off = PredictStats(), PredictStats()
    predict_records(loaded, text, threshold=0.0, stats=on)
    predict_records(loaded, text, threshold=0.0, stats=off, span_morphology=None)
    assert on.rejected_by_morphology > 0 and off.rejected_by_morphology == 0


def _spans(records: list[Record]) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.type) for r in records for e in r.entities]


def test_windows_give_the_spans_of_their_texts_predicted_whole(tuned):
    loaded = load_model(str(tuned.model_dir), device="cpu")
    sentence = tiny_records(1)[0].text  # ends with "."
    n_words = len(loaded.splitter.offsets(sentence))
    long = Record("long", " ".join([sentence] * 5))
    step = len(sentence) + 1
    whole = _spans(predict_records(loaded, [Record("s", sentence)], threshold=0.3))
    assert whole
    stats = PredictStats()
    # windows of exactly one sentence and no overlap: each window sees the tokens
    # the sentence has alone
    chunked = predict_records(loaded, [long], threshold=0.3, chunk_words=n_words,
                              chunk_overlap=0, chunk_chars=0, stats=stats)
    assert (stats.chunked_records, stats.chunks) == (1, 5)
    assert _spans(chunked) == [(s + k * step, e + k * step, t) for k in range(5) for s, e, t in whole]


def test_overlapping_windows_merge_without_duplicate_spans(tuned):
    loaded = load_model(str(tuned.model_dir), device="cpu")
    sentence = tiny_records(6)[1].text  # two Disease spans
    n_words = len(loaded.splitter.offsets(sentence))
    step = len(sentence) + 1
    # each window is two copies of the sentence and overlaps the next by one copy
    window = _spans(predict_records(loaded, [Record("w", sentence + " " + sentence)],
                                    threshold=0.3))
    first = {(s, e, t) for s, e, t in window if e <= step}
    second = {(s - step, e - step, t) for s, e, t in window if s >= step}
    assert first & second  # so the overlap predicts those spans twice
    stats = PredictStats()
    out = predict_records(loaded, [Record("long", " ".join([sentence] * 4))], threshold=0.3,
                          chunk_words=2 * n_words, chunk_overlap=n_words, chunk_chars=0,
                          stats=stats)
    assert (stats.chunked_records, stats.chunks) == (1, 3)
    expected = sorted({(s + k * step, e + k * step, t) for k in range(3) for s, e, t in window})
    assert _spans(out) == expected  # each once


def test_spans_past_the_end_of_text_are_dropped_and_counted(tuned):
    # an untrained base at threshold 0 returns spans everywhere, including on the
    # "." GLiNER2 appends to a text without final punctuation
    base = load_model(str(tuned.output_dir / "base"), device="cpu")
    text = "당뇨병이 있는 환자는 혈당을 관리해야 합니다"
    stats = PredictStats()
    out = predict_records(base, [Record("a", text)], types=TYPES, threshold=0.0, stats=stats)
    assert stats.dropped_past_end > 0
    assert all(0 <= e.start < e.end <= len(text) and e.text == text[e.start:e.end]
               for e in out[0].entities)
    ended = PredictStats()
    predict_records(base, [Record("b", text + ".")], types=TYPES, threshold=0.0, stats=ended)
    assert ended.dropped_past_end == 0
