"""Write a compiled gazetteer back out as a term table (term, type, source, code),
which `kmner gazetteer build` accepts directly."""

from __future__ import annotations

import csv
from pathlib import Path

from kmner.core.jsonl import atomic_write
from kmner.gazetteer.compiled import CompiledGazetteer


def write_term_table(gaz: CompiledGazetteer, path: str | Path) -> int:
    with atomic_write(path) as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(["term", "type", "source", "code"])
        for i in sorted(range(len(gaz)), key=lambda i: (gaz.types[i], gaz.surfaces[i])):
            w.writerow([gaz.surfaces[i], gaz.types[i], gaz.sources[i], gaz.codes[i]])
    return len(gaz)
