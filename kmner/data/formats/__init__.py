"""One registry of every data format kmner reads and writes.

``read(path, fmt)`` and ``write(path, records, fmt)`` dispatch to the format's
module, which is imported only when used (datasets and spaCy are optional). Each
reader and writer takes a ``report`` (kmner.data.report.Report) plus its own
keyword options; ``options_of`` lists them so the CLI can refuse options that do
not apply.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from kmner.core.errors import KmnerError
from kmner.core.jsonl import iter_lines
from kmner.core.records import Record
from kmner.data.report import Report


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    reader: str | None  # "module:function", imported lazily
    writer: str | None
    extensions: tuple[str, ...] = ()


_P = "kmner.data.formats."
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("jsonl", "KBMC-style JSONL records (kmner's own)", _P + "jsonl:read_jsonl",
           _P + "jsonl:write_jsonl", (".jsonl", ".jsonl.gz")),
    Format("kbmc", "KBMC table: Sentence + suffix-BIO Tags (TSV, CSV, parquet)",
           _P + "kbmc:read_kbmc", _P + "kbmc:write_kbmc", (".tsv", ".csv", ".parquet")),
    Format("conll", "token-per-line CoNLL, BIO/BIOES/IOB1", _P + "conll:read_conll",
           _P + "conll:write_conll", (".conll", ".conllu", ".bio", ".iob")),
    Format("klue", "KLUE-NER character-per-line BIO", _P + "klue:read_klue",
           _P + "klue:write_klue", ()),
    Format("charmask", "word + character mask + tag (Korean clinical set)",
           _P + "charmask:read_charmask", _P + "charmask:write_charmask", ()),
    Format("gliner2", "GLiNER2 training JSONL {input, output: {entities}}",
           _P + "gliner2:read_gliner2", _P + "gliner2:write_gliner2", ()),
    Format("instruct", "instruction-tuning JSONL (alpaca or chat)",
           _P + "instruct:read_instruct", _P + "instruct:write_instruct", ()),
    Format("hf", "Hugging Face datasets folder (save_to_disk)", _P + "hf:read_hf",
           _P + "hf:write_hf", ()),
    Format("docbin", "spaCy DocBin (.spacy)", _P + "docbin:read_docbin",
           _P + "docbin:write_docbin", (".spacy", ".docbin")),
    Format("labelstudio", "Label Studio tasks JSON (owned by kmner.labelstudio)",
           _P + "labelstudio:read_labelstudio", _P + "labelstudio:write_labelstudio",
           (".json",)),
)}

def _resolve(spec: str | None, fmt: str, role: str) -> Callable[..., Any]:
    if spec is None:
        raise KmnerError(f"kmner cannot {role} the {fmt} format")
    module_name, func = spec.split(":")
    return getattr(importlib.import_module(module_name), func)


def _suffix(path: str | os.PathLike) -> str:
    name = Path(path).name.lower()
    for f in FORMATS.values():
        for ext in sorted(f.extensions, key=len, reverse=True):
            if name.endswith(ext):
                return ext
    return Path(name).suffix


def _first_lines(path: Path, n: int = 20) -> list[str]:
    out = []
    try:
        for _, line in iter_lines(path):
            if line.strip():
                out.append(line)
            if len(out) >= n:
                break
    except KmnerError:
        pass
    return out


def _sniff_jsonl(path: Path) -> str:
    lines = _first_lines(path, 1)
    try:
        obj = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        return "jsonl"
    if isinstance(obj, dict):
        if "instruction" in obj or "messages" in obj:
            return "instruct"
        if "input" in obj and isinstance(obj.get("output"), dict):
            return "gliner2"
    return "jsonl"


def _sniff_lines(path: Path) -> str | None:
    lines = _first_lines(path)
    if not lines:
        return None
    if lines[0].startswith("##"):
        return "klue"
    head = lines[0].split("\t") if "\t" in lines[0] else lines[0].split(",")
    if {"sentence", "tags"} <= {h.strip().lower() for h in head}:
        return "kbmc"
    data = [ln for ln in lines if not ln.startswith("#")]
    cols = [ln.split("\t") if "\t" in ln else ln.split() for ln in data]
    if cols and all(len(c) == 3 and set(c[1]) <= {"X", "O"} and len(c[1]) == len(c[0])
                    for c in cols):
        return "charmask"
    if cols and all(len(c) >= 2 for c in cols):
        return "conll"
    return None


def _by_extension(ext: str) -> str | None:
    return next((f.name for f in FORMATS.values() if ext in f.extensions), None)


def guess_format(path: str | os.PathLike, *, for_writing: bool = False) -> str:
    """The format a path most likely holds (reading: by extension, then by content)."""
    p = Path(path)
    if for_writing:
        by_ext = _by_extension(_suffix(p))
        if by_ext:
            return by_ext
        raise KmnerError(f"cannot tell the output format of {p} from its extension; "
                         f"give --to ({', '.join(FORMATS)})")
    if p.is_dir():
        if (p / "dataset_info.json").exists() or (p / "dataset_dict.json").exists():
            return "hf"
        if (p / "_kmner_manifest.json").exists():  # part files of an --engine spark run
            return "jsonl"
        raise KmnerError(f"{p} is a directory but not a saved Hugging Face dataset")
    ext = _suffix(p)
    if ext in (".jsonl", ".jsonl.gz"):
        return _sniff_jsonl(p)
    if ext != ".tsv":  # .tsv may be KBMC or KLUE: look inside
        by_ext = _by_extension(ext)
        if by_ext:
            return by_ext
    sniffed = _sniff_lines(p) if p.exists() else None
    if sniffed:
        return sniffed
    raise KmnerError(f"cannot tell the format of {p}; give --from ({', '.join(FORMATS)})")


def _check_name(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise KmnerError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return FORMATS[fmt]


def options_of(fmt: str, role: str) -> set[str]:
    """Keyword options the format's reader (role "read") or writer ("write") takes."""
    f = _check_name(fmt)
    func = _resolve(f.reader if role == "read" else f.writer, fmt, role)
    params = inspect.signature(func).parameters
    return {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY and n != "report"}


def read(path: str | os.PathLike, fmt: str | None = None, *, report: Report | None = None,
         **options: Any) -> Iterator[Record]:
    fmt = fmt or guess_format(path)
    func = _resolve(_check_name(fmt).reader, fmt, "read")
    return func(path, report=report or Report(), **options)


def write(path: str | os.PathLike, records: Iterable[Record], fmt: str | None = None, *,
          report: Report | None = None, **options: Any) -> int:
    fmt = fmt or guess_format(path, for_writing=True)
    func = _resolve(_check_name(fmt).writer, fmt, "write")
    return func(path, records, report=report or Report(), **options)


def load(path: str | os.PathLike, fmt: str | None = None, **kwargs: Any) -> list[Record]:
    return list(read(path, fmt, **kwargs))
