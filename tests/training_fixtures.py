"""Tiny randomly initialised encoders built on the fly for training tests: a
2-layer BERT with hidden size 32 and a WordPiece fast tokenizer over Hangul
syllables, saved as a generic PreTrainedTokenizerFast (a BertTokenizer rebuilt
by transformers 5 would split Hangul into jamo)."""

from __future__ import annotations

from pathlib import Path

from kmner.core.records import Entity, Record

SENTENCES = [
    ("당뇨병이 있는 환자는 혈당을 관리해야 합니다.", [("Disease", "당뇨병")]),
    ("고혈압과 두통이 심하면 병원에 가세요.", [("Disease", "고혈압"), ("Disease", "두통")]),
    ("간에 염증이 생겨 간염으로 진단되었다.", [("Body", "간"), ("Disease", "간염")]),
    ("위가 아프고 복통이 계속된다.", [("Body", "위"), ("Disease", "복통")]),
    ("폐렴은 폐에 생기는 감염입니다.", [("Disease", "폐렴"), ("Body", "폐")]),
    ("심장 수술 후 항생제를 투여했다.", [("Body", "심장"), ("Treatment", "항생제")]),
]


def tiny_records(n: int | None = None, prefix: str = "t") -> list[Record]:
    out = []
    rows = SENTENCES if n is None else [SENTENCES[i % len(SENTENCES)] for i in range(n)]
    for i, (text, ents) in enumerate(rows):
        entities, used = [], 0
        for typ, surface in ents:
            s = text.index(surface, used)
            entities.append(Entity(typ, surface, s, s + len(surface)))
            used = s + len(surface)
        out.append(Record(f"{prefix}{i}", text, entities))
    return out


def build_tiny_encoder(out: Path, *, hidden: int = 32, seed: int = 0, extra_chars: str = "") -> Path:
    """``extra_chars`` widens the vocabulary (e.g. capitals, so that type names
    such as Body are not all [UNK] and the model can tell them apart)."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    chars = sorted({c for t, _ in SENTENCES for c in t if not c.isspace()}
                   | set("가나다라마바사아자차카타파하이은는을를의에도.,?!()0123456789abcdefghijklmnopqrstuvwxyz")
                   | set(extra_chars))
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
    for c in chars:
        vocab.setdefault(c, len(vocab))
    for c in chars:
        vocab.setdefault("##" + c, len(vocab))
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    out.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out))
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=hidden * 2,
                     max_position_embeddings=256)
    BertModel(cfg).save_pretrained(str(out))
    return out


def build_tiny_base(folder: Path, *, seed: int = 0, max_width: int = 6) -> Path:
    """An untrained GLiNER2 base over a tiny encoder built with ``seed``, in ``folder``."""
    from kmner.training.model import build_base

    enc = build_tiny_encoder(folder / f"enc{seed}", seed=seed)
    return Path(build_base(str(enc), folder / f"base{seed}", max_width=max_width))


TINY_TYPES = {"Disease": "질병", "Body": "신체", "Treatment": "치료"}
CAPITALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def quiet(*_args) -> None:
    """A ``log`` that prints nothing."""


def tiny_work(folder: Path, *, n_train: int = 12, capitals: bool = False) -> Path:
    """A tiny encoder (with capitals in its vocabulary when asked, so type names
    are not [UNK]) and train/dev JSONL files in ``folder``."""
    from kmner.core.jsonl import write_records

    build_tiny_encoder(folder / "enc", extra_chars=CAPITALS if capitals else "")
    write_records(folder / "train.jsonl", tiny_records(n_train))
    write_records(folder / "dev.jsonl", tiny_records(6, "d"))
    return folder


def tiny_config(work: Path, out: str, **settings):
    """A TrainConfig on ``tiny_work``'s encoder, train and dev files and
    TINY_TYPES, writing to ``work/out``; ``settings`` set or override any field."""
    from kmner.training.config import DataConfig, TrainConfig

    base = dict(encoder=str(work / "enc"), output_dir=str(work / out),
                data=DataConfig(train=str(work / "train.jsonl"), dev=str(work / "dev.jsonl")),
                descriptions=dict(TINY_TYPES))
    return TrainConfig(**{**base, **settings})
