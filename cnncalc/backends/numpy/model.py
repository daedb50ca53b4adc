"""A trainable NumPy model built from a spec: its layers in order, its weights, its loss.

The model is built from the spec's analysis (shapes, resolved padding, Keras weight shapes)
and refuses a spec with errors. All trainable weights live in one flat buffer
(:attr:`NumpyModel.parameters`) and their gradients in another (:attr:`NumpyModel.gradients`),
so an optimiser updates the whole model in a few whole-buffer operations; batch norm's moving
statistics live in a third (:attr:`NumpyModel.state`). Every layer sees its weights as views
into these buffers, in Keras' layouts and order, so ``get_weights`` / ``set_weights`` exchange
weights with a Keras model unchanged.

Inputs and outputs are batch-first in the spec's data format, as in Keras; inside, arrays are
batch-last (see :mod:`cnncalc.backends.numpy.kernels`), converted once at each edge.

The loss is the mean categorical cross-entropy of integer labels. When the last layer's
activation is softmax, softmax and cross-entropy are fused (computed from the logits, and
the gradient is simply ``p - y``); any other head's outputs are taken as logits.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cnncalc.api import SpecSource, analyze
from cnncalc.backends.numpy import kernels as k
from cnncalc.backends.numpy.im2col import Array
from cnncalc.backends.numpy.layers import ActivationLayer, Layer, LayerContext, build_layers
from cnncalc.backends.numpy.optim import flat_buffer
from cnncalc.errors import CnncalcError
from cnncalc.files import write_atomic
from cnncalc.shapes.records import Analysis, Shape

__all__ = ["INITIALISERS", "NumpyModel"]

INITIALISERS: dict[str, Callable[[Shape, np.random.Generator, npt.DTypeLike], Array]] = {
    "kernel": k.glorot_uniform,
    "bias": lambda shape, rng, dtype: k.zeros(shape, dtype),
    "gamma": lambda shape, rng, dtype: k.ones(shape, dtype),
    "beta": lambda shape, rng, dtype: k.zeros(shape, dtype),
    "moving_mean": lambda shape, rng, dtype: k.zeros(shape, dtype),
    "moving_variance": lambda shape, rng, dtype: k.ones(shape, dtype),
}
"""Keras' default initialiser of each weight, by weight name."""


class NumpyModel:
    """The network of a spec, in NumPy: forward, backward, loss, weights in Keras' layout.

    ``seed`` seeds the one random generator that draws the initial weights and, in
    training, the dropout masks, so runs repeat exactly. ``dtype`` is float32, or float64
    for gradient checks.
    """

    def __init__(self, spec: SpecSource, *, seed: int = 0, dtype: npt.DTypeLike = np.float32) -> None:
        analysis = analyze(spec)
        if not analysis.ok:
            problems = "; ".join(f"{d.code} {d.message}" for d in analysis.errors)
            raise CnncalcError(f"cannot build model {analysis.name}: {problems}")
        self.analysis: Analysis = analysis
        self.dtype = np.dtype(dtype)
        self.rng = np.random.default_rng(seed)
        weights = [(record.name, weight) for record in analysis.layers for weight in record.weights or ()]
        trainable = [weight.shape for _, weight in weights if weight.trainable]
        self.parameters, parameter_views = flat_buffer(trainable, self.dtype)
        self.gradients, gradient_views = flat_buffer(trainable, self.dtype)
        self.state, state_views = flat_buffer([w.shape for _, w in weights if not w.trainable], self.dtype)
        self.variables: dict[str, Array] = {}
        """Every weight, ``"<layer name>/<weight name>"`` → its view, in Keras' order."""
        self.variable_gradients: dict[str, Array] = {}
        """The gradient of every trainable weight, keyed like :attr:`variables`."""
        per_layer: dict[str, tuple[dict[str, Array], dict[str, Array]]] = {}
        parameters, gradients, states = iter(parameter_views), iter(gradient_views), iter(state_views)
        for layer_name, weight in weights:
            values, grads = per_layer.setdefault(layer_name, ({}, {}))
            values[weight.name] = next(parameters) if weight.trainable else next(states)
            if weight.trainable:
                grads[weight.name] = self.variable_gradients[f"{layer_name}/{weight.name}"] = next(gradients)
            values[weight.name][...] = INITIALISERS[weight.name](weight.shape, self.rng, self.dtype)
            self.variables[f"{layer_name}/{weight.name}"] = values[weight.name]
        self.layers: list[Layer] = []
        for record in analysis.layers:
            values, grads = per_layer.get(record.name, ({}, {}))
            context = LayerContext(analysis.data_format, values, grads, self.rng)
            self.layers.extend(build_layers(record, context))
        last = self.layers[-1]
        self.fused_softmax = isinstance(last, ActivationLayer) and last.activation == "softmax"
        """Whether the loss fuses the head's softmax with the cross-entropy."""
        self._body = self.layers[:-1] if self.fused_softmax else self.layers
        self._first_trainable = next((i for i, layer in enumerate(self.layers) if layer.trainable), None)

    # ----------------------------------------------------------------------- passes

    def forward(self, x: npt.ArrayLike, training: bool = False) -> Array:
        """The model's output for a batch ``x`` (batch first, the spec's data format)."""
        return self._to_public(self._run(self._to_internal(x, self.analysis.input_shape), training))

    def backward(self, dy: npt.ArrayLike) -> None:
        """Gradients of the last :meth:`forward` given ``dy``, the loss gradient with respect to
        the output; they land in :attr:`gradients` (the input's own gradient is not computed)."""
        self._backward(self._to_internal(dy, self.output_shape), len(self.layers))

    def predict(self, x: npt.ArrayLike, *, batch_size: int = 256) -> Array:
        """Inference on any number of samples, ``batch_size`` at a time."""
        x = np.asarray(x)
        return np.concatenate([self.forward(x[batch]) for batch in _batches(len(x), batch_size)])

    def loss_and_gradients(self, x: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[float, Array]:
        """One training pass: the mean cross-entropy of the batch, and its outputs (N, classes).

        The gradients of the loss are left in :attr:`gradients`.
        """
        labels = self._labels(labels)
        logits = self._run(self._to_internal(x, self.analysis.input_shape), True, self._body)
        loss, probabilities = k.softmax_cross_entropy(logits, labels)
        self._backward(k.softmax_cross_entropy_backward(probabilities, labels), len(self._body))
        return loss, self._to_public(probabilities if self.fused_softmax else logits)

    def evaluate(
        self, x: npt.ArrayLike, labels: npt.ArrayLike, *, batch_size: int = 256
    ) -> tuple[float, float]:
        """Mean cross-entropy and accuracy in inference mode, ``batch_size`` samples at a time."""
        x, labels = np.asarray(x), self._labels(labels)
        total_loss, correct = 0.0, 0
        for batch in _batches(len(x), batch_size):
            logits = self._run(self._to_internal(x[batch], self.analysis.input_shape), False, self._body)
            loss, _ = k.softmax_cross_entropy(logits, labels[batch])
            total_loss += loss * logits.shape[1]
            correct += int(np.count_nonzero(logits.argmax(axis=0) == labels[batch]))
        return total_loss / len(x), correct / len(x)

    def _run(self, x: Array, training: bool, layers: Sequence[Layer] | None = None) -> Array:
        for layer in self.layers if layers is None else layers:
            x = layer.forward(x, training)
        return x

    def _backward(self, dy: Array, stop: int) -> None:
        """Back through ``layers[:stop]``, down to the first layer with weights (no input gradient)."""
        first = self._first_trainable
        if first is None:
            return
        gradient: Array | None = dy
        for index in range(stop - 1, first - 1, -1):
            assert gradient is not None
            gradient = self.layers[index].backward(gradient, need_dx=index > first)

    # ----------------------------------------------------------------------- layout

    @property
    def output_shape(self) -> Shape:
        """The output shape without the batch axis, in the spec's data format."""
        shape = self.analysis.output_shape
        assert shape is not None  # the analysis has no errors
        return shape

    def _to_internal(self, x: npt.ArrayLike, shape: Shape) -> Array:
        """Public ``(N, *shape)`` → internal, batch last (checked against ``shape``)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.shape[1:] != shape:
            raise CnncalcError(
                f"model {self.analysis.name} takes batches of shape (N, {', '.join(map(str, shape))}), "
                f"got {x.shape}"
            )
        if x.ndim == 4 and self.analysis.data_format == "channels_first":
            return np.ascontiguousarray(x.transpose(1, 2, 3, 0))  # (N, C, H, W) → (C, H, W, N)
        return k.to_internal(x)

    def _to_public(self, y: Array) -> Array:
        if y.ndim == 4 and self.analysis.data_format == "channels_first":
            return np.ascontiguousarray(y.transpose(3, 0, 1, 2))  # (C, H, W, N) → (N, C, H, W)
        return k.to_public(y)

    def _labels(self, labels: npt.ArrayLike) -> npt.NDArray[np.intp]:
        if len(self.output_shape) != 1:
            raise CnncalcError(
                f"model {self.analysis.name} outputs shape {self.output_shape}; a classification loss "
                "needs a vector of class scores (end with a dense layer)"
            )
        classes = self.output_shape[0]
        values = np.asarray(labels)
        if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
            raise CnncalcError(
                f"labels must be a vector of integer classes, got {values.dtype} {values.shape}"
            )
        if values.size and (values.min() < 0 or values.max() >= classes):
            raise CnncalcError(f"labels must be in 0..{classes - 1} for model {self.analysis.name}")
        return values.astype(np.intp, copy=False)

    # ----------------------------------------------------------------------- weights

    def get_weights(self) -> list[Array]:
        """Copies of every weight in Keras' order and layouts (``keras.Model.get_weights()``)."""
        return [value.copy() for value in self.variables.values()]

    def set_weights(self, weights: Sequence[npt.ArrayLike]) -> None:
        """Load weights in Keras' order and layouts (``keras.Model.get_weights()``)."""
        if len(weights) != len(self.variables):
            raise CnncalcError(
                f"model {self.analysis.name} has {len(self.variables)} weights, got {len(weights)}"
            )
        self._assign(dict(zip(self.variables, weights, strict=True)))

    def save(self, path: str | os.PathLike[str], *, force: bool = False) -> None:
        """Write every weight to an ``.npz`` keyed ``"<layer name>/<weight name>"`` (atomically;
        an existing file only with ``force``)."""
        buffer = io.BytesIO()
        np.savez(buffer, **self.variables)  # type: ignore[arg-type]  # numpy's stubs mistype **kwds
        write_atomic(Path(path), buffer.getvalue(), force=force)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read weights written by :meth:`save`; every key and shape must match this model."""
        try:
            with np.load(path, allow_pickle=False) as archive:
                if not isinstance(archive, np.lib.npyio.NpzFile):
                    raise CnncalcError(f"{path}: a single array, not an .npz file of weights")
                missing = sorted(set(self.variables) - set(archive.files))
                extra = sorted(set(archive.files) - set(self.variables))
                if missing or extra:
                    raise CnncalcError(
                        f"{path} does not hold the weights of model {self.analysis.name}: "
                        + "; ".join(
                            part
                            for part in (
                                f"missing {', '.join(missing)}" if missing else "",
                                f"unexpected {', '.join(extra)}" if extra else "",
                            )
                            if part
                        )
                    )
                values = {key: archive[key] for key in self.variables}
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise CnncalcError(f"{path}: not a readable .npz file of weights ({error})") from error
        self._assign(values)

    def _assign(self, values: dict[str, Any]) -> None:
        """Check every shape first, then copy, so a mismatch changes nothing."""
        arrays = {key: np.asarray(value) for key, value in values.items()}
        for key, array in arrays.items():
            if array.shape != self.variables[key].shape:
                raise CnncalcError(
                    f"weight {key} of model {self.analysis.name} has shape {self.variables[key].shape}, "
                    f"got {array.shape}"
                )
        for key, array in arrays.items():
            self.variables[key][...] = array


def _batches(count: int, batch_size: int) -> Iterator[slice]:
    return (slice(start, start + batch_size) for start in range(0, count, batch_size))
