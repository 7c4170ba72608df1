"""``kmner model pretrain CONFIG``: an offline Korean GLiNER2 base whose heads
read the type they are asked for.

A GLiNER2 learns to condition on the asked type from *type diversity* (GLiNER
pre-trained on Pile-NER's thousands of types with negative types drawn from the
batch). Offline, kmner makes that diversity from what a hospital already has:

- **silver** from raw text (its own notes; the unlabelled text of training
  splits is fair too) with the gazetteer, each record shown in one of two views:
  the coarse KBMC view (Disease, Symptom, Body, Treatment) or the fine view, where
  a mention's type comes from the dictionary class that matched it (the KCD
  chapter of its code, the anatomy system of its row, drug or procedure);
- **general Korean NER** gold (KLUE-NER, CC BY-SA 4.0) with its six types named
  and described;
- every prompt declares the record's own types plus a few negatives drawn from
  its view's pool (``TrainConfig.negative_types``).

No gold label of a set the base is later scored or fine-tuned on goes in; the
config names its inputs, and ``run.yaml`` records them. The result is a full
GLiNER2 folder usable as ``base:`` in any training config and answers
``kmner predict BASE INPUT --types ...`` zero-shot.
"""

from __future__ import annotations

import csv
import dataclasses
import random
from dataclasses import dataclass, field
from pathlib import Path

from kmner.core.errors import ConfigError
from kmner.core.jsonl import load_records, write_records
from kmner.core.records import Record
from kmner.core.runinfo import from_mapping, write_run_info
from kmner.silver.pipeline import SilverConfig, run_silver
from kmner.training.config import TrainConfig
from kmner.training.train import run_training

COARSE: dict[str, str] = {
    "Disease": "질병, 진단명, 의학적 상태",
    "Symptom": "증상, 환자가 느끼는 불편이나 징후",
    "Body": "신체 부위, 장기, 해부학적 구조",
    "Treatment": "치료법, 시술, 약물",
}

# KCD chapters by first code letter (and range), as type names a prompt can read.
KCD_CHAPTERS: tuple[tuple[str, str, str, str], ...] = (
    ("A00", "B99", "감염병", "세균, 바이러스 등 병원체에 의한 감염성 질환"),
    ("C00", "D48", "종양", "암, 양성 종양 등 신생물"),
    ("D50", "D89", "혈액 질환", "빈혈 등 혈액과 조혈 기관, 면역 질환"),
    ("E00", "E90", "내분비 대사 질환", "당뇨병, 갑상선 질환 등 내분비, 영양, 대사 질환"),
    ("F00", "F99", "정신 질환", "우울증, 불안 장애 등 정신 및 행동 장애"),
    ("G00", "G99", "신경계 질환", "뇌전증, 편두통 등 신경계통의 질환"),
    ("H00", "H59", "눈 질환", "백내장, 결막염 등 눈과 눈 부속기의 질환"),
    ("H60", "H95", "귀 질환", "중이염, 이명 등 귀와 꼭지돌기의 질환"),
    ("I00", "I99", "순환기 질환", "고혈압, 심근경색 등 심장과 혈관의 질환"),
    ("J00", "J99", "호흡기 질환", "폐렴, 천식, 비염 등 호흡계통의 질환"),
    ("K00", "K93", "소화기 질환", "위염, 간염 등 입, 위, 장, 간의 질환"),
    ("L00", "L99", "피부 질환", "아토피 피부염, 두드러기 등 피부와 피하조직의 질환"),
    ("M00", "M99", "근골격계 질환", "관절염, 디스크 등 근육, 뼈, 관절의 질환"),
    ("N00", "N99", "비뇨생식기 질환", "신장, 방광, 생식기관의 질환"),
    ("O00", "O99", "임신 출산 관련 상태", "임신, 출산, 산후기의 상태와 합병증"),
    ("P00", "P96", "주산기 질환", "출생 전후 시기에 생긴 상태"),
    ("Q00", "Q99", "선천 기형", "선천 기형, 변형, 염색체 이상"),
    ("R00", "R99", "증상 및 징후", "통증, 발열, 기침 등 증상과 이상 소견"),
    ("S00", "T98", "손상 및 중독", "골절, 화상, 중독 등 외상과 외인의 결과"),
)

GENERAL: dict[str, tuple[str, str]] = {  # KLUE-NER tag -> (type, description)
    "PS": ("Person", "사람 이름"),
    "LC": ("Location", "지명, 장소"),
    "OG": ("Organization", "기관, 단체, 회사 이름"),
    "DT": ("Date", "날짜, 기간"),
    "TI": ("Time", "시각, 시간"),
    "QT": ("Quantity", "수량, 수치, 나이"),
}
DRUG_TYPE = ("약물", "약 이름, 의약품 성분")
PROCEDURE_TYPE = ("치료 시술", "수술, 시술, 검사, 치료 방법")


def _train_defaults() -> dict:
    return {"num_epochs": 2, "batch_size": 8, "task_lr": 1.0e-3, "encoder_lr": 1.0e-4,
            "type_lr": 2.0e-3, "freeze_embeddings": True, "use_lora": False,
            "negative_types": 4, "dev_fraction": 0.05, "precision": "bf16"}


@dataclass
class PretrainConfig:
    """One ``kmner model pretrain`` run.

    encoder: encoder directory (``kmner model fetch e5-small``) or hub id.
    output_dir: run folder; the base is ``OUTPUT_DIR/model``.
    raw: raw text inputs (.txt a document per line, .jsonl whose entities are
        ignored, gzip) run through ``kmner silver run`` first, into
        ``OUTPUT_DIR/silver.jsonl``: the hospital's own notes, or the unlabelled
        text of training splits.
    gazetteer: compiled gazetteer for that silver run (default: the bundled one).
    silver: silver JSONL files made earlier; their entities' ``meta`` (source,
        codes) give the fine view.
    anatomy: the anatomy vocabulary TSV whose rows ``anatomy:line N`` codes
        point into (for anatomy systems); empty = Body stays coarse.
    general: general-domain gold JSONL with KLUE-NER tags (PS LC OG DT TI QT).
    max_silver: silver records with entities to use (seeded sample; 0 = all).
    max_general: general records to use (0 = all).
    fine_share: share of silver records shown in the fine view.
    max_chars: records longer than this are left out (counted in the log): a
        prompt with its types and a long sentence can pass the encoder's 512
        positions.
    train: :class:`TrainConfig` fields for the run (``encoder``, ``output_dir``,
        ``data`` and ``descriptions`` are set here); unset ones take
        :func:`_train_defaults`, then TrainConfig's defaults.
    seed: seed for sampling, views and training.
    """

    encoder: str = ""
    output_dir: str = "runs/pretrain"
    raw: list[str] = field(default_factory=list)
    gazetteer: str = ""
    silver: list[str] = field(default_factory=list)
    anatomy: str = ""
    general: list[str] = field(default_factory=list)
    max_silver: int = 6000
    max_general: int = 1500
    fine_share: float = 0.5
    max_chars: int = 300
    train: dict = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.encoder:
            raise ConfigError("pretrain: encoder is required")
        if not self.raw and not self.silver and not self.general:
            raise ConfigError("pretrain: give raw text, silver and/or general data")
        if not 0.0 <= self.fine_share <= 1.0:
            raise ConfigError(f"pretrain: fine_share must be in [0, 1], got {self.fine_share}")


def kcd_chapter(code: str) -> tuple[str, str] | None:
    key = code[:3].upper()
    for lo, hi, name, desc in KCD_CHAPTERS:
        if lo <= key <= hi:
            return name, desc
    return None


def anatomy_systems(path: str) -> dict[int, str]:
    """File line number -> system name (``골격계`` from ``2. 골격계 (Skeletal System)``)."""
    if not path:
        return {}
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, row in enumerate(csv.reader(f, delimiter="\t"), start=1):
            if n > 1 and len(row) > 2:
                name = row[2].split(". ", 1)[-1].split(" (")[0].strip()
                # "신체 부위 총정리 (Body Regions)" lists regions such as 머리 and 팔
                out[n] = "신체 외부" if name.startswith("신체 부위") else name
    return out


# code prefixes (``source:code``) whose codes are KCD codes
KCD_CODE_SOURCES = ("kcd", "kcd_chapter_r", "misc_diseases")


def coarse_type(ent) -> str:
    meta = ent.meta or {}
    sources = set(str(meta.get("source") or "").split("|"))
    if ent.type == "Disease" and (sources & {"kcd_chapter_r", "misc_symptoms"}):
        return "Symptom"
    return ent.type


def fine_type(ent, systems: dict[int, str]) -> tuple[str, str] | None:
    """The dictionary class that matched this mention, as (type, description);
    None where the class is unknown or the codes disagree."""
    meta = ent.meta or {}
    codes = [c.partition(":") for c in meta.get("codes") or []]
    if ent.type == "Body":
        lines = {int(code.removeprefix("line ")) for source, _, code in codes
                 if source == "anatomy" and code.removeprefix("line ").isdigit()}
        names = {systems[n] for n in lines if n in systems}
        if len(names) == 1:
            name = names.pop()
            return f"{name} 부위", f"{name}에 속하는 신체 부위, 장기, 구조"
        return None
    if ent.type == "Treatment":
        return DRUG_TYPE if "hira_drugs" in str(meta.get("source")) else PROCEDURE_TYPE
    chapters = {kcd_chapter(code) for source, _, code in codes if source in KCD_CODE_SOURCES}
    chapters.discard(None)
    return chapters.pop() if len(chapters) == 1 else None


@dataclass
class PretrainData:
    records: list[Record]
    descriptions: dict[str, str]
    counts: dict[str, int]


def _view(rec: Record, fine: bool, systems, descriptions: dict, pool: set) -> Record:
    ents = []
    for e in rec.entities:
        named = fine_type(e, systems) if fine else None
        name, desc = named or (coarse_type(e), COARSE[coarse_type(e)])
        descriptions.setdefault(name, desc)
        pool.add(name)
        ents.append(dataclasses.replace(e, type=name, meta=None))
    return Record(rec.id, rec.text, ents)


def build_pretrain_data(cfg: PretrainConfig) -> PretrainData:
    rng = random.Random(cfg.seed)
    systems = anatomy_systems(cfg.anatomy)
    silver = [r for p in cfg.silver for r in load_records(p)
              if r.entities and len(r.text) <= cfg.max_chars]
    if cfg.max_silver and len(silver) > cfg.max_silver:
        silver = rng.sample(silver, cfg.max_silver)
    descriptions = dict(COARSE)
    pools: dict[str, set] = {"coarse": set(COARSE), "fine": set(), "general": set()}
    views = []
    for rec in silver:
        view = "fine" if rng.random() < cfg.fine_share else "coarse"
        views.append((view, _view(rec, view == "fine", systems, descriptions, pools[view])))
    general = [r for p in cfg.general for r in load_records(p) if len(r.text) <= cfg.max_chars]
    if cfg.max_general and len(general) > cfg.max_general:
        general = rng.sample(general, cfg.max_general)
    for rec in general:
        ents = []
        for e in rec.entities:
            if e.type in GENERAL:
                name, desc = GENERAL[e.type]
                descriptions[name] = desc
                pools["general"].add(name)
                ents.append(dataclasses.replace(e, type=name, meta=None))
        views.append(("general", Record(rec.id, rec.text, ents)))
    medical = sorted(pools["coarse"] | pools["fine"])
    declare = {"coarse": sorted(pools["coarse"] | pools["general"]),
               "fine": sorted(pools["fine"] | pools["general"]), "general": medical}
    records = [Record(r.id, r.text, r.entities, meta={"declare": declare[v], "view": v})
               for v, r in views]
    rng.shuffle(records)
    counts = {v: sum(1 for w, _ in views if w == v) for v in ("coarse", "fine", "general")}
    return PretrainData(records, descriptions, counts)


def pretrain_train_config(cfg: PretrainConfig, data_path: Path, descriptions: dict) -> TrainConfig:
    settings = dict(_train_defaults(), **cfg.train)
    dev_fraction = settings.pop("dev_fraction")
    return from_mapping(TrainConfig, dict(
        settings, encoder=cfg.encoder, output_dir=cfg.output_dir, seed=cfg.seed,
        descriptions=descriptions, dev_types=list(COARSE),
        data={"train": str(data_path), "dev_fraction": dev_fraction}), where="train")


def run_pretrain(cfg: PretrainConfig, *, progress: bool = True, log=print):
    """Build the many-type data, then train a full GLiNER2 on it; the base is
    ``OUTPUT_DIR/model``."""
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.raw:
        silver_path = out / "silver.jsonl"
        s = run_silver(SilverConfig(inputs=list(cfg.raw), output=str(silver_path), threads=1,
                                    gazetteer=cfg.gazetteer or None), progress=progress)
        log(f"silver: {s.records} sentences, {s.records_with_entities} with entities")
        cfg = dataclasses.replace(cfg, silver=[*cfg.silver, str(silver_path)], raw=[])
    data = build_pretrain_data(cfg)
    path = out / "pretrain_data.jsonl"
    write_records(path, data.records)
    log(f"pretrain data: {len(data.records)} records ({data.counts['coarse']} coarse silver, "
        f"{data.counts['fine']} fine silver, {data.counts['general']} general), "
        f"{len(data.descriptions)} types")
    tcfg = pretrain_train_config(cfg, path, data.descriptions)
    result = run_training(tcfg, progress=progress, log=log)
    write_run_info(out, command="kmner model pretrain", config=cfg, seed=cfg.seed,
                   extra={"types": data.descriptions, "counts": data.counts},
                   name="pretrain.run.yaml")
    return result
