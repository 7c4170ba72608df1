"""Build a fast (``tokenizers``) XLM-R style unigram tokenizer from raw pieces.

The result is saved as ``tokenizer.json`` plus a ``tokenizer_config.json`` naming
the generic ``PreTrainedTokenizerFast`` class, so ``AutoTokenizer`` loads the
unigram model as is. (Left to guess from ``model_type: bert`` it would build a
WordPiece ``BertTokenizer``, which turns every Hangul word into ``[UNK]``.)

Pipeline, matching SentencePiece as used by XLM-R: the per-code-point
normalisation table from the model file, runs of spaces collapsed, spaces made
into the metaspace ``▁`` (one prepended), then unigram Viterbi over the pieces.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from kmner.core.errors import KmnerError

SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                  "sep_token": "</s>", "cls_token": "<s>", "pad_token": "<pad>",
                  "mask_token": "<mask>"}


def compile_charsmap(normalizer: dict[int, tuple[int, ...]]) -> bytes:
    """Compile a code point -> code points table into SentencePiece's precompiled charsmap.

    SentencePiece's own builder does the compiling (it accepts a TSV of rules);
    a throwaway character model is trained only to run it. ``tokenizers`` reads the
    resulting bytes with its ``Precompiled`` normaliser.
    """
    try:
        import sentencepiece as spm
        from sentencepiece import sentencepiece_model_pb2
    except ImportError as exc:  # pragma: no cover - sentencepiece comes with gliner2[train]
        raise KmnerError("building the tokenizer needs sentencepiece "
                         "(pip install 'kmner[train]')") from exc
    # Code point 0 cannot appear in the C strings the table was made for.
    rules = "".join(f"{cp:X}\t{' '.join(f'{o:X}' for o in out)}\n"
                    for cp, out in sorted(normalizer.items()) if cp)
    with tempfile.TemporaryDirectory() as tmp:
        rules_path = Path(tmp) / "rules.tsv"
        rules_path.write_text(rules, encoding="utf-8")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["abc"] * 4), model_writer=model, model_type="char",
            vocab_size=8, hard_vocab_limit=False, normalization_rule_tsv=str(rules_path),
            minloglevel=2)
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def build_tokenizer(pieces: list[str], scores, unk_id: int, charsmap: bytes):
    """A ``tokenizers.Tokenizer`` for the given pieces (ids = list positions)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(pieces, scores)],
                                   unk_id=unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(charsmap),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    index = {p: i for i, p in enumerate(pieces)}
    bos, eos = index["<s>"], index["</s>"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)])
    tok.add_special_tokens([
        AddedToken(t, special=True, lstrip=(t == "<mask>"), normalized=False)
        for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>") if t in index])
    return tok


def tokenizer_files(tokenizer, max_length: int) -> dict[str, str]:
    """File name -> content for a transformers tokenizer directory."""
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_length,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
        **SPECIAL_TOKENS,
    }
    return {
        "tokenizer.json": tokenizer.to_str(),
        "tokenizer_config.json": json.dumps(config, indent=2, ensure_ascii=False) + "\n",
        "special_tokens_map.json": json.dumps(SPECIAL_TOKENS, indent=2) + "\n",
    }
