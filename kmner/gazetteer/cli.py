"""`kmner gazetteer ...` commands: thin wrappers over the gazetteer package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from kmner.core.errors import InputError
from kmner.core.jsonl import write_json
from kmner.core.paths import check_outputs
from kmner.core.runinfo import write_run_info
from kmner.gazetteer.compiled import CompiledGazetteer, build_gazetteer
from kmner.gazetteer.config import load_config_or_table
from kmner.gazetteer.export import write_term_table
from kmner.gazetteer.kiwi_dict import write_kiwi_dict
from kmner.gazetteer.stats import gazetteer_stats

app = typer.Typer(help="Build and inspect dictionaries (gazetteers).", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="gazetteer")


@app.command("build")
def build_cmd(
    config: Path = typer.Argument(..., help="Build config (YAML/TOML) or a TSV/CSV with "
                                            "term,type columns."),
    output: Path = typer.Option(..., "-o", "--output", help="Compiled gazetteer file."),
    export_tsv: Optional[Path] = typer.Option(None, "--export-tsv",
                                              help="Also write the cleaned term table."),
    report: Optional[Path] = typer.Option(None, "--report",
                                          help="Write the build report as JSON."),
) -> None:
    """Load, clean, deduplicate and compile dictionary sources into one file."""
    cfg = load_config_or_table(config)
    run_info = output.with_name(output.name + ".run.yaml")
    check_outputs(inputs=[config, *(cfg.resolve(s) for s in cfg.sources)],
                  files=[output, export_tsv, report, run_info])
    gaz = build_gazetteer(cfg)
    if len(gaz) == 0:
        raise InputError("the sources gave no terms, so there is nothing to match; check "
                         "the source files, their types and the filters (see the build "
                         "report with --report)", path=str(config))
    gaz.save(output)
    rep = gaz.info["report"]
    for name, src in rep["sources"].items():
        dropped = sum(src.get("dropped", {}).values())
        typer.echo(f"  {name}: {src.get('entries', 0)} entries"
                   + (f", {dropped} names dropped" if dropped else "")
                   + (f" ({src['skipped']})" if "skipped" in src else ""))
        for reason, n in src.get("dropped", {}).items():
            typer.echo(f"      {n:6d}  {reason}")
    for reason, n in rep["filtered"].items():
        typer.echo(f"  filtered {n} entries: {reason}")
    typer.echo(f"  {rep['conflicts']} surfaces had two or more types "
               f"(policy: {rep['conflict_policy']})")
    for ex in rep["conflict_examples"][:5]:
        typer.echo(f"      {ex}")
    per_type = ", ".join(f"{t} {n}" for t, n in sorted(rep["per_type"].items()))
    typer.echo(f"wrote {output}: {len(gaz)} terms ({per_type}), hash "
               f"{gaz.content_hash[:12]}, built in {gaz.info['build_seconds']:.2f}s")
    if export_tsv:
        write_term_table(gaz, export_tsv)
        typer.echo(f"wrote {export_tsv}")
    if report:
        write_json(report, rep)
    write_run_info(output.parent, command="gazetteer build", config=cfg, name=run_info.name,
                   extra={"output": str(output), "content_hash": gaz.content_hash,
                          "terms": len(gaz)})


@app.command("stats")
def stats_cmd(gazetteer: Path = typer.Argument(..., help="Compiled gazetteer."),
              as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Terms per type and source, key lengths, conflicts and what cleaning dropped."""
    st = gazetteer_stats(CompiledGazetteer.load(gazetteer))
    if as_json:
        typer.echo(json.dumps(st, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{st['name']}  hash {st['content_hash'][:12]}  {st['terms']} terms  "
               f"(loaded in {st['load_seconds']:.3f}s)")
    for key in ("per_type", "per_source", "key_length"):
        typer.echo(f"{key}: " + ", ".join(f"{k} {v}" for k, v in st[key].items()))
    typer.echo(f"ambiguous surfaces: {st['ambiguous_terms']} (policy: {st['conflict_policy']})")
    for ex in st["conflict_examples"]:
        typer.echo(f"    {ex}")
    for src, dropped in st["dropped_by_source"].items():
        for reason, n in dropped.items():
            typer.echo(f"dropped from {src}: {n} ({reason})")


@app.command("lookup")
def lookup_cmd(gazetteer: Path = typer.Argument(..., help="Compiled gazetteer."),
               term: str = typer.Argument(..., help="Term (spacing and case ignored).")
               ) -> None:
    """Show the entry a term resolves to; exit 1 if it is not in the gazetteer."""
    found = CompiledGazetteer.load(gazetteer).lookup(term)
    if found is None:
        typer.echo(f"{term!r}: not in the gazetteer")
        raise typer.Exit(1)
    typer.echo(json.dumps(found, ensure_ascii=False))


@app.command("kiwi-dict")
def kiwi_dict_cmd(gazetteer: Path = typer.Argument(..., help="Compiled gazetteer."),
                  output: Path = typer.Option(..., "-o", "--output",
                                              help="Kiwi user dictionary file."),
                  tag: str = typer.Option("NNP", help="POS tag for the words."),
                  min_chars: int = typer.Option(2, min=1, help="Skip shorter terms.")) -> None:
    """Export terms as a Kiwi user dictionary (load with Kiwi.load_user_dictionary)."""
    check_outputs(inputs=[gazetteer], files=[output])
    n, skipped = write_kiwi_dict(CompiledGazetteer.load(gazetteer), output, tag=tag,
                                 min_chars=min_chars)
    typer.echo(f"wrote {output}: {n} words"
               + "".join(f"; skipped {v} ({k})" for k, v in skipped.items()))
