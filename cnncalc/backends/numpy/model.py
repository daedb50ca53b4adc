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

The loss is the mean categorical cross-entropy of integer labels, read as Keras' trainer does:
the outputs are probabilities when the last activation in the network is softmax, logits
otherwise. A softmax that is the very last layer is fused with the cross-entropy (computed
from the logits, with the famous gradient ``p - y``); a softmax followed by other layers
(dropout, say) gives probabilities that Keras clips and renormalises, and so does this model.
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

from cnncalc.api import SpecSource, analyze, require_no_errors
from cnncalc.backends.numpy.graph import Graph
from cnncalc.backends.numpy.im2col import Array, Scratch, Split, Workspace, serial
from cnncalc.backends.numpy.kernels.initializers import glorot_uniform, ones, zeros
from cnncalc.backends.numpy.kernels.layout import internal_order, to_public
from cnncalc.backends.numpy.kernels.loss import (
    probability_cross_entropy,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from cnncalc.backends.numpy.layers import (
    BaseLayer,
    BatchNormLayer,
    LayerContext,
    RandomLayer,
    refuse_unsupported,
)
from cnncalc.backends.numpy.optim import flat_buffer, flat_views
from cnncalc.backends.numpy.parallel import (
    Splitter,
    Workers,
    available_cores,
    shard_slices,
    with_one_blas_thread,
)
from cnncalc.errors import CnncalcError
from cnncalc.files import write_atomic
from cnncalc.shapes.records import Analysis, LayerRecord, Shape
from cnncalc.spec.models import LayerScale

__all__ = ["INITIALISERS", "NumpyModel"]

INITIALISERS: dict[str, Callable[[Shape, np.random.Generator, npt.DTypeLike], Array]] = {
    "kernel": glorot_uniform,
    "bias": lambda shape, rng, dtype: zeros(shape, dtype),
    "gamma": lambda shape, rng, dtype: ones(shape, dtype),
    "beta": lambda shape, rng, dtype: zeros(shape, dtype),
    "moving_mean": lambda shape, rng, dtype: zeros(shape, dtype),
    "moving_variance": lambda shape, rng, dtype: ones(shape, dtype),
    "depthwise_kernel": glorot_uniform,
    "pointwise_kernel": glorot_uniform,
    "alpha": lambda shape, rng, dtype: zeros(shape, dtype),
    "mean": lambda shape, rng, dtype: zeros(shape, dtype),
    "variance": lambda shape, rng, dtype: ones(shape, dtype),
    "count": lambda shape, rng, dtype: zeros(shape, dtype),
}
"""Keras' default initialiser of each weight, by weight name (``LayerScale``'s ``gamma`` starts at its
``init_values``)."""


class NumpyModel:
    """The network of a spec, in NumPy: forward, backward, loss, weights in Keras' layout.

    ``seed`` seeds the random generator that draws the initial weights and, in training,
    the dropout masks, so runs repeat exactly. ``dtype`` is float32, or float64 for gradient
    checks. Batches are split into shards that ``workers`` threads (default: one per core)
    run side by side (see :mod:`cnncalc.backends.numpy.parallel`); in training only when no
    layer couples the samples of a batch (batch norm does). BLAS runs on one thread during every
    pass, so results depend on neither the worker count nor ``OPENBLAS_NUM_THREADS``.
    """

    def __init__(
        self,
        spec: SpecSource,
        *,
        seed: int = 0,
        dtype: npt.DTypeLike = np.float32,
        workers: int | None = None,
    ) -> None:
        analysis = analyze(spec)
        require_no_errors(analysis, f"cannot build model {analysis.name}")
        for record in analysis.layers:
            refuse_unsupported(record)  # before making its weights
        self.analysis: Analysis = analysis
        self.dtype = np.dtype(dtype)
        self.rng = np.random.default_rng(seed)
        weights = [(record, weight) for record in analysis.layers for weight in record.weights or ()]
        trainable = [weight.shape for _, weight in weights if weight.trainable]
        self.parameters, parameter_views = flat_buffer(trainable, self.dtype)
        self.gradients, gradient_views = flat_buffer(trainable, self.dtype)
        self.state, state_views = flat_buffer([w.shape for _, w in weights if not w.trainable], self.dtype)
        self.variables: dict[str, Array] = {}
        """Every weight, ``"<layer name>/<weight name>"`` → its view, in Keras' order."""
        self.variable_gradients: dict[str, Array] = {}
        """The gradient of every trainable weight, keyed like :attr:`variables`."""
        values: dict[str, dict[str, Array]] = {}
        parameters, gradients, states = iter(parameter_views), iter(gradient_views), iter(state_views)
        for record, weight in weights:
            key = f"{record.name}/{weight.name}"
            value = self.variables[key] = next(parameters) if weight.trainable else next(states)
            if isinstance(record.layer, LayerScale):
                value[...] = record.layer.init_values
            else:
                value[...] = INITIALISERS[weight.name](weight.shape, self.rng, self.dtype)
            values.setdefault(record.name, {})[weight.name] = value
            if weight.trainable:
                self.variable_gradients[key] = next(gradients)
        self._workers = Workers(available_cores() if workers is None else workers)
        self._splitter = Splitter(self._workers)
        # Worker 0 writes its gradients straight into self.gradients and runs whole batches with
        # the workers sharing its kernels' work; the others run shards, into their own buffers.
        self._replicas = [
            _Replica(analysis, values, self.gradients, self._splitter),
            *(
                _Replica(analysis, values, flat_buffer(trainable, self.dtype)[0], serial)
                for _ in range(1, self._workers.count)
            ),
        ]
        self.layers: list[BaseLayer] = self._replicas[0].graph.layers
        """The layers in order (worker 0's copy), activations split from their layers."""
        self.fused_softmax = self._replicas[0].fused_softmax
        """Whether the loss fuses the head's softmax with the cross-entropy."""
        self.from_logits = not (self.fused_softmax or self._replicas[0].probabilities)
        """Whether the loss reads the outputs as logits (Keras' ``from_logits``)."""
        self._batch_coupled = any(isinstance(layer, BatchNormLayer) for layer in self.layers)
        self._random = any(isinstance(layer, RandomLayer) for layer in self.layers)
        self._shard_gradients = np.empty((0, self.gradients.size), self.dtype)

    # ----------------------------------------------------------------------- passes

    @with_one_blas_thread
    def forward(self, x: npt.ArrayLike, training: bool = False) -> Array:
        """The model's output for a batch ``x`` (batch first, the spec's data format).

        In training mode the whole batch goes through worker 0's layers, whose caches
        :meth:`backward` then uses: call it before any other pass.
        """
        x = self._inputs(x)
        if not training:
            shards = shard_slices(len(x))
            with self._splitter.sharing(len(shards) == 1):
                outputs = self._workers.map(lambda w, i: self._replicas[w].infer(x[shards[i]]), len(shards))
            return np.concatenate(outputs)
        replica = self._replicas[0]
        replica.draw_randomness_from(self._generators(1)[0])
        with self._splitter.sharing():
            return replica.to_public(replica.graph.forward(replica.to_internal(x), True))

    @with_one_blas_thread
    def backward(self, dy: npt.ArrayLike) -> None:
        """Gradients of the last :meth:`forward` in training mode given ``dy``, the loss gradient
        with respect to the output; they land in :attr:`gradients` (the input's is not computed)."""
        replica = self._replicas[0]
        dy = np.asarray(dy, dtype=self.dtype)
        if dy.shape[1:] != self.output_shape:
            raise CnncalcError(
                f"model {self.analysis.name} outputs {self.output_shape}, got gradients {dy.shape}"
            )
        # Not into the input's buffer: the first layer may still hold the input (a dense one does).
        with self._splitter.sharing():
            replica.graph.backward(replica.to_internal(dy, "output_gradient"))

    def predict(self, x: npt.ArrayLike, *, batch_size: int = 256) -> Array:
        """Inference on any number of samples, ``batch_size`` at a time."""
        x = np.asarray(x)
        return np.concatenate([self.forward(x[batch]) for batch in _batches(len(x), batch_size)])

    @with_one_blas_thread
    def loss_and_gradients(self, x: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[float, Array]:
        """One training pass: the mean cross-entropy of the batch, and its outputs (N, classes).

        The gradients of the loss are left in :attr:`gradients`: the sum of the shards'
        gradients, each shard's taken from the batch's mean loss.
        """
        x, labels = self._inputs(x), self._labels(labels)
        batch = len(x)
        shards = [slice(0, batch)] if self._batch_coupled else shard_slices(batch)
        generators = self._generators(len(shards))
        if len(shards) == 1:  # worker 0 writes self.gradients directly, the workers sharing its kernels
            with self._splitter.sharing():
                loss_sum, outputs = self._replicas[0].train(x, labels, batch, generators[0])
            return loss_sum / batch, outputs
        if len(self._shard_gradients) < len(shards):
            self._shard_gradients = np.empty((len(shards), self.gradients.size), self.dtype)
        slots = self._shard_gradients[: len(shards)]

        def task(worker: int, index: int) -> tuple[float, Array]:
            replica, shard = self._replicas[worker], shards[index]
            result = replica.train(x[shard], labels[shard], batch, generators[index])
            np.copyto(slots[index], replica.gradients)
            return result

        results = self._workers.map(task, len(shards))
        np.sum(slots, axis=0, out=self.gradients)  # shard by shard, in order
        return sum(loss for loss, _ in results) / batch, np.concatenate([outputs for _, outputs in results])

    def evaluate(
        self, x: npt.ArrayLike, labels: npt.ArrayLike, *, batch_size: int = 256
    ) -> tuple[float, float]:
        """Mean cross-entropy and accuracy in inference mode, ``batch_size`` samples at a time."""
        x, labels = np.asarray(x), self._labels(labels)
        total_loss, correct = 0.0, 0
        for batch in _batches(len(x), batch_size):
            loss_sum, hits = self._score(self._inputs(x[batch]), labels[batch])
            total_loss += loss_sum
            correct += hits
        return total_loss / len(x), correct / len(x)

    @with_one_blas_thread
    def _score(self, x: Array, labels: npt.NDArray[np.intp]) -> tuple[float, int]:
        """Summed loss and correct predictions of a batch in inference mode, shard by shard."""
        shards = shard_slices(len(x))
        with self._splitter.sharing(len(shards) == 1):
            scores = self._workers.map(
                lambda w, i: self._replicas[w].score(x[shards[i]], labels[shards[i]]), len(shards)
            )
        return sum(loss for loss, _ in scores), sum(hits for _, hits in scores)

    def _generators(self, count: int) -> list[np.random.Generator]:
        """One generator per shard for dropout masks and noise, drawn from the model's own."""
        if not self._random:
            return [self.rng] * count
        return [np.random.default_rng(seed) for seed in self.rng.integers(2**63, size=count)]

    # ----------------------------------------------------------------------- checks

    @property
    def output_shape(self) -> Shape:
        """The output shape without the batch axis, in the spec's data format."""
        shape = self.analysis.output_shape
        assert shape is not None  # the analysis has no errors
        return shape

    def _inputs(self, x: npt.ArrayLike) -> Array:
        x = np.asarray(x, dtype=self.dtype)
        shape = self.analysis.input_shape
        if x.shape[1:] != shape:
            raise CnncalcError(
                f"model {self.analysis.name} takes batches of shape (N, {', '.join(map(str, shape))}), "
                f"got {x.shape}"
            )
        return x

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

    def npz_bytes(self) -> bytes:
        """Every weight as the bytes of an ``.npz`` file keyed ``"<layer name>/<weight name>"``."""
        buffer = io.BytesIO()
        np.savez(buffer, **self.variables)  # type: ignore[arg-type]  # numpy's stubs mistype **kwds
        return buffer.getvalue()

    def save(self, path: str | os.PathLike[str], *, force: bool = False) -> None:
        """Write :meth:`npz_bytes` to ``path`` (atomically; an existing file only with ``force``)."""
        write_atomic(Path(path), self.npz_bytes(), force=force)

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


class _Replica:
    """The model's graph once more, for one worker: the model's weights, but its own
    gradient buffer, workspaces and caches."""

    def __init__(
        self, analysis: Analysis, values: dict[str, dict[str, Array]], gradients: Array, split: Split
    ) -> None:
        self.data_format = analysis.data_format
        self.gradients = gradients
        self.workspace = Workspace()
        shapes = [w.shape for record in analysis.layers for w in record.weights or () if w.trainable]
        views = iter(flat_views(gradients, shapes))
        scratch = Scratch()

        def context(record: LayerRecord) -> LayerContext:
            grads = {w.name: next(views) for w in record.weights or () if w.trainable}
            weights = values.get(record.name, {})
            rng = np.random.default_rng(0)
            return LayerContext(analysis.data_format, weights, grads, rng, scratch=scratch, split=split)

        self.graph = Graph(analysis, context)
        self.fused_softmax = self.graph.fused_softmax
        # As Keras' trainer: scores are probabilities when the last activation is a softmax.
        last = next((layer for layer in reversed(analysis.spec.layers) if hasattr(layer, "activation")), None)
        self.probabilities = getattr(last, "activation", "linear") == "softmax" and not self.fused_softmax
        """Whether the loss reads probabilities (a softmax followed by other layers, such as dropout)."""

    def draw_randomness_from(self, rng: np.random.Generator) -> None:
        for layer in self.graph.layers:
            if isinstance(layer, RandomLayer):
                layer.rng = rng

    def train(
        self, x: Array, labels: npt.NDArray[np.intp], batch: int, rng: np.random.Generator
    ) -> tuple[float, Array]:
        """Forward and backward for one shard of a batch of ``batch`` samples; returns the
        shard's summed loss and its outputs, its share of the gradients in :attr:`gradients`."""
        self.draw_randomness_from(rng)
        scores = self.graph.forward(self.to_internal(x), True, head=False)
        loss, gradient, outputs = self.loss(scores, labels)
        if len(labels) != batch:
            gradient *= len(labels) / batch  # the batch's mean, not the shard's
        self.graph.backward(gradient, head=False)
        return loss * len(labels), self.to_public(outputs)

    def infer(self, x: Array) -> Array:
        return self.to_public(self.graph.forward(self.to_internal(x), False))

    def score(self, x: Array, labels: npt.NDArray[np.intp]) -> tuple[float, int]:
        """Summed loss and number of correct predictions in inference mode."""
        loss, _, outputs = self.loss(self.graph.forward(self.to_internal(x), False, head=False), labels)
        return loss * len(labels), int(np.count_nonzero(outputs.argmax(axis=0) == labels))

    def loss(self, scores: Array, labels: npt.NDArray[np.intp]) -> tuple[float, Array, Array]:
        """Mean cross-entropy of what the graph computed (without a fused softmax), its gradient,
        and the model's outputs."""
        if self.probabilities:
            loss, gradient = probability_cross_entropy(scores, labels)
            return loss, gradient, scores
        loss, probabilities = softmax_cross_entropy(scores, labels)
        outputs = probabilities if self.fused_softmax else scores
        return loss, softmax_cross_entropy_backward(probabilities, labels), outputs

    def to_internal(self, x: Array, buffer: str = "input") -> Array:
        """Public, batch first → internal, batch last (into the reused buffer ``buffer``)."""
        moved = x.transpose(internal_order(x.ndim - 1, self.data_format))
        internal = self.workspace.empty(buffer, moved.shape, x.dtype)
        np.copyto(internal, moved)
        return internal

    def to_public(self, y: Array) -> Array:
        return to_public(y, self.data_format)


def _batches(count: int, batch_size: int) -> Iterator[slice]:
    return (slice(start, start + batch_size) for start in range(0, count, batch_size))
