"""``cnncalc train``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnncalc.api import load
from cnncalc.cli.common import ForceOption, stdout
from cnncalc.errors import CnncalcError
from cnncalc.files import Output, check_outputs, write_or_fallback
from cnncalc.train import MAX_SEED, WEIGHTS_SUFFIX, Backend
from cnncalc.train import train as train_model

"""What ``--save-weights`` writes: the NumPy backend's weights, the Keras backend's whole model."""


def train(
    file: Annotated[Path, typer.Argument(help="Spec file (YAML).", show_default=False, metavar="FILE")],
    *,
    backend: Annotated[Backend, typer.Option(help="Which backend trains the model.")] = Backend.NUMPY,
    data: Annotated[
        str, typer.Option(help="MNIST source: sample, mnist, or a path to mnist.npz or the IDX files.")
    ] = "sample",
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training set.")] = 1,
    batch_size: Annotated[int, typer.Option(min=1, help="Samples per training step.")] = 32,
    seed: Annotated[
        int, typer.Option(min=0, max=MAX_SEED, help="Seed of the initial weights and the shuffles.")
    ] = 0,
    learning_rate: Annotated[float, typer.Option(min=0.0, help="Adam's learning rate.")] = 1e-3,
    metrics_json: Annotated[
        Path | None, typer.Option(help="Write test accuracy, loss and timings to this JSON file.")
    ] = None,
    save_weights: Annotated[
        Path | None,
        typer.Option(
            help="Write the trained model: its weights as .npz (numpy backend), or the whole model, "
            "architecture and weights, as .keras (keras backend, for keras.saving.load_model)."
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Train the spec's model on MNIST and report its test accuracy."""
    outputs = [
        Output(path, option, suffix, f"--backend {backend}")
        for path, option, suffix in (
            (metrics_json, "--metrics-json", None),
            (save_weights, "--save-weights", WEIGHTS_SUFFIX[backend]),
        )
        if path is not None
    ]
    check_outputs(outputs, force=force)  # before training, not after it
    metrics, trainer = train_model(
        load(file),
        backend=backend,
        data=data,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        learning_rate=learning_rate,
        console=stdout(),
    )
    failures = []
    for path, contents in ((save_weights, trainer.weights_file), (metrics_json, metrics.to_json)):
        if path is not None:
            try:
                write_or_fallback(path, contents(), force=force)
            except CnncalcError as failure:  # the other file is still written
                failures.append(str(failure))
    if failures:
        raise CnncalcError("\n".join(failures))
