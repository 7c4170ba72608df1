"""Batched prediction with a GLiNER2 model: exact character offsets, long texts
chunked on word-token windows (never cut silently), per-type thresholds, and the
GPU when there is one."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Sequence

from kmner.core.records import Record, make_entity
from kmner.training.model import LoadedModel
from kmner.training.span_morphology import SpanMorphology, filter_spans

MODEL = "model"  # span_morphology: use the counts saved with the model, if any


@dataclass
class PredictStats:
    records: int = 0
    chunked_records: int = 0
    chunks: int = 0
    dropped_past_end: int = 0
    rejected_by_morphology: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.records} records ({self.chunked_records} long ones in {self.chunks} chunks), "
                f"{self.dropped_past_end} spans past the end of text dropped, "
                f"{self.rejected_by_morphology} candidate spans rejected by span morphology, "
                f"{self.seconds:.1f}s")


def resolve_span_morphology(loaded: LoadedModel, span_morphology) -> SpanMorphology | None:
    """``MODEL`` reads the counts saved with the model (None when it has none)."""
    if span_morphology != MODEL:
        return span_morphology
    saved = loaded.meta.get("span_morphology")
    return SpanMorphology.from_dict(saved) if saved else None


def _windows(offsets: Sequence[tuple[int, int]], size: int, overlap: int,
             max_chars: int = 0) -> list[tuple[int, int]]:
    """Word-token windows of at most ``size`` tokens and, with ``max_chars``, at
    most that many characters (a 512-position encoder overflows on 200 words of
    long drug names or numbers), each overlapping the previous by ``overlap``."""
    n_tokens = len(offsets)
    if n_tokens <= size and (not max_chars or not offsets
                             or offsets[-1][1] - offsets[0][0] <= max_chars):
        return [(0, n_tokens)]
    out, start = [], 0
    while True:
        end = min(start + size, n_tokens)
        while max_chars and end - start > 1 and offsets[end - 1][1] - offsets[start][0] > max_chars:
            end -= 1
        out.append((start, end))
        if end == n_tokens:
            return out
        start = max(start + 1, end - overlap)


def dedupe_spans(spans: list[tuple[int, int, str, float]], flat: bool = True
            ) -> list[tuple[int, int, str, float]]:
    """Keep the best-scored span where spans collide (chunks overlap, and GLiNER2
    scores every type separately): across all types when ``flat``, else per type."""
    kept: list[tuple[int, int, str, float]] = []
    for s, e, t, c in sorted(spans, key=lambda x: (-x[3], x[0], x[1], x[2])):
        if any((flat or t == kt) and s < ke and ks < e for ks, ke, kt, _ in kept):
            continue
        kept.append((s, e, t, c))
    return sorted(kept)


def _chunk_pieces(records: Sequence[Record], splitter, chunk_words: int, chunk_overlap: int,
                  chunk_chars: int, stats: PredictStats) -> list[tuple[int, int, str]]:
    """(record index, character offset, text) of every piece to predict: a whole
    text, or its word-token windows; windows get their own token offsets."""
    splitter.prepare(r.text for r in records)
    pieces: list[tuple[int, int, str]] = []  # (record index, char offset, chunk text)
    for i, r in enumerate(records):
        offs = splitter.offsets(r.text)
        wins = _windows(offs, chunk_words, chunk_overlap, chunk_chars)
        if len(wins) > 1:
            stats.chunked_records += 1
            stats.chunks += len(wins)
        for a, b in wins:
            if b <= a:
                pieces.append((i, 0, r.text))
                continue
            cs, ce = (offs[a][0], offs[b - 1][1]) if len(wins) > 1 else (0, len(r.text))
            chunk = r.text[cs:ce]
            if len(wins) > 1:
                splitter.add_pretokenized(chunk, [(s - cs, e - cs) for s, e in offs[a:b]],
                                          where=f"record {r.id} chunk")
            pieces.append((i, cs, chunk))

    return pieces


def _extract(model, pieces: list[tuple[int, int, str]], n_records: int, schema: dict,
             base_thr: float, batch_size: int, precision: str, overlap: dict,
             stats: PredictStats, progress: bool) -> list[list[tuple[int, int, str, float]]]:
    """GLiNER2's spans for every piece, as (start, end, type, score) in record offsets."""
    import torch
    from tqdm.auto import tqdm

    found: list[list[tuple[int, int, str, float]]] = [[] for _ in range(n_records)]
    model.eval()
    if precision not in ("fp32", "bf16", "fp16"):
        raise ValueError(f"precision must be fp32, bf16 or fp16, got {precision!r}")
    device_type = next(model.parameters()).device.type
    amp = (torch.autocast(device_type=device_type,
                          dtype=torch.bfloat16 if precision == "bf16" else torch.float16)
           if precision != "fp32" else contextlib.nullcontext())
    bar = tqdm(total=len(pieces), desc="predict", unit="text", disable=not progress)
    for k in range(0, len(pieces), batch_size):
        part = pieces[k:k + batch_size]
        texts = [p[2] if p[2].strip() else "." for p in part]
        with amp:
            results = model.batch_extract_entities(
                texts, schema, batch_size=batch_size, threshold=base_thr,
                include_confidence=True, include_spans=True, **overlap)
        for (i, cs, chunk), res in zip(part, results):
            for t, spans in (res.get("entities") or {}).items():
                for sp in spans:
                    s, e = int(sp["start"]), int(sp["end"])
                    if e > len(chunk) or s >= e:
                        # GLiNER2 appends "." to text without final punctuation
                        stats.dropped_past_end += 1
                        continue
                    found[i].append((s + cs, e + cs, t, float(sp.get("confidence", 0.0))))
        bar.update(len(part))
    bar.close()
    return found


def predict_records(loaded: LoadedModel, records: Sequence[Record], *,
                    types: dict[str, str] | Sequence[str] | None = None,
                    threshold: float | None = None, thresholds: dict[str, float] | None = None,
                    batch_size: int = 16, chunk_words: int = 200, chunk_overlap: int = 32,
                    chunk_chars: int = 400,
                    progress: bool = False, stats: PredictStats | None = None,
                    flat: bool = True, precision: str = "fp32",
                    span_morphology: SpanMorphology | str | None = MODEL) -> list[Record]:
    """One output record per input record (same id and text) with predicted entities;
    each entity's ``meta.score`` is the model's confidence. ``flat`` (the KBMC
    scheme) keeps non-overlapping spans, the most confident first. ``precision``
    ``bf16`` runs the model under bfloat16 autocast (faster on CPUs with bf16
    instructions and on GPUs; scores can differ in the third decimal).
    ``span_morphology`` (the model's own by default, None for none) rejects spans
    whose morphemes no training entity had; GLiNER2 then returns every candidate
    above threshold, overlaps included, so a rejected span's parts still compete."""
    t0 = time.time()
    stats = stats if stats is not None else PredictStats()
    if types is None:
        types = loaded.descriptions or {}
    if not types:
        raise ValueError("no entity types to predict: pass types or use a model with kmner metadata")
    descriptions = dict(types) if isinstance(types, dict) else {t: "" for t in types}
    base_thr = threshold if threshold is not None else loaded.meta.get("threshold", 0.5)
    per_type = dict(loaded.thresholds)
    per_type.update(thresholds or {})
    schema = {t: ({"description": d} if d else {}) | {"threshold": per_type.get(t, base_thr)}
              for t, d in descriptions.items()}

    pieces = _chunk_pieces(records, loaded.splitter, chunk_words, chunk_overlap, chunk_chars,
                           stats)
    morphology = resolve_span_morphology(loaded, span_morphology)
    # without a filter keep GLiNER2's own per-type overlap decoding (earlier results)
    overlap = {"overlap_policy": "allow"} if morphology else {}

    found = _extract(loaded.model, pieces, len(records), schema, base_thr, batch_size,
                     precision, overlap, stats, progress)

    if morphology:
        found, rejected = filter_spans([r.text for r in records], found, morphology)
        stats.rejected_by_morphology += rejected
    out = []
    for r, spans in zip(records, found):
        ents = [make_entity(r.text, s, e, t, {"score": round(c, 4)}) for s, e, t, c in dedupe_spans(spans, flat)]
        out.append(Record(r.id, r.text, ents))
    stats.records += len(records)
    stats.seconds += time.time() - t0
    return out


def predict_each_type_alone(loaded: LoadedModel, records: Sequence[Record], types: Sequence[str],
                            **kwargs) -> dict[str, list[Record]]:
    """One prediction pass per type with that type as the only one in the prompt
    (for :func:`kmner.evaluation.specificity.type_specificity`)."""
    descriptions = loaded.descriptions
    return {t: predict_records(loaded, records, types={t: descriptions.get(t, "")}, **kwargs)
            for t in types}
