import json
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from kmner.core.errors import InputError
from kmner.core.jsonl import RejectLog, load_records, read_records, write_records
from kmner.core.labelmap import LabelMap
from kmner.core.offsets import ZERO_WIDTH, normalize, strip_spaces
from kmner.core.records import Entity, Record, entity_problems


def test_record_roundtrip_keeps_unknown_fields(tmp_path):
    rec = {"id": 7, "text": "당뇨병이 있다", "tag": "x",
           "entities": [{"type": "Disease", "text": "당뇨병", "start": 0, "end": 3,
                         "orig_label": "DS", "meta": {"source": "kcd"}}]}
    p = tmp_path / "a.jsonl"
    p.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    [r] = load_records(p)
    assert r.entities[0].extra == {"orig_label": "DS"}
    write_records(tmp_path / "b.jsonl", [r])
    assert json.loads((tmp_path / "b.jsonl").read_text(encoding="utf-8")) == rec


def test_validation_names_problems():
    r = Record("r1", "간이 아프다", [Entity("Body", "간이", 0, 1), Entity("Body", "간", 0, 1)])
    problems = entity_problems(r, types=["Disease"])
    assert any("does not match" in p for p in problems)
    assert any("unknown type" in p for p in problems)
    assert any("overlap" in p for p in problems)


def test_malformed_json_names_file_and_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": 1, "text": "a", "entities": []}\n{"id": 2, "text": \n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_records(p)
    assert f"{p}:2" in str(exc.value)


def test_bad_offsets_name_record_and_rejects_account_for_everything(tmp_path):
    p = tmp_path / "bad.jsonl"
    lines = [
        {"id": "ok", "text": "간", "entities": []},
        {"id": "off", "text": "간이", "entities": [{"type": "Body", "text": "간", "start": 1, "end": 2}]},
        "not json",
    ]
    p.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
                           for x in lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="record 'off'"):
        load_records(p)
    rejects = RejectLog()
    good = list(read_records(p, on_error="reject", rejects=rejects))
    assert len(good) + len(rejects) == 3
    assert [r["id"] for r in rejects.items] == ["off", None]


def test_binary_and_cp949_files_are_reported(tmp_path):
    b = tmp_path / "bin.jsonl"
    b.write_bytes(b"\x00\x01\x02\xff")
    with pytest.raises(InputError, match="binary"):
        load_records(b)
    c = tmp_path / "cp.jsonl"
    c.write_bytes(json.dumps({"id": 1, "text": "간", "entities": []},
                             ensure_ascii=False).encode("cp949") + b"\n")
    with pytest.raises(InputError, match="cp949"):
        load_records(c)


def test_bom_and_crlf_are_accepted(tmp_path):
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": 1, "text": "a\r\nb", "entities": []}).encode()
                  + b"\r\n")
    [r] = load_records(p)
    assert r.text == "a\r\nb"


def test_label_map_renames_and_drops_with_counts():
    from collections import Counter

    r = Record(1, "두통과 간", [Entity("Symptom", "두통", 0, 2), Entity("X", "간", 4, 5)])
    counts = Counter()
    [out] = LabelMap.parse("Symptom=Disease,X=").apply([r], counts)
    assert [(e.type, e.text) for e in out.entities] == [("Disease", "두통")]
    assert counts == {"Symptom->Disease": 1, "X->(dropped)": 1}
    assert LabelMap.parse("kbmc").mapping == {"Symptom": "Disease"}
    assert LabelMap.parse("kbmc,Treatment=").mapping == {"Symptom": "Disease", "Treatment": None}


def test_nfd_hangul_and_zero_width_map_back_exactly():
    original = unicodedata.normalize("NFD", "제2형 당뇨병") + "\u200b이"
    m = normalize(original)
    assert m.derived == "제2형 당뇨병이"
    s = m.derived.index("당뇨병")
    a, b = m.to_original(s, s + 3)
    assert unicodedata.normalize("NFC", original[a:b]) == "당뇨병"
    stripped = strip_spaces(m.derived)
    assert stripped.derived == "제2형당뇨병이"
    both = m.compose(stripped)
    a, b = both.to_original(0, 6)
    assert unicodedata.normalize("NFC", original[a:b]) == "제2형 당뇨병"


text_chars = st.sampled_from(list("간당뇨병 이가\t\r\n😀a") + ["\u200b", "\u1100", "\u1161",
                                                            "\u11a8", "\u0301", "\ufeff"])


@settings(max_examples=300, deadline=None)
@given(st.lists(text_chars, max_size=40).map("".join), st.data())
def test_offset_maps_always_map_back_to_a_covering_span(text, data):
    m = normalize(text)
    assert m.derived == unicodedata.normalize(
        "NFC", "".join(c for c in text if c not in ZERO_WIDTH))
    chain = m.compose(strip_spaces(m.derived))
    if not chain.derived:
        return
    s = data.draw(st.integers(0, len(chain.derived) - 1))
    e = data.draw(st.integers(s + 1, len(chain.derived)))
    a, b = chain.to_original(s, e)
    original_piece = text[a:b]
    # The original span, normalised and stripped the same way, is exactly the derived span.
    renorm = "".join(unicodedata.normalize("NFC", "".join(
        c for c in original_piece if c not in ZERO_WIDTH)).split())
    assert renorm == chain.derived[s:e]


def test_atomic_write_respects_umask(tmp_path):
    import os
    import stat

    from kmner.core.jsonl import write_json

    old = os.umask(0o022)
    try:
        write_json(tmp_path / "x.json", {"a": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_from_original_inverts_to_original_and_refuses_split_characters():
    text = unicodedata.normalize("NFD", "간이") + " 당뇨병"
    m = normalize(text)
    assert m.derived == "간이 당뇨병"
    span = m.from_original(text.index("당"), len(text))
    assert span == (3, 6) and m.to_original(*span) == (text.index("당"), len(text))
    assert m.from_original(0, 1) is None  # inside the composed 간
    assert m.from_original(0, 3) == (0, 1)
    ident = normalize("당뇨병")
    assert ident.from_original(0, 3) == (0, 3) and ident.from_original(0, 9) is None
