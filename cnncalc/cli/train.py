"""``cnncalc train``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnncalc.api import load
from cnncalc.cli.common import ForceOption, refuse_to_overwrite, stdout
from cnncalc.errors import CnncalcError
from cnncalc.files import write_atomic
from cnncalc.train import Backend
from cnncalc.train import train as train_model

SAVED_SUFFIX = {Backend.NUMPY: ".npz", Backend.KERAS: ".keras"}
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
    seed: Annotated[int, typer.Option(help="Seed of the initial weights and the shuffles.")] = 0,
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
    if save_weights is not None and save_weights.suffix != SAVED_SUFFIX[backend]:
        raise CnncalcError(
            f"--backend {backend} saves a {SAVED_SUFFIX[backend]} file; got --save-weights {save_weights}"
        )
    for output in (metrics_json, save_weights):
        refuse_to_overwrite(output, force)  # fail before training, not after
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
    if metrics_json is not None:
        write_atomic(metrics_json, metrics.to_json(), force=force)
    if save_weights is not None:
        trainer.save(save_weights)
