"""fp32 attention inside CPU bf16 autocast (kmner/training/cpu_attention.py), on a
tiny randomly initialised BERT with a padded batch."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from kmner.training.cpu_attention import NAME, fp32_attention, sdpa_configs  # noqa: E402


def _tiny_bert():
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64,
                                     max_position_embeddings=64, attn_implementation="sdpa")
    return transformers.BertModel(config).eval()


def _padded_batch():
    ids = torch.tensor([[2, 10, 11, 12, 13, 14, 3], [2, 20, 21, 3, 0, 0, 0]])
    mask = torch.tensor([[1] * 7, [1, 1, 1, 1, 0, 0, 0]])
    return ids, mask


def test_fp32_attention_matches_sdpa_and_honours_padding():
    model = _tiny_bert()
    ids, mask = _padded_batch()
    with torch.no_grad():
        reference = model(input_ids=ids, attention_mask=mask).last_hidden_state
        unmasked = model(input_ids=ids).last_hidden_state
        with fp32_attention(model) as switched:
            assert switched == 1
            assert model.config._attn_implementation == NAME
            inside = model(input_ids=ids, attention_mask=mask).last_hidden_state
    # the short sentence's real tokens must not see its padding: a dropped mask
    # (what transformers does for an attention it has no mask function for) changes them
    assert not torch.allclose(reference[1, :4], unmasked[1, :4], atol=1e-4)
    assert torch.allclose(inside[1, :4], reference[1, :4], atol=1e-5)
    assert torch.allclose(inside[0], reference[0], atol=1e-5)
    assert model.config._attn_implementation == "sdpa"


def test_attention_stays_fp32_under_bf16_autocast():
    model = _tiny_bert()
    ids, mask = _padded_batch()
    seen = []
    hook = model.encoder.layer[0].attention.self.register_forward_hook(
        lambda _module, _inputs, output: seen.append(output[0].dtype))
    with torch.autocast("cpu", dtype=torch.bfloat16), fp32_attention(model):
        out = model(input_ids=ids, attention_mask=mask).last_hidden_state
    hook.remove()
    # the attention block hands bf16 back to the autocast step around it
    assert seen == [torch.bfloat16]
    with torch.no_grad():
        reference = model(input_ids=ids, attention_mask=mask).last_hidden_state
    # bf16 linears, fp32 attention: close to the fp32 model on the real tokens
    assert torch.allclose(out[1, :4].float(), reference[1, :4], atol=0.1)


def test_configs_not_on_sdpa_are_left_alone():
    model = _tiny_bert()
    model.config._attn_implementation = "eager"
    assert sdpa_configs(model) == []
    with fp32_attention(model) as switched:
        assert switched == 0
        assert model.config._attn_implementation == "eager"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_cpu_bf16_training_switches_the_encoder_attention(tmp_path, monkeypatch):
    import contextlib

    import kmner.training.hooks as hooks
    from kmner.training.train import run_training
    from tests.training_fixtures import quiet, tiny_config, tiny_work

    switched = []
    real = hooks.fp32_attention

    @contextlib.contextmanager
    def spy(model):
        with real(model) as n:
            switched.append(n)
            yield n

    monkeypatch.setattr(hooks, "fp32_attention", spy)
    work = tiny_work(tmp_path, n_train=8)
    run_training(tiny_config(work, "fp32", num_epochs=1, batch_size=4, precision="fp32"),
                 progress=False, log=quiet)
    assert switched == []
    run_training(tiny_config(work, "bf16", num_epochs=1, batch_size=4, precision="bf16"),
                 progress=False, log=quiet)
    # every training step of the bf16 run found the encoder's sdpa config and switched it
    assert len(switched) == 2 and all(n >= 1 for n in switched)
