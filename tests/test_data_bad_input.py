"""Bad input fails with file:line and a clear message, or is rejected with a
reason; nothing is silently lost."""

from __future__ import annotations

import pytest

from kmner.core.errors import InputError
from kmner.data import formats
from kmner.data.report import Report


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_kbmc_token_tag_count_mismatch_names_line(tmp_path):
    p = write(tmp_path / "k.tsv", "Sentence\tTags\n두통 이 있다\tDisease-B O O\n"
                                  "복통 이\tDisease-B O O\n")
    with pytest.raises(InputError) as err:
        formats.load(p)
    assert str(err.value).startswith(f"{p}:3")
    assert "2 tokens but 3 tags" in str(err.value)


def test_reject_mode_keeps_every_record_accounted_for(tmp_path):
    p = write(tmp_path / "k.tsv", "Sentence\tTags\n두통 이 있다\tDisease-B O O\n"
                                  "복통 이\tDisease-B O O\n위 가 아프다\tBody-B O O\n")
    report = Report(on_error="reject")
    recs = formats.load(p, report=report)
    assert len(recs) + len(report.rejects) == 3
    (rej,) = report.rejects.items
    assert rej["line"] == 3 and "tags" in rej["reason"] and rej["raw"].startswith("복통 이")


def test_orphan_inside_tag_is_an_error_unless_repaired(tmp_path):
    p = write(tmp_path / "a.conll", "두통\tO\n이\tO\n\n심한\tO\n복통\tI-Disease\n")
    with pytest.raises(InputError) as err:
        formats.load(p)
    assert str(err.value).startswith(f"{p}:5") and "no B- before it" in str(err.value)
    report = Report()
    (_, rec) = formats.load(p, repair=True, report=report)
    assert [(e.text, e.type) for e in rec.entities] == [("복통", "Disease")]
    assert report.warnings[0]["kind"] == "tags-repaired" and report.warnings[0]["line"] == 5


def test_orphan_inside_tag_in_kbmc_suffix_style(tmp_path):
    p = write(tmp_path / "k.csv", "Sentence,Tags\n심한 복통,O Disease-I\n")
    with pytest.raises(InputError, match=r"k\.csv:2.*'Disease-I' does not continue"):
        formats.load(p)


def test_unknown_tag_prefix(tmp_path):
    p = write(tmp_path / "u.conll", "두통\tB-Disease\n이\tO\n\n위\tQ-Body\n")
    with pytest.raises(InputError) as err:
        formats.load(p)
    assert str(err.value).startswith(f"{p}:4") and "unknown tag 'Q-Body'" in str(err.value)
    p2 = write(tmp_path / "e.conll", "두통\tE-Disease\n")
    with pytest.raises(InputError, match="not part of the BIO scheme"):
        formats.load(p2)


@pytest.mark.parametrize("name,fmt", [("e.tsv", "kbmc"), ("e.conll", "conll"),
                                      ("e.txt", "charmask"), ("e.klue", "klue"),
                                      ("e.jsonl", "jsonl"), ("e.g2.jsonl", "gliner2")])
def test_empty_files_are_errors(tmp_path, name, fmt):
    p = write(tmp_path / name, "\n\n" if fmt != "kbmc" else "Sentence\tTags\n")
    with pytest.raises(InputError, match="no records found"):
        formats.load(p, fmt)


def test_cp949_is_detected_and_readable_on_request(tmp_path):
    p = write(tmp_path / "k.tsv", "Sentence\tTags\n두통 이\tDisease-B O\n", encoding="cp949")
    with pytest.raises(InputError) as err:
        formats.load(p, "kbmc")
    msg = str(err.value)
    assert msg.startswith(f"{p}:2") and "cp949" in msg and "--encoding cp949" in msg
    (rec,) = formats.load(p, "kbmc", encoding="cp949")
    assert rec.entities[0].text == "두통"


def test_mixed_encoding_reports_the_line(tmp_path):
    p = tmp_path / "m.conll"
    p.write_bytes("두통\tB-Disease\n\n".encode() + "복통\tB-Disease\n".encode("cp949"))
    with pytest.raises(InputError) as err:
        formats.load(p)
    assert str(err.value).startswith(f"{p}:3") and "not valid UTF-8" in str(err.value)
    assert "valid cp949" in str(err.value)


@pytest.mark.parametrize("name,fmt,body", [
    ("b.tsv", "kbmc", "Sentence\tTags\n두통 이\tDisease-B O\n"),
    ("b.conll", "conll", "두통\tB-Disease\n이\tO\n"),
    ("b.txt", "charmask", "두통이\tXXO\tB-ST\n"),
    ("b.jsonl", "jsonl", '{"id": 1, "text": "두통", "entities": []}\n'),
])
def test_bom_is_handled(tmp_path, name, fmt, body):
    p = tmp_path / name
    p.write_bytes(b"\xef\xbb\xbf" + body.encode())
    (rec,) = formats.load(p, fmt)
    assert rec.text.startswith("두통") and "\ufeff" not in rec.text


def test_charmask_mask_problems(tmp_path):
    cases = {
        "XXX\tB-ST": "has 3 letters but word",
        "XXO\tO": "tagged O",
        "OOO\tB-ST": "marks no character",
        "XOX\tB-ST": "not contiguous",
        "XY\tB-ST": "may only contain X",
    }
    for i, (rest, message) in enumerate(cases.items()):
        word = "두통" if rest.startswith("XY") or rest.startswith("XXX") else "두통이"
        p = write(tmp_path / f"c{i}.txt", f"아주\tOO\tO\n{word}\t{rest}\n")
        with pytest.raises(InputError) as err:
            formats.load(p, "charmask")
        assert str(err.value).startswith(f"{p}:2"), err.value
        assert message in str(err.value)
    p = write(tmp_path / "multi.txt", "급성이\tXXO\tB-DS\n위염\tXX\tI-DS\n")
    with pytest.raises(InputError, match="stops before the word ends"):
        formats.load(p, "charmask")


def test_gliner2_unlocatable_mention(tmp_path):
    p = write(tmp_path / "g.jsonl",
              '{"input": "두통", "output": {"entities": {"Disease": ["두통"]}}}\n'
              '{"input": "복통", "output": {"entities": {"Disease": ["위염"]}}}\n')
    with pytest.raises(InputError) as err:
        formats.load(p, "gliner2")
    assert str(err.value).startswith(f"{p}:2") and "'위염' does not occur" in str(err.value)


def test_writer_rejects_what_it_cannot_carry(tmp_path):
    from kmner.core.records import Record, make_entity

    text = "두통\n복통"
    recs = [Record("nl", text, [make_entity(text, 0, 2, "Disease")]),
            Record("ok", "위염", [make_entity("위염", 0, 2, "Disease")])]
    report = Report(on_error="reject")
    n = formats.write(tmp_path / "o.conll", recs, "conll", report=report)
    assert n == 1 and report.rejects.items[0]["id"] == "nl"
    with pytest.raises(InputError, match="line break"):
        formats.write(tmp_path / "o.klue", recs, "klue")
    overlap = Record("ov", "위염증", [make_entity("위염증", 0, 2, "Disease"),
                                      make_entity("위염증", 1, 3, "Disease")])
    report = Report()
    formats.write(tmp_path / "o2.conll", [overlap], "conll", report=report)
    assert report.warning_counts()["entity-dropped"] == 1
    with pytest.raises(InputError, match="overlaps"):
        formats.write(tmp_path / "o3.conll", [overlap], "conll", unaligned="error")
