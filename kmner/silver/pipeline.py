"""`kmner silver run`: stream inputs through the Kiwi-checked matcher.

Kiwi analyses texts in its own worker threads while this thread matches the
results in order. The per-sentence Python work after Kiwi is kept small: the
Aho-Corasick scan runs first and morphemes are only inspected around its hits;
.jsonl records without any dictionary hit never go to Kiwi at all.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterator

from kmner.core.errors import InputError
from kmner.core.jsonl import dumps
from kmner.core.morph import by_sentence, get_kiwi
from kmner.core.paths import check_outputs
from kmner.core.records import Record
from kmner.gazetteer.boundaries import MorphIndex
from kmner.gazetteer.compiled import CompiledGazetteer
from kmner.gazetteer.default import default_gazetteer_path
from kmner.gazetteer.matcher import Matcher
from kmner.silver.checkpoint import ResumableOutput
from kmner.silver.inputs import DocUnit, RecordUnit, Rejected, Unit, input_kind, iter_units


@dataclass
class SilverConfig:
    """Settings of one silver run (saved beside the output as OUT.run.yaml).

    inputs: .txt (a document per line) or .jsonl files, optionally gzipped.
    output: JSONL of records with silver entities.
    rejects: where unusable input lines go, with reasons (default OUT.rejects.jsonl).
    gazetteer: compiled gazetteer (default: the bundled one).
    threads: Kiwi worker threads.
    kiwi_user_dict: optional Kiwi user dictionary (see `kmner gazetteer kiwi-dict`).
    checkpoint_every: input units between checkpoints (for --resume).
    """

    inputs: list[str] = field(default_factory=list)
    output: str = "silver.jsonl"
    rejects: str | None = None
    gazetteer: str | None = None
    threads: int = 2
    kiwi_user_dict: str | None = None
    checkpoint_every: int = 2000


# Units that need no Kiwi analysis and may wait for the next analysed one.
_MAX_WAITING = 256
# Work in this thread is done a block at a time, so that the memory each step
# touches (the automaton when preparing units, morphemes and term metadata when
# matching Kiwi's results) stays in cache across a block. On the benchmark this
# cut this thread's CPU per sentence by about a fifth. Kiwi goes on analysing the
# texts it holds meanwhile; blocks much larger than these left it waiting.
_PREPARE_BLOCK = 128  # units normalised and scanned at a time
_MATCH_BLOCK = 64     # Kiwi results taken at a time before matching them


def _in_blocks(items: Iterator, size: int) -> Iterator:
    """The same items in the same order, pulled ``size`` at a time."""
    items = iter(items)
    while block := list(islice(items, size)):
        yield from block


@dataclass
class SilverSummary:
    units: int = 0             # input units: txt lines + jsonl records (+ bad lines)
    written_units: int = 0     # units that produced output records
    rejected: int = 0
    records: int = 0           # output records (sentences for txt, records for jsonl)
    records_with_entities: int = 0
    entities: Counter = field(default_factory=Counter)
    reject_reasons: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    resumed_from: int = 0

    def balanced(self) -> bool:
        return self.units == self.written_units + self.rejected

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["entities"] = dict(self.entities)
        d["reject_reasons"] = dict(self.reject_reasons)
        return d

    def lines(self) -> list[str]:
        ents = sum(self.entities.values())
        per = ", ".join(f"{t} {n}" for t, n in sorted(self.entities.items())) or "none"
        out = [f"input units: {self.units} = written {self.written_units} + rejected "
               f"{self.rejected}" + ("" if self.balanced() else "  (MISMATCH)"),
               f"output records: {self.records} ({self.records_with_entities} with entities); "
               f"entities: {ents} ({per})"]
        for reason, n in self.reject_reasons.most_common():
            out.append(f"  rejected {n}: {reason}")
        if self.seconds:
            out.append(f"time: {self.seconds:.1f}s ({self.records / self.seconds:.0f} "
                       "records/s)")
        return out


class SilverProcessor:
    """Turns analysed units into output records (used by `silver run`, so the
    benchmark and the demo, which call run_silver, measure the same code)."""

    def __init__(self, matcher: Matcher) -> None:
        self.m = matcher

    def needs_kiwi(self, unit: Unit) -> str | None:
        """The normalised text Kiwi must analyse, or None (no analysis needed).
        Stashes the normalisation and the dictionary hits on the unit for `process`.
        A document always goes to Kiwi, which splits it into sentences."""
        if isinstance(unit, DocUnit):
            prep = unit.prep = self.m.prepare(unit.text)
            return prep.text
        if isinstance(unit, RecordUnit):
            prep = unit.prep = self.m.prepare(unit.record.text)
            return prep.text if prep.candidates else None
        return None

    def doc_records(self, unit: DocUnit, tokens) -> list[Record]:
        """Split a document by Kiwi's sentences and match each sentence."""
        m, norm, doc, doc_cands = self.m, unit.prep.norm, unit.text, unit.prep.candidates
        derived = norm.derived
        out = []
        for k, toks in enumerate(by_sentence(tokens), 1):
            if not toks:
                continue
            a = toks[0].start
            b = max(toks[-1].end, toks[-2].end) if len(toks) > 1 else toks[-1].end
            oa, ob = norm.to_original(a, b)
            sent = derived[a:b]
            if not doc_cands or (a == 0 and b == len(derived)):
                cands = doc_cands
            else:  # hits inside this sentence, in its offsets
                cands = [(s - a, e - a, i) for s, e, i in doc_cands if a <= s and e <= b]
            ents = []
            if cands:
                hits = m.select(sent, cands, MorphIndex(toks, a))
                if hits:
                    ents = m.to_entities(doc, norm, hits, shift=oa, offset=a)
            out.append(Record(f"{unit.id_prefix}-{k}", doc[oa:ob], ents,
                              {"source": unit.source, "line": unit.line, "sentence": k,
                               "char_start": oa}))
        return out

    def record_output(self, unit: RecordUnit, tokens) -> Record:
        """The record with its entities replaced (matched whole, not split)."""
        prep = unit.prep
        rec = unit.record
        if tokens is None:
            return rec.copy_with([])
        hits = self.m.select(prep.text, prep.candidates, MorphIndex(tokens))
        return rec.copy_with(self.m.to_entities(rec.text, prep.norm, hits))

    def process(self, units: Iterator[Unit], kiwi) -> Iterator[tuple[Unit, list[Record]]]:
        """(unit, output records) in input order; rejected units give [].

        Kiwi pulls texts from a generator (about 32 ahead of its results) and
        analyses them in its worker threads while this thread matches the results
        as they arrive, a block at a time. Matching in the thread that consumes
        Kiwi's results keeps both cores busy; a separate consumer thread lost up to
        5% of wall time to GIL hand-offs and to matching the last batch alone.
        Units that need no analysis wait in the queue, so output keeps input order."""
        queue: deque[tuple[Unit | None, str | None]] = deque()

        def texts() -> Iterator[str]:
            idle = 0
            prepared = ((unit, self.needs_kiwi(unit)) for unit in units)
            for unit, text in _in_blocks(prepared, _PREPARE_BLOCK):
                queue.append((unit, text))
                if text is not None:
                    idle = 0
                    yield text
                else:
                    idle += 1
                    if idle >= _MAX_WAITING:
                        # a long run of units without analysis (records without any
                        # dictionary hit, rejected lines): send Kiwi an empty text so
                        # they are written now instead of piling up in memory
                        idle = 0
                        queue.append((None, ""))
                        yield ""

        analysed = kiwi.tokenize(texts())
        for tokens in _in_blocks(analysed, _MATCH_BLOCK):
            while True:
                unit, text = queue.popleft()
                if text is None:
                    yield unit, self._without_kiwi(unit)
                    continue
                if unit is None:  # the empty text sent to flush the queue
                    break
                if isinstance(unit, DocUnit):
                    yield unit, self.doc_records(unit, tokens)
                else:
                    yield unit, [self.record_output(unit, tokens)]
                break
        while queue:  # units after the last one Kiwi analysed
            unit, _ = queue.popleft()
            yield unit, self._without_kiwi(unit)

    def _without_kiwi(self, unit: Unit) -> list[Record]:
        if isinstance(unit, RecordUnit):
            return [self.record_output(unit, None)]
        return []


def run_silver(cfg: SilverConfig, *, resume: bool = False, progress: bool = True,
               gazetteer: CompiledGazetteer | None = None) -> SilverSummary:
    """Run the silver pipeline; every input unit ends up written or rejected."""
    paths = [Path(p) for p in cfg.inputs]
    if not paths:
        raise InputError("no input files given")
    for p in paths:
        if not p.is_file():
            raise InputError("input file not found (or not a file); check the path",
                             path=str(p))
        input_kind(p)  # an unknown kind is an error now, not after the outputs exist
    for extra in (cfg.gazetteer, cfg.kiwi_user_dict):
        if extra and not Path(extra).is_file():
            raise InputError("not found or not a file; check the path", path=extra)
    output = Path(cfg.output)
    rejects = Path(cfg.rejects) if cfg.rejects else output.with_name(
        output.name.removesuffix(".jsonl") + ".rejects.jsonl")
    check_outputs(inputs=[*paths, cfg.gazetteer, cfg.kiwi_user_dict],
                  files=[output, rejects, *ResumableOutput.side_files(output, rejects),
                         run_info_path(output)])
    if gazetteer is None:
        gazetteer = CompiledGazetteer.load(cfg.gazetteer or default_gazetteer_path())
    if cfg.threads < 1:
        raise InputError(f"threads must be >= 1, got {cfg.threads}")
    processor = SilverProcessor(Matcher(gazetteer, user_dict=cfg.kiwi_user_dict,
                                        num_workers=cfg.threads))
    kiwi = get_kiwi(cfg.kiwi_user_dict, cfg.threads)
    settings = {"gazetteer": gazetteer.content_hash, "kiwi_user_dict": cfg.kiwi_user_dict}
    out = ResumableOutput(output, rejects, paths, settings)
    previous = out.open(resume)
    summary = SilverSummary()
    if previous is None:
        skip = 0
        out.save(0, summary.to_dict())
    else:
        skip = previous.units_done
        _restore(summary, previous.counts)
        summary.resumed_from = skip
    t0 = time.perf_counter()
    bar = _progress_bar(progress, skip)
    done = skip
    try:
        units = iter_units(paths)
        for _ in range(skip):
            next(units, None)
        write = out.out_fh.write
        entity_counts = summary.entities
        for unit, records in processor.process(units, kiwi):
            if isinstance(unit, Rejected):
                out.rej_fh.write(dumps(unit.to_dict()) + "\n")
                summary.rejected += 1
                summary.reject_reasons[unit.reason[:100]] += 1
            else:
                write("".join([dumps(r.to_dict()) + "\n" for r in records]))
                summary.written_units += 1
                summary.records += len(records)
                for rec in records:
                    if rec.entities:
                        summary.records_with_entities += 1
                        for e in rec.entities:
                            entity_counts[e.type] += 1
            summary.units += 1
            done += 1
            if bar is not None:
                bar.update(1)
            if done % cfg.checkpoint_every == 0:
                out.save(done, summary.to_dict())
    except BaseException:
        # Keep the last consistent checkpoint; --resume cuts the partial files
        # back to it and redoes the units after it.
        out.abandon()
        raise
    finally:
        if bar is not None:
            bar.close()
    out.finish()
    summary.seconds = time.perf_counter() - t0
    return summary


def run_info_path(output: Path) -> Path:
    """Where `kmner silver run` writes the run info of ``output``."""
    return output.with_name(output.name.removesuffix(".jsonl") + ".run.yaml")


def _restore(s: SilverSummary, counts: dict) -> None:
    for key in ("units", "written_units", "rejected", "records", "records_with_entities"):
        setattr(s, key, int(counts.get(key, 0)))
    s.entities = Counter(counts.get("entities", {}))
    s.reject_reasons = Counter(counts.get("reject_reasons", {}))


def _progress_bar(enabled: bool, initial: int):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=None, initial=initial, unit=" records", desc="silver",
                mininterval=0.5, dynamic_ncols=True, disable=None)  # None: off when not a TTY
