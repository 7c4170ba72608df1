"""Export a gazetteer as a Kiwi user dictionary ("tokenizer customisation"), so
Kiwi keeps unknown terms such as 아목시실린 whole instead of splitting them.

Format (one per line): ``word<TAB>POS<TAB>score``. Kiwi words cannot hold spaces,
and one-syllable words would override Kiwi's own analysis of very common
syllables, so both are left out (and counted)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kmner.core.jsonl import atomic_write
from kmner.gazetteer.cleaning import has_hangul
from kmner.gazetteer.compiled import CompiledGazetteer


def kiwi_dict_lines(gaz: CompiledGazetteer, *, tag: str = "NNP", score: float = 0.0,
                    min_chars: int = 2, skipped: Counter | None = None) -> list[str]:
    skipped = skipped if skipped is not None else Counter()
    seen: set[str] = set()
    lines = []
    for surface in gaz.surfaces:
        if any(c.isspace() for c in surface):
            skipped["contains a space"] += 1
        elif len(surface) < min_chars:
            skipped[f"shorter than {min_chars} characters"] += 1
        elif not has_hangul(surface):
            skipped["no Hangul (Kiwi tags Latin script itself)"] += 1
        elif surface in seen:
            skipped["duplicate"] += 1
        else:
            seen.add(surface)
            lines.append(f"{surface}\t{tag}\t{score}")
    return lines


def write_kiwi_dict(gaz: CompiledGazetteer, path: str | Path, **kwargs) -> tuple[int, Counter]:
    skipped: Counter = Counter()
    lines = kiwi_dict_lines(gaz, skipped=skipped, **kwargs)
    with atomic_write(path) as fh:
        fh.write(f"# Kiwi user dictionary from gazetteer {gaz.info.get('name', '')} "
                 f"{gaz.content_hash[:12]}\n")
        for line in lines:
            fh.write(line + "\n")
    return len(lines), skipped
