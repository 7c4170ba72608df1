"""Every token-producing command cuts a text into the same Kiwi tokens: `kmner
tokenize --splitter kiwi-morphs` (GLiNER2 word tokens) and `kmner data convert
--tokenizer kiwi` (CoNLL tokens) both come from kmner.core.kiwi_tokens; the
default kiwi-terms splitter only cuts those tokens further, at dictionary terms."""

import json

from typer.testing import CliRunner

from kmner.cli import app
from kmner.core.bundled import bundled_path

runner = CliRunner()

# Contractions (했), a multi-word morpheme (Kiwi returns 근막 동통 증후군 and
# 류마티스 관절염 as one noun), an emoji, jamo and full-width space.
EXTRA = ["했다 했어요 😀 ㅋㅋ", "근막 동통 증후군 쪽으로 의심 됩니다 .",
         "류마티스 관절염으로 진단받았다.", "열이\u3000나고 기침(咳嗽)을 했음"]


def _texts() -> list[str]:
    gold = bundled_path("sample", "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in gold if line.strip()][:60] + EXTRA


def _conll_tokens(path) -> list[list[str]]:
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
        else:
            current.append(line.split("\t")[0])
    if current:
        sentences.append(current)
    return sentences


def _tokenized(path, splitter, tmp_path) -> list[list[tuple[int, int]]]:
    out = tmp_path / f"{splitter}.jsonl"
    res = runner.invoke(app, ["tokenize", str(path), "-o", str(out), "--splitter", splitter])
    assert res.exit_code == 0, res.output
    return [[tuple(t) for t in json.loads(line)["tokens"]]
            for line in out.read_text(encoding="utf-8").splitlines()]


def test_tokenize_and_convert_give_the_same_kiwi_tokens(tmp_path):
    texts = _texts()
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t, "entities": []},
                                      ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts)), encoding="utf-8")
    res = runner.invoke(app, ["data", "convert", str(src), str(tmp_path / "out.conll"),
                              "--tokenizer", "kiwi"])
    assert res.exit_code == 0, res.output
    converted = _conll_tokens(tmp_path / "out.conll")
    morphs = _tokenized(src, "kiwi-morphs", tmp_path)
    terms = _tokenized(src, "kiwi-terms", tmp_path)
    assert len(converted) == len(morphs) == len(terms) == len(texts)
    for text, conll, m, t in zip(texts, converted, morphs, terms):
        assert [text[s:e] for s, e in m] == conll, text
        # kiwi-terms refines the same tokens: every Kiwi token edge is one of its edges
        edges = {s for s, _ in t} | {e for _, e in t}
        assert all(s in edges and e in edges for s, e in m), text
        assert all(" " not in text[s:e] and "\u3000" not in text[s:e] for s, e in t), text
