"""The labelling interface: a ``<Labels>`` block over ``$text``, one colour per type.

The ``from_name``/``to_name`` pair written here is the one every task's
prediction refers to, so both live in this module.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable, Sequence
from xml.sax.saxutils import quoteattr

from kmner.core.errors import InputError
from kmner.core.jsonl import read_records
from kmner.data.ls_tasks import FROM_NAME, TO_NAME


# Distinct, readable on white; KBMC types get fixed colours so screenshots agree.
_FIXED_COLOURS = {"Disease": "#e6194b", "Body": "#3cb44b", "Treatment": "#4363d8",
                  "Symptom": "#f58231"}
_PALETTE = ("#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#469990", "#9a6324",
            "#800000", "#808000", "#000075", "#a9a9a9")


def colour_for(type_: str, index: int) -> str:
    return _FIXED_COLOURS.get(type_, _PALETTE[index % len(_PALETTE)])


def label_config(types: Sequence[str], *, show_id: bool = False,
                 show_meta: bool = False) -> str:
    """Labelling-config XML for span labelling of ``types`` over ``$text``.

    ``show_id`` adds a header with the record id, ``show_meta`` a line with the
    record's meta (tasks always carry both fields, so either can be switched on
    later in the project settings)."""
    if not types:
        raise InputError("no entity types given for the labelling config")
    dupes = sorted({t for t in types if list(types).count(t) > 1})
    if dupes:
        raise InputError(f"entity types given twice: {', '.join(dupes)}")
    lines = ["<View>"]
    if show_id:
        lines.append('  <Header value="$kmner_id"/>')
    lines.append(f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">')
    for i, t in enumerate(types):
        lines.append(f"    <Label value={quoteattr(t)} background={quoteattr(colour_for(t, i))}/>")
    lines.append("  </Labels>")
    lines.append(f'  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>')
    if show_meta:
        lines.append('  <Text name="kmner_meta" value="$kmner_meta"/>')
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def labels_in_config(xml: str) -> list[str]:
    """The Label values of every ``<Labels>`` block of a labelling config."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise InputError(f"labelling config is not valid XML: {exc}") from None
    out: list[str] = []
    for labels in root.iter("Labels"):
        for label in labels.iter("Label"):
            value = label.get("value")
            if value and value not in out:
                out.append(value)
    return out


def span_control(xml: str) -> tuple[str, str, str]:
    """(Labels name, its toName, the Text tag's data field) of a labelling config,
    i.e. the from_name/to_name predictions must use and where the text must go."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise InputError(f"labelling config is not valid XML: {exc}") from None
    labels = next(root.iter("Labels"), None)
    if labels is None or not labels.get("name") or not labels.get("toName"):
        raise InputError("labelling config has no <Labels name=... toName=...> block for spans")
    to_name = labels.get("toName")
    text = next((t for t in root.iter("Text") if t.get("name") == to_name), None)
    value = text.get("value", "") if text is not None else ""
    if not value.startswith("$"):
        raise InputError(f"labelling config has no <Text name={to_name!r} value=\"$...\"> "
                         "for its Labels to point at")
    return labels.get("name"), to_name, value[1:]


def types_from_file(path: str | Path) -> list[str]:
    """Entity types used in a file: KBMC JSONL records (silver or gold), a TSV/CSV
    with a ``type`` column (gazetteer term lists), or a labelling-config XML.
    Order of first appearance is kept."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=str(p))
    suffix = "".join(p.suffixes[-2:]) if p.suffix == ".gz" else p.suffix
    if suffix in {".xml"}:
        return labels_in_config(p.read_text(encoding="utf-8"))
    if suffix in {".tsv", ".csv"}:
        return _types_from_table(p, "\t" if suffix == ".tsv" else ",")

    return _ordered_unique(e.type for r in read_records(p) for e in r.entities)


def _types_from_table(path: Path, delimiter: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        if not reader.fieldnames or "type" not in reader.fieldnames:
            raise InputError(f"needs a 'type' column; found columns {reader.fieldnames}",
                             path=str(path))
        return _ordered_unique(row["type"].strip() for row in reader if row.get("type"))


def _ordered_unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def parse_types(spec: str | None) -> list[str] | None:
    """``"Disease,Body"`` -> ``["Disease", "Body"]``; None stays None."""
    if spec is None:
        return None
    types = [t.strip() for t in spec.split(",") if t.strip()]
    if not types:
        raise InputError(f"--types {spec!r} names no type")
    return types
