"""Write data/sample/disease_descriptions.txt, one document per line, from the team's
copy of the Team Trio disease descriptions (MIT; see data/ATTRIBUTION.md).

Each entry gives two lines, its description then its tips, in code order. Only
ship-tier text is used; the names are left out because they are titles, not prose.

    python data/sample/build_disease_descriptions.py [../shared/data/raw/disease_descriptions.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "raw" / "disease_descriptions.json"


def description_lines(entries: dict[str, dict[str, str]]) -> list[str]:
    lines = []
    for code in sorted(entries):
        for field in ("description", "tips"):
            text = " ".join(entries[code].get(field, "").split())
            if text:
                lines.append(text)
    return lines


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    entries = json.loads(source.read_text(encoding="utf-8"))
    lines = description_lines(entries)
    out = HERE / "disease_descriptions.txt"
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(f"wrote {len(lines)} lines from {len(entries)} entries to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
