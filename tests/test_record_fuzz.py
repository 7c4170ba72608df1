"""Hypothesis fuzzer over record JSON for the readers: whatever a JSONL line holds,
reading it gives a checked Record or an InputError naming file and line, never
another exception; with rejects, lines in = records out + rejected; and a
Label Studio export of any shape is a clean InputError or imports."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmner.core.errors import InputError, KmnerError
from kmner.core.jsonl import RejectLog, read_records
from kmner.core.records import Record
from kmner.data.gold import import_export, parse_export
from kmner.data.gold_policies import ImportPolicy

FUZZ = settings(max_examples=300, deadline=2000,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 60),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=8), st.sampled_from(["Disease", "", "\ud800", "당뇨병"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8)
entity = st.fixed_dictionaries(
    {}, optional={"type": json_values, "text": json_values, "start": json_values,
                  "end": json_values, "meta": json_values, "extra": json_values})
record = st.fixed_dictionaries(
    {}, optional={"id": json_values, "text": st.one_of(st.text(max_size=20), json_values),
                  "entities": st.one_of(st.lists(st.one_of(entity, json_values), max_size=4),
                                        json_values),
                  "meta": json_values})
lines = st.one_of(record.map(lambda r: json.dumps(r, ensure_ascii=False)),
                  json_values.map(json.dumps), st.text(max_size=30))


def _check_record(rec: Record) -> None:
    assert isinstance(rec.text, str)
    rec.text.encode("utf-8")
    assert rec.id is None or isinstance(rec.id, (str, int)) and not isinstance(rec.id, bool)
    assert rec.meta is None or isinstance(rec.meta, dict)
    for e in rec.entities:
        assert isinstance(e.type, str) and e.type.strip()
        assert rec.text[e.start:e.end] == e.text
        assert e.meta is None or isinstance(e.meta, dict)
    json.dumps(rec.to_dict(), allow_nan=False)  # writable as strict JSON


@FUZZ
@given(body=st.lists(lines, min_size=1, max_size=6))
def test_reader_gives_checked_records_or_located_errors(tmp_path, body):
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(body) + "\n", encoding="utf-8", errors="surrogatepass")
    try:
        for rec in read_records(path, allow_overlaps=True):
            _check_record(rec)
    except InputError as err:
        assert err.path == str(path)
        assert err.line is not None or "binary" in err.reason
        assert "\n" not in str(err)
    rejects = RejectLog()
    try:
        good = list(read_records(path, on_error="reject", rejects=rejects))
    except InputError as err:  # only a file that is binary as a whole fails as a whole
        assert "binary" in err.reason
        return
    for rec in good:
        _check_record(rec)
    n_lines = len(path.read_bytes().splitlines())
    assert len(good) + len(rejects) == n_lines
    assert all(item["reason"] and item["line"] for item in rejects.items)


region = st.fixed_dictionaries(
    {"type": st.sampled_from(["labels", "choices"]), "value": st.one_of(
        st.fixed_dictionaries({"start": st.integers(-1, 12), "end": st.integers(-1, 12),
                               "labels": st.one_of(st.lists(st.sampled_from(
                                   ["Disease", "Body", "", "X"]), max_size=2), json_values)},
                              optional={"text": json_values}), json_values)},
    optional={"id": json_values, "origin": json_values})
task = st.fixed_dictionaries(
    {}, optional={"id": json_values, "data": st.one_of(
        st.fixed_dictionaries({"text": st.text(max_size=10)},
                              optional={"kmner_id": json_values, "kmner_meta": json_values}),
        json_values),
        "annotations": st.one_of(st.lists(st.fixed_dictionaries(
            {}, optional={"result": st.one_of(st.lists(st.one_of(region, json_values),
                                                       max_size=3), json_values),
                          "was_cancelled": json_values, "lead_time": json_values,
                          "id": json_values, "completed_by": json_values,
                          "prediction": st.one_of(st.fixed_dictionaries(
                              {"result": st.one_of(st.lists(region, max_size=2),
                                                   json_values)}), json_values)}),
            max_size=2),
            json_values),
        "predictions": st.one_of(st.lists(st.one_of(st.integers(), st.fixed_dictionaries(
            {"result": st.one_of(st.lists(region, max_size=2), json_values)})), max_size=2),
            json_values)})


@FUZZ
@given(tasks=st.one_of(st.lists(task, max_size=3), json_values))
def test_label_studio_export_of_any_shape(tasks):
    raw = json.dumps(tasks, ensure_ascii=False)
    for how in ("latest", "majority"):
        try:
            parsed = parse_export(raw.encode("utf-8", "surrogatepass"), source="fuzz.json")
            records, _ = import_export(parsed, source="fuzz.json",
                                       policy=ImportPolicy(annotations=how))
        except (KmnerError, UnicodeDecodeError):
            continue
        for rec in records:
            _check_record(rec)
