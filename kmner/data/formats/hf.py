"""Hugging Face ``datasets``: records as a Dataset with a span schema.

Schema: ``id`` and ``text`` strings, ``entities`` a list of ``{type, text, start,
end}`` structs, and JSON strings (null when empty) for kmner's ``meta`` and unknown
fields, so nothing is lost. Ids are stored as strings. A mapping of split names to
records becomes a DatasetDict. To publish (online only)::

    to_dataset({"train": train, "test": test}).push_to_hub("me/my-korean-ner", private=True)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from kmner.core.errors import InputError, KmnerError
from kmner.core.records import Entity, Record
from kmner.data.report import Report


def _datasets():
    try:
        import datasets
    except ImportError:
        raise KmnerError("the hf format needs the datasets package: "
                         "pip install 'kmner[datasets]'") from None
    return datasets


def features():
    """The span feature schema of kmner datasets."""
    ds = _datasets()
    string = ds.Value("string")
    entity = {"type": string, "text": string, "start": ds.Value("int32"),
              "end": ds.Value("int32"), "meta": string, "extra": string}
    return ds.Features({"id": string, "text": string, "entities": ds.List(entity),
                        "meta": string, "extra": string})


def _json_or_none(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else None


def _row(rec: Record) -> dict[str, Any]:
    return {"id": None if rec.id is None else str(rec.id), "text": rec.text,
            "entities": [{"type": e.type, "text": e.text, "start": e.start, "end": e.end,
                          "meta": _json_or_none(e.meta), "extra": _json_or_none(e.extra)}
                         for e in rec.sorted_entities()],
            "meta": _json_or_none(rec.meta), "extra": _json_or_none(rec.extra)}


def to_dataset(records: Iterable[Record] | Mapping[str, Iterable[Record]]):
    """A Dataset of ``records``, or a DatasetDict for ``{split: records}``."""
    ds = _datasets()
    if isinstance(records, Mapping):
        return ds.DatasetDict({name: to_dataset(recs) for name, recs in records.items()})
    rows = [_row(r) for r in records]
    if not rows:  # from_list cannot take the schema from zero rows
        return ds.Dataset.from_dict({k: [] for k in features()}, features=features())
    return ds.Dataset.from_list(rows, features=features())


def _record(row: Mapping[str, Any]) -> Record:
    ents = [Entity(e["type"], e["text"], int(e["start"]), int(e["end"]),
                   json.loads(e["meta"]) if e.get("meta") else None,
                   json.loads(e["extra"]) if e.get("extra") else None)
            for e in row.get("entities") or []]
    return Record(row.get("id"), row["text"], ents,
                  json.loads(row["meta"]) if row.get("meta") else None,
                  json.loads(row["extra"]) if row.get("extra") else None)


def from_dataset(dataset) -> list[Record] | dict[str, list[Record]]:
    """Records of a Dataset, or ``{split: records}`` of a DatasetDict."""
    ds = _datasets()
    if isinstance(dataset, ds.DatasetDict):
        return {name: from_dataset(part) for name, part in dataset.items()}
    missing = {"text", "entities"} - set(dataset.column_names)
    if missing:
        raise InputError(f"dataset lacks column(s) {sorted(missing)}; columns are "
                         f"{dataset.column_names}")
    return [_record(row) for row in dataset]


def read_hf(path: str | os.PathLike, *, report: Report | None = None,
            split: str | None = None) -> Iterator[Record]:
    """Records of a dataset saved with ``save_to_disk``; a DatasetDict needs
    ``split`` unless it holds only one."""
    ds = _datasets()
    if not Path(path).is_dir():
        raise InputError("expected a directory written by save_to_disk", path=str(path))
    loaded = ds.load_from_disk(str(path))
    if isinstance(loaded, ds.DatasetDict):
        names = list(loaded)
        if split is None and len(names) == 1:
            split = names[0]
        if split not in loaded:
            raise InputError(f"the dataset has splits {names}; choose one with --split",
                             path=str(path))
        loaded = loaded[split]
    elif split is not None:
        raise InputError("the dataset has no splits; drop --split", path=str(path))
    yield from from_dataset(loaded)


def save_dataset(dataset, path: str | os.PathLike) -> None:
    """``save_to_disk`` into a temporary folder, then rename: never half a dataset."""
    target = Path(path)
    if target.exists() and not (target.is_dir() and (
            not any(target.iterdir()) or (target / "dataset_info.json").exists()
            or (target / "dataset_dict.json").exists())):
        raise KmnerError(f"{target} exists and is not a saved dataset; refusing to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        dataset.save_to_disk(str(tmp / "ds"))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp / "ds", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_hf(path: str | os.PathLike, records: Iterable[Record] | Mapping[str, Iterable[Record]],
             *, report: Report | None = None) -> int:
    dataset = to_dataset(records)
    save_dataset(dataset, path)
    if isinstance(records, Mapping):
        return sum(len(d) for d in dataset.values())
    return len(dataset)
