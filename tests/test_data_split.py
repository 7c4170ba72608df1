"""Splits without leakage: duplicates removed and reported, types in every split,
manifest hashes match the files."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter

import pytest

from kmner.core.errors import ConfigError
from kmner.core.records import Record, make_entity
from kmner.data import formats
from kmner.data.split import SplitConfig, split_records, split_sizes, write_split
from kmner.data.stats import dataset_stats


def rec(i, text, *spans):
    return Record(f"r{i}", text, [make_entity(text, s, e, t) for s, e, t in spans])


def squash(text):
    # independent spelling of the near-duplicate rule, to check the module against
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"\s", "", "".join(c for c in text if unicodedata.category(c)[0] not in "PS"))


def test_sizes_counts_fractions_and_errors():
    assert split_sizes(SplitConfig(train=40, test=10), 60) == {"train": 40, "test": 10, "rest": 10}
    sizes = split_sizes(SplitConfig(train=0.8, test=0.1, dev=0.1), 101)
    assert sum(sizes.values()) == 101 and sizes["rest"] == 0 and sizes["train"] == 81
    with pytest.raises(ConfigError, match="not a mix"):
        split_sizes(SplitConfig(train=40, test=0.2), 100)
    with pytest.raises(ConfigError, match="only 30 unique"):
        split_sizes(SplitConfig(train=40, test=10), 30)


def test_rare_types_reach_every_split_and_seed_is_deterministic():
    records = [rec(i, f"문장 {i} 두통", (len(f"문장 {i} "), len(f"문장 {i} ") + 2, "Disease"))
               for i in range(40)]
    records += [rec(100 + i, f"다른 {i} 위", (len(f"다른 {i} "), len(f"다른 {i} ") + 1, "Body"))
                for i in range(3)]
    records += [rec(200 + i, f"빈 문장 {i}번") for i in range(20)]
    cfg = SplitConfig(train=0.6, dev=0.2, test=0.2, seed=3)
    result = split_records([records], cfg)
    assert result.missing_types == {}
    for name in ("train", "dev", "test"):
        assert {"Disease", "Body"} <= {e.type for r in result.splits[name] for e in r.entities}
    again = split_records([records], cfg)
    assert {k: [r.id for r in v] for k, v in again.splits.items()} == \
        {k: [r.id for r in v] for k, v in result.splits.items()}
    other = split_records([records], SplitConfig(train=0.6, dev=0.2, test=0.2, seed=4))
    assert [r.id for r in other.splits["test"]] != [r.id for r in result.splits["test"]]


def test_near_duplicates_are_removed_and_reported(tmp_path):
    a = [rec(1, "설사증상때문에 문의하셨네요 ."), rec(2, "두통이 있어요")]
    b = [rec(3, "설사증상 때문에 문의하셨네요."), rec(4, "두통이 있어요"), rec(5, "위염이 있어요")]
    result = split_records([a, b], SplitConfig(train=1, test=2))
    kinds = sorted((r["kind"], r["duplicate_of"]) for r in result.removed)
    assert kinds == [("exact", "r2"), ("near", "r1")]
    manifest = write_split(result, tmp_path, inputs=["a", "b"], config=SplitConfig(1, 2),
                           input_counts=[2, 3])
    assert manifest["duplicates"]["cross_source_groups"] == 2
    assert sum(s["sentences"] for s in manifest["splits"].values()) + \
        manifest["duplicates"]["removed"] == 5


@pytest.mark.shared
def test_diagnosis_train_plus_test_cross_split_duplicates(shared_data, tmp_path):
    folder = shared_data / "gold" / "diagnosis"
    train = formats.load(folder / "train.jsonl")
    test = formats.load(folder / "test.jsonl")
    cfg = SplitConfig(train=0.8, dev=0.1, test=0.1, seed=0)
    result = split_records([train, test], cfg)
    manifest = write_split(result, tmp_path, inputs=[str(folder / "train.jsonl"),
                                                     str(folder / "test.jsonl")],
                           config=cfg, input_counts=[len(train), len(test)])
    # independent count of texts shared by the two files
    cross = {squash(r.text) for r in train} & {squash(r.text) for r in test}
    assert len(cross) > 0
    assert manifest["duplicates"]["cross_source_groups"] == len(cross)
    unique = len({squash(r.text) for r in train + test})
    assert manifest["duplicates"]["removed"] == len(train) + len(test) - unique
    keys = {name: {squash(r.text) for r in recs} for name, recs in result.splits.items()}
    names = list(keys)
    for i, x in enumerate(names):
        for y in names[i + 1:]:
            assert not keys[x] & keys[y], (x, y)
    assert sum(len(v) for v in keys.values()) == unique
    assert manifest["missing_types"] == {}
    for name, info in manifest["splits"].items():
        data = (tmp_path / info["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["sha256"]
        assert len(data.splitlines()) == info["sentences"]
    removed = [json.loads(x) for x in (tmp_path / "duplicates.jsonl").read_text().splitlines()]
    assert len(removed) == manifest["duplicates"]["removed"]
    print(f"cross-file near-duplicate texts: {len(cross)}; removed {len(removed)} copies")


def test_stats_figures():
    records = [rec(1, "두통과 복통", (0, 2, "Disease"), (3, 5, "Disease")),
               rec(2, "위가 아파요", (0, 1, "Body")), rec(3, "괜찮아요"), rec(4, "괜찮아요.")]
    s = dataset_stats(records)
    assert s["sentences"] == 4 and s["sentences_with_entities"] == 2
    assert s["share_with_entities"] == 0.5
    assert s["entities_per_type"] == {"Disease": 2, "Body": 1}
    assert s["span_length_chars"]["all"]["histogram"] == {"1": 1, "2": 2}
    assert s["span_length_chars"]["Disease"]["max"] == 2
    assert s["duplicates"]["groups"] == 1 and s["duplicates"]["near_only_groups"] == 1
    assert Counter(len(r.text) for r in records)[4] == 1
