"""Loaders: one function per source format, each yielding typed entries and
tallying what it dropped and why (nothing is dropped silently)."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from kmner.core.errors import ConfigError, InputError
from kmner.core.jsonl import iter_lines, open_text, read_text
from kmner.gazetteer import cleaning
from kmner.gazetteer.entries import Entry


@dataclass
class LoadContext:
    """What one loader gets: the type to assign, the source's name, its options,
    the body-part terms known so far (for spotting elliptical KCD names) and a
    tally of dropped names per reason."""

    type: str | None
    source: str
    options: dict = field(default_factory=dict)
    body_terms: frozenset[str] = frozenset()
    dropped: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def drop(self, reason: str, name: str) -> None:
        self.dropped[reason] += 1
        ex = self.examples.setdefault(reason, [])
        if len(ex) < 5:
            ex.append(name)

    def need_type(self) -> str:
        if not self.type:
            raise ConfigError(f"source {self.source!r} needs a 'type'")
        return self.type


def _read_csv(path: Path, delimiter: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row dict) for each non-empty row; header names are stripped
    (and lower-cased when ASCII). Errors name the file and line."""
    fh = open_text(path)
    with fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip().lower() if h.isascii() else h.strip() for h in header]
            for row in reader:
                if not row or not any(c.strip() for c in row):
                    continue
                yield reader.line_num, dict(zip(header, (c.strip() for c in row)))
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-8 ({exc.reason}); is it cp949? convert with "
                             "iconv -f cp949 -t utf-8", path=str(path),
                             line=reader.line_num + 1) from None
        except csv.Error as exc:
            raise InputError(f"bad CSV/TSV: {exc}", path=str(path), line=reader.line_num) from None


def _require_columns(path: Path, row: dict, cols: tuple[str, ...]) -> None:
    missing = [c for c in cols if c not in row]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; found {', '.join(row)}",
                         path=str(path))


def _load_json(path: Path):
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", path=str(path), line=exc.lineno) from None


def _load_entries_object(path: Path) -> dict:
    """The {name: item} mapping of a {"entries": {...}} JSON file."""
    data = _load_json(path)
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise InputError("expected {\"entries\": {...}}", path=str(path))
    return entries


# --- KCD ------------------------------------------------------------------------

def _kcd_excluded(code: str, ctx: LoadContext) -> bool:
    prefixes = tuple(ctx.options.get("exclude_code_prefixes", ("V", "W", "X", "Y", "Z")))
    return bool(prefixes) and code.startswith(prefixes)


def _kcd_entries(rows: Iterator[tuple[str, str, str]], ctx: LoadContext) -> Iterator[Entry]:
    """rows: (code, korean name, english name). Parents precede children."""
    type_ = ctx.need_type()
    parent_names: dict[str, str] = {}
    for code, ko, en in rows:
        if not ko:
            ctx.drop("no Korean name", code)
            continue
        if _kcd_excluded(code, ctx):
            ctx.drop("excluded chapter (external causes / health factors)", f"{code} {ko}")
            continue
        term = cleaning.clean_kcd_name(ko)
        parent = parent_names.get(code.split(".")[0]) if "." in code else None
        if "." not in code:
            parent_names[code] = term
        if not term:
            ctx.drop("nothing left after removing qualifiers", f"{code} {ko}")
            continue
        if term.replace(" ", "") in ctx.body_terms:
            ctx.drop("elliptical: a body part, not a disease", f"{code} {ko}")
            continue
        site_qualified = code.startswith(tuple(ctx.options.get(
            "site_qualified_chapters", cleaning.SITE_QUALIFIED_CHAPTERS)))
        if "." in code and cleaning.is_elliptical(term, parent, ctx.body_terms,
                                                  site_qualified=site_qualified):
            ctx.drop("elliptical sub-code name", f"{code} {ko}")
            continue
        yield Entry(term, type_, ctx.source, code, (en,) if en else (), raw=ko)
        yield from _kcd_variants(term, code, ko, ctx)


def _kcd_variants(term: str, code: str, raw: str, ctx: LoadContext) -> Iterator[Entry]:
    """Other surfaces of one KCD name. The ordinal spelling (2형 -> 제2형) and the
    items of a list (위염 및 십이지장염) name the concept and keep its code; the last
    word of a longer name (본태성 고혈압 -> 고혈압) is a broader name than the code's
    concept, so it carries no code (codes name only concepts whose names matched)."""
    type_ = ctx.need_type()
    ordinal = cleaning.kcd_ordinal_variant(term)
    if ordinal:
        yield Entry(ordinal, type_, ctx.source, code, (term,), raw=raw)
    if not ctx.options.get("head_variants", True):
        return
    head = cleaning.kcd_head_variant(term)
    if head and head.replace(" ", "") not in ctx.body_terms:
        yield Entry(head, type_, ctx.source, None, (term,), raw=raw)
    for variant in cleaning.kcd_list_variants(term):
        if variant.replace(" ", "") not in ctx.body_terms:
            yield Entry(variant, type_, ctx.source, code, (term,), raw=raw)


def load_kcd_csv(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """KCD code book CSV with columns kcd, en, ko."""
    def rows():
        for _, row in _read_csv(path, ","):
            _require_columns(path, row, ("kcd", "ko"))
            yield row["kcd"], row["ko"], row.get("en", "")
    return _kcd_entries(rows(), ctx)


def load_kcd_json(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """A JSON list of {code, name, englishName} KCD categories (misc/diseases.json)."""
    data = _load_json(path)
    if not isinstance(data, list):
        raise InputError("expected a JSON list of {code, name}", path=str(path))
    return _kcd_entries(((str(d.get("code", "")), str(d.get("name", "")),
                          str(d.get("englishName", ""))) for d in data), ctx)


# --- anatomy ----------------------------------------------------------------------

_PAREN = re.compile(r"\s*\(([^()]*)\)")


def load_anatomy_tsv(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """Anatomy vocabulary TSV (ko, en, system, section, subsection). A Hangul alias
    in parentheses, "제1경추 (환추)", becomes its own surface; counts such as
    "(1-7번)" are dropped. Options: ``exclude_sections`` (section or subsection
    names whose rows are not body sites, e.g. blood components) and
    ``exclude_suffixes`` (names ending so, e.g. 세포 "cell")."""
    type_ = ctx.need_type()
    sections = set(ctx.options.get("exclude_sections", ()))
    suffixes = tuple(ctx.options.get("exclude_suffixes", ()))
    for lineno, row in _read_csv(path, "\t"):
        _require_columns(path, row, ("ko",))
        ko, en = row["ko"], row.get("en", "")
        if sections & {row.get("section", ""), row.get("subsection", "")}:
            ctx.drop("section excluded by the type policy (substances, cells)", ko)
            continue
        if suffixes and ko.endswith(suffixes):
            ctx.drop("name excluded by the type policy (exclude_suffixes)", ko)
            continue
        aliases = [m.group(1).strip() for m in _PAREN.finditer(ko)]
        main = cleaning.squash_spaces(_PAREN.sub(" ", ko))
        terms = [main] + [a for a in aliases if cleaning.has_hangul(a)
                          and not re.search(r"\d", a)]
        for t in terms:
            if t:
                yield Entry(t, type_, ctx.source, f"line {lineno}", (en,) if en else (), raw=ko)
            else:
                ctx.drop("empty name", ko)


# --- drugs ------------------------------------------------------------------------

def load_hira_drugs(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """HIRA main-ingredient master (일반명코드, 일반명, ...): one entry per cleaned name,
    coded by the first ingredient code seen for it."""
    type_ = ctx.need_type()
    seen: set[str] = set()
    for _, row in _read_csv(path, ","):
        _require_columns(path, row, ("일반명",))
        raw = row["일반명"]
        if raw in seen:
            continue
        seen.add(raw)
        names = cleaning.clean_drug_name(raw)
        if not names:
            ctx.drop("not a single ingredient name (list, test strip, empty)", raw)
        code = row.get("일반명코드", "")[:6] or None
        for n in names:
            yield Entry(n, type_, ctx.source, code, raw=raw)


def load_synonym_json(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """{name: [synonym, ...]}: every key and every synonym is a surface."""
    type_ = ctx.need_type()
    data = _load_json(path)
    if not isinstance(data, dict):
        raise InputError("expected a JSON object {name: [synonyms]}", path=str(path))
    for key, syns in data.items():
        syns = [s for s in (syns if isinstance(syns, list) else [syns]) if isinstance(s, str)]
        for name in [key, *syns]:
            for n in cleaning.clean_drug_name(name):
                yield Entry(n, type_, ctx.source, None, tuple(s for s in syns if s != n),
                            raw=name)


# --- misc JSON lists ----------------------------------------------------------------

def load_name_list_json(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """A JSON list of {"name": ...} objects or of strings (misc/symptoms.json)."""
    type_ = ctx.need_type()
    data = _load_json(path)
    if not isinstance(data, list):
        raise InputError("expected a JSON list", path=str(path))
    for item in data:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            ctx.drop("item without a name", repr(item)[:80])
            continue
        code = item.get("code") if isinstance(item, dict) else None
        yield Entry(cleaning.squash_spaces(name), type_, ctx.source, code, raw=name)


def load_procedures_json(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """HIRA fee-schedule procedures {"entries": {name: {code, name, category}}}."""
    type_ = ctx.need_type()
    for key, item in _load_entries_object(path).items():
        raw = item.get("name", key) if isinstance(item, dict) else key
        names = cleaning.clean_procedure_name(raw)
        if not names:
            ctx.drop("no procedure or test name left (site, material or billing condition)", raw)
        code = item.get("code") if isinstance(item, dict) else None
        for n in names:
            yield Entry(n, type_, ctx.source, code, raw=raw)


def load_biomarkers_json(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """Biomarker gazetteer {"entries": {surface: {biomarker_id, name_en, ...}}}."""
    type_ = ctx.need_type()
    for key, item in _load_entries_object(path).items():
        item = item if isinstance(item, dict) else {}
        syns = tuple(s for s in (item.get("name_en"), item.get("name_ko")) if s)
        yield Entry(cleaning.squash_spaces(key), type_, ctx.source, item.get("biomarker_id"),
                    syns, raw=key)


# --- generic --------------------------------------------------------------------

def load_term_list(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """Plain text, one term per line; '#' starts a comment."""
    type_ = ctx.need_type()
    for lineno, line in iter_lines(path):
        term = cleaning.squash_spaces(line.split("#", 1)[0])
        if term:
            yield Entry(term, type_, ctx.source, None, raw=line)


def load_term_table(path: Path, ctx: LoadContext) -> Iterator[Entry]:
    """TSV or CSV with columns term and type (optional: source, code, synonyms
    separated by '|'). A source type, if configured, fills rows without a type."""
    delimiter = "\t" if path.suffix.lower() in {".tsv", ".tab"} or _sniff_tab(path) else ","
    for lineno, row in _read_csv(path, delimiter):
        _require_columns(path, row, ("term",))
        term = cleaning.squash_spaces(row["term"])
        type_ = row.get("type") or ctx.type
        if not term:
            ctx.drop("empty term", f"line {lineno}")
            continue
        if not type_:
            raise InputError("row has no type and the source sets none", path=str(path),
                             line=lineno)
        syns = tuple(s for s in row.get("synonyms", "").split("|") if s)
        yield Entry(term, type_, row.get("source") or ctx.source, row.get("code") or None,
                    syns, raw=row["term"])


def _sniff_tab(path: Path) -> bool:
    for _, line in iter_lines(path):
        return "\t" in line
    return False


LOADERS: dict[str, Callable[[Path, LoadContext], Iterator[Entry]]] = {
    "kcd_csv": load_kcd_csv,
    "kcd_json": load_kcd_json,
    "anatomy_tsv": load_anatomy_tsv,
    "hira_drugs": load_hira_drugs,
    "synonym_json": load_synonym_json,
    "name_list_json": load_name_list_json,
    "procedures_json": load_procedures_json,
    "biomarkers_json": load_biomarkers_json,
    "term_list": load_term_list,
    "term_table": load_term_table,
}


def guess_format(path: Path) -> str:
    """Format from the file name, for configs that leave ``format`` out."""
    name = path.name.lower()
    if name.startswith("kcd") and name.endswith(".csv"):
        return "kcd_csv"
    if name.startswith("anatomy"):
        return "anatomy_tsv"
    if name.startswith("hira_drug"):
        return "hira_drugs"
    if name.startswith("ingredient_synonyms"):
        return "synonym_json"
    if name.startswith("procedure"):
        return "procedures_json"
    if name.startswith("biomarker"):
        return "biomarkers_json"
    if name == "diseases.json":
        return "kcd_json"
    if name.endswith(".json"):
        return "name_list_json"
    if name.endswith((".tsv", ".csv")):
        return "term_table"
    return "term_list"
