"""A corpus of hostile input files for tests/test_hostile_inputs.py, generated in
the test's own folder: records that parse but are ill-formed, non-finite numbers,
broken encodings and line endings, configs with wrong types, a pickle that would
run code, a Label Studio export of the wrong shape."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

TEXT = "당뇨병이 있어 메트포르민을 복용 중입니다."
GOOD = {"id": "s1", "text": TEXT, "entities": [
    {"type": "Disease", "text": "당뇨병", "start": 0, "end": 3},
    {"type": "Treatment", "text": "메트포르민", "start": 8, "end": 13}]}


def _ent(**over) -> dict:
    return {"type": "Disease", "text": "당뇨병", "start": 0, "end": 3, **over}


def _rec(**over) -> dict:
    return {"id": "s1", "text": TEXT, "entities": [_ent()], **over}


# Records that parse as JSON lines but must never be used: name -> raw JSONL line.
BAD_RECORDS: dict[str, str] = {
    "nan_score": json.dumps(_rec(entities=[_ent(meta={"score": float("nan")})])),
    "inf_score": json.dumps(_rec(entities=[_ent(meta={"score": float("inf")})])),
    "huge_number": json.dumps(_rec(entities=[_ent(meta={"score": 1})])).replace(
        '"score": 1', '"score": 1e999'),
    "type_number": json.dumps(_rec(entities=[_ent(type=3)])),
    "type_null": json.dumps(_rec(entities=[_ent(type=None)])),
    "type_empty": json.dumps(_rec(entities=[_ent(type="")])),
    "type_list": json.dumps(_rec(entities=[_ent(type=["Disease"])])),
    "entity_number": json.dumps(_rec(entities=[7])),
    "entities_object": json.dumps(_rec(entities={"type": "Disease"})),
    "meta_string": json.dumps(_rec(meta="kcd")),
    "entity_meta_list": json.dumps(_rec(entities=[_ent(meta=[1])])),
    "id_list": json.dumps(_rec(id=["s", 1])),
    "id_float": json.dumps(_rec(id=1.5)),
    "lone_surrogate": '{"id": "s1", "text": "\\ud800당뇨병", "entities": []}',
    "surrogate_in_type": json.dumps(_rec(entities=[_ent()])).replace('"Disease"',
                                                                     '"Dis\\udc00ease"'),
    "text_number": json.dumps(_rec(text=12)),
    "offsets_float": json.dumps(_rec(entities=[_ent(start=0.0)])),
    "offsets_bool": json.dumps(_rec(entities=[_ent(start=False)])),
    "span_outside": json.dumps(_rec(entities=[_ent(start=50, end=53)])),
    "span_mismatch": json.dumps(_rec(entities=[_ent(start=1, end=4)])),
    "duplicate_span": json.dumps(_rec(entities=[_ent(), _ent()])),
    "not_object": json.dumps([GOOD]),
    "malformed": '{"id": "s1", "text": ',
    "deep_nesting": '{"id": "s1", "text": "a", "meta": {"x": ' + "[" * 100000 + "]" * 100000
                    + "}}",
}

BAD_CONFIGS: dict[str, str] = {
    "use_lora_string": "encoder: /nonexistent-but-not-reached\nuse_lora: \"no\"\n",
    "epochs_word": "encoder: x/y\nnum_epochs: ten\n",
    "data_string": "encoder: x/y\ndata: train.jsonl\n",
    "lr_negative": "encoder: x/y\ntask_lr: -1\n",
    "dropout_nan": "encoder: x/y\nlora_dropout: .nan\n",
    "precision_typo": "encoder: x/y\nprecision: bf17\n",
    "encoder_missing": "encoder: ./no/such/encoder\ndata: {train: TRAIN}\n",
    "not_mapping": "- just\n- a list\n",
}


class Evil:
    """Unpickling this would create MARKER: proof that code ran."""

    marker = ""

    def __reduce__(self):
        return (Path(self.marker).write_text, ("code ran",))


def write_corpus(d: Path) -> dict[str, Path]:
    """Every hostile file, by name."""
    files: dict[str, Path] = {}

    def put(name: str, data: str | bytes) -> Path:
        p = d / name
        if isinstance(data, bytes):
            p.write_bytes(data)
        else:
            p.write_text(data, encoding="utf-8")
        files[name] = p
        return p

    good_line = json.dumps(GOOD, ensure_ascii=False)
    put("gold.jsonl", good_line + "\n")
    put("gold2.jsonl", good_line + "\n")
    for name, line in BAD_RECORDS.items():
        put(f"{name}.jsonl", line + "\n")
    # every bad record among good ones, plus an undecodable line and a blank line
    mixed = [good_line] + list(BAD_RECORDS.values()) + [""]
    raw = "\n".join(mixed).encode("utf-8") + b"\n\xff\xfe broken utf-8\n" + \
        good_line.replace('"s1"', '"s2"').encode("utf-8") + b"\n"
    put("mixed.jsonl", raw)
    put("cr_only.txt", "당뇨병이 있다.\r고혈압 환자.\r두통이 심하다.\r")
    put("crlf.txt", "당뇨병이 있다.\r\n\r\n두통이 심하다.\r\n")
    put("bad_utf8.txt", "당뇨병이 있다.\n".encode("utf-8") + b"\xc3\x28 x\n"
        + "두통이 심하다.\n".encode("utf-8"))
    put("cp949.txt", "당뇨병이 있다.\n".encode("cp949"))
    put("empty.jsonl", "")
    put("blank_only.jsonl", "\n\n\n")
    put("binary.jsonl", b"\x00\x01\x02PK\x03\x04" * 20)
    put("broken.jsonl.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    put("labelmap_list_values.yaml", "Disease: [1]\n")
    put("answers_bad_id.jsonl", '{"id": [1], "prediction": "{}"}\n')
    put("answers_nan.jsonl", '{"id": "s1", "prediction": "{}", "score": NaN}\n')
    put("terms.tsv", "term\ttype\n당뇨병\tDisease\n메트포르민\tTreatment\n")
    put("terms_header_only.tsv", "term\ttype\n")
    put("terms_miscased.tsv", "term\ttype\n당뇨병\tdisease\n")
    put("gaz_options_typo.yaml", "sources:\n  - path: terms.tsv\n    format: kcd_csv\n"
                                 "    type: Disease\n    options: {exclude_code_prefx: [V]}\n")
    put("gaz_options_tsv.yaml", "sources:\n  - path: terms.tsv\n    options: {lower: true}\n")
    put("gaz_options_anatomy.yaml", "sources:\n  - path: terms.tsv\n    format: anatomy_tsv\n"
                                    "    type: Body\n    options: {exclude_sections: 3}\n")
    put("gaz_type_miscased.yaml", "sources:\n  - path: terms.tsv\n    type: disease\n")
    put("gaz_conflicts.yaml", "conflicts: maybe\nsources:\n  - path: terms.tsv\n")
    put("gaz_min_chars.yaml", "min_chars: zero\nsources:\n  - path: terms.tsv\n")
    for name, text in BAD_CONFIGS.items():
        put(f"train_{name}.yaml", text.replace("TRAIN", str(d / "gold.jsonl")))
    Evil.marker = str(d / "MARKER")
    put("evil.gaz", pickle.dumps(Evil()))
    put("junk.gaz", b"KMNER-GAZETTEER/2\n" + b"\xff" * 64)
    put("ls_annotations_object.json", json.dumps([{"id": 1, "data": {"text": TEXT},
                                                   "annotations": {"result": []}}]))
    put("ls_data_list.json", json.dumps([{"id": 1, "data": [TEXT], "annotations": []}]))
    put("ls_region_without_text.json", json.dumps([{"id": 1, "data": {"text": TEXT},
        "annotations": [{"id": 5, "result": [{"id": "r1", "from_name": "label",
                                              "to_name": "text", "type": "labels",
                                              "value": {"start": 1, "end": 4,
                                                        "labels": ["Disease"]}}]}]}]))
    put("ls_nan.json", '[{"id": 1, "data": {"text": "a"}, "annotations": [], "x": NaN}]')
    os.mkfifo(d / "fifo.jsonl")  # reading it would block for ever
    files["fifo.jsonl"] = d / "fifo.jsonl"
    (d / "a_folder").mkdir()
    files["a_folder"] = d / "a_folder"
    for rep in ("report_a", "report_b"):
        (d / rep).mkdir()
        put(f"{rep}/metrics.json", json.dumps({"kind": "evaluation"}))
    files["report_a"], files["report_b"] = d / "report_a", d / "report_b"
    (d / "report_nan").mkdir()
    put("report_nan/metrics.json", '{"format": "kmner-evaluation/1", "per_sentence": NaN}')
    (d / "report_altered").mkdir()
    put("report_altered/metrics.json", json.dumps({"format": "kmner-evaluation/1",
                                                   "per_sentence": {"a": 1}}))
    (d / "gold_link.jsonl").symlink_to(d / "gold.jsonl")
    files["gold_link.jsonl"] = d / "gold_link.jsonl"
    return files
