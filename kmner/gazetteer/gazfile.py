"""The compiled gazetteer file, ``kmner-gazetteer/2``: data only, never code.

Layout: the line ``KMNER-GAZETTEER/2``, an 8-byte little-endian header length,
a JSON header, then raw blobs the header lists by name and size:

* the Aho-Corasick automaton (``STORE_INTS``: each key maps to a term number) as
  pyahocorasick's own node buffers plus its integer settings;
* the term table as JSON columns, key lengths and type numbers as packed arrays.

Loading reads bytes, integers and JSON, checks them (sizes, SHA-256 of every
blob, the automaton's kind, store and word count) and only then hands the node
buffers to ``ahocorasick.Automaton``. Nothing in the file can name a function to
call, unlike the pickles of ``kmner-gazetteer/1``, which are refused.
"""

from __future__ import annotations

import hashlib
import json
import struct
from array import array
from pathlib import Path
from typing import Any

from kmner.core.errors import InputError
from kmner.core.jsonl import atomic_write

MAGIC = b"KMNER-GAZETTEER/2\n"
FORMAT = "kmner-gazetteer/2"
_MAX_HEADER = 1 << 30


def _automaton_parts(automaton) -> tuple[list[bytes], list[int]]:
    if len(automaton) == 0:
        return [], []
    cls, args = automaton.__reduce__()[:2]
    buffers, settings, values = args[0], list(args[1:-1]), args[-1]
    if values is not None or not all(isinstance(b, bytes) for b in buffers) \
            or not all(isinstance(i, int) for i in settings):
        raise ValueError("only STORE_INTS automatons can be saved")
    return list(buffers), settings


def write_gazetteer(path: str | Path, gaz) -> None:
    """Write ``gaz`` (a CompiledGazetteer) atomically."""
    buffers, settings = _automaton_parts(gaz.automaton)
    names = sorted(set(gaz.types))
    index = {t: i for i, t in enumerate(names)}
    type_ids = array("H", (index[t] for t in gaz.types))
    table = json.dumps({"surfaces": gaz.surfaces, "sources": gaz.sources, "codes": gaz.codes,
                        "alt_types": {str(k): v for k, v in gaz.alt_types.items()}},
                       ensure_ascii=False, allow_nan=False).encode("utf-8")
    blobs = [("table", table), ("key_lens", array("H", gaz.key_lens).tobytes()),
             ("type_ids", type_ids.tobytes())]
    blobs += [(f"automaton{i}", b) for i, b in enumerate(buffers)]
    header = {"format": FORMAT, "info": gaz.info, "n_terms": len(gaz.surfaces),
              "type_names": names, "automaton_settings": settings,
              "automaton_buffers": len(buffers),
              "blobs": [{"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                        for n, b in blobs]}
    raw = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8")
    with atomic_write(path, "wb") as fh:
        fh.write(MAGIC)
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for _, b in blobs:
            fh.write(b)


def _bad(path: Path, why: str) -> InputError:
    return InputError(f"not a kmner gazetteer file ({FORMAT}): {why}; rebuild it with "
                      "`kmner gazetteer build`", path=str(path))


def _read_blobs(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        if data[:1] == b"\x80":
            raise _bad(path, "an old pickled kmner-gazetteer/1 file, which kmner no longer "
                             "loads because a pickle can run code")
        raise _bad(path, "wrong magic bytes")
    pos = len(MAGIC) + 8
    (size,) = struct.unpack("<Q", data[len(MAGIC):pos]) if len(data) >= pos else (None,)
    if size is None or size > min(_MAX_HEADER, len(data) - pos):
        raise _bad(path, "truncated header")
    try:
        header = json.loads(data[pos:pos + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(path, f"unreadable header: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT \
            or not isinstance(header.get("blobs"), list):
        raise _bad(path, "header is not a gazetteer header")
    pos += size
    blobs: dict[str, bytes] = {}
    for spec in header["blobs"]:
        if not isinstance(spec, dict) or not isinstance(spec.get("size"), int) \
                or spec["size"] < 0 or pos + spec["size"] > len(data):
            raise _bad(path, "truncated or malformed blob list")
        blob = data[pos:pos + spec["size"]]
        if hashlib.sha256(blob).hexdigest() != spec.get("sha256"):
            raise _bad(path, f"checksum of {spec.get('name')!r} does not match: corrupted")
        blobs[str(spec.get("name"))] = blob
        pos += spec["size"]
    return header, blobs


def _automaton(path: Path, header: dict, blobs: dict[str, bytes], n_terms: int):
    import ahocorasick

    settings, n_buf = header.get("automaton_settings"), header.get("automaton_buffers")
    if not isinstance(settings, list) or not all(type(i) is int for i in settings) \
            or not isinstance(n_buf, int):
        raise _bad(path, "malformed automaton settings")
    if n_buf == 0:
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    else:
        buffers = [blobs.get(f"automaton{i}") for i in range(n_buf)]
        if any(b is None for b in buffers) or len(settings) != 5:
            raise _bad(path, "automaton buffers missing")
        kind, store, key_type = settings[:3]
        if store != ahocorasick.STORE_INTS or key_type != ahocorasick.KEY_STRING \
                or kind != ahocorasick.AHOCORASICK:
            raise _bad(path, "automaton is not a finished STORE_INTS string automaton")
        try:
            automaton = ahocorasick.Automaton(buffers, *settings, None)
        except (ValueError, TypeError, MemoryError, IndexError) as exc:
            raise _bad(path, f"automaton does not load: {exc}") from None
    if len(automaton) != n_terms:
        raise _bad(path, f"automaton has {len(automaton)} keys for {n_terms} terms")
    values = list(automaton.values())
    if values and not (0 <= min(values) and max(values) < n_terms):
        raise _bad(path, "automaton points outside the term table")
    return automaton


def read_gazetteer(path: Path) -> dict[str, Any]:
    """The fields of a CompiledGazetteer, read and checked; InputError if unusable."""
    header, blobs = _read_blobs(path)
    try:
        n = int(header["n_terms"])
        names = [str(t) for t in header["type_names"]]
        table = json.loads(blobs["table"].decode("utf-8"))
        key_lens, type_ids = array("H"), array("H")
        key_lens.frombytes(blobs["key_lens"])
        type_ids.frombytes(blobs["type_ids"])
        types = [names[i] for i in type_ids]
        cols = [table["surfaces"], table["sources"], table["codes"]]
        alt = {int(k): str(v) for k, v in table["alt_types"].items()}
        info = header["info"] if isinstance(header["info"], dict) else {}
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise _bad(path, f"malformed term table: {type(exc).__name__}: {exc}") from None
    if any(not isinstance(c, list) or len(c) != n for c in cols) or len(key_lens) != n \
            or len(types) != n or any(not 0 <= i < n for i in alt):
        raise _bad(path, "term table columns disagree in length")
    return {"automaton": _automaton(path, header, blobs, n), "surfaces": cols[0],
            "types": types, "key_lens": key_lens, "sources": cols[1], "codes": cols[2],
            "alt_types": alt, "info": info}
