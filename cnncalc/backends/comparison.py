"""The engine against an oracle (Keras, ONNX Runtime), layer by layer: plain data renderers read.

Each oracle's cross-check produces a :class:`Comparison`; :mod:`cnncalc.render.crosscheck` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.shapes.records import Analysis, LayerRecord, Shape

Params = tuple[int, int]
"""``(trainable, non_trainable)`` parameter counts."""


@dataclass(frozen=True)
class LayerComparison:
    """One spec layer as the engine and the oracle see it. ``None`` means "no shape": an error in the
    engine, a refusal by the oracle, or a layer after either."""

    record: LayerRecord
    shape: Shape | None
    """The oracle's output shape (batch axis excluded, in the spec's layout)."""
    params: Params | None
    """The oracle's parameter counts."""
    engine_params: Params | None
    """The engine's, counted the way the oracle counts (``(all, 0)`` where it has no trainable flag)."""

    @property
    def shape_matches(self) -> bool:
        """Same output shape, or both without one."""
        return self.record.output_shape == self.shape

    @property
    def params_match(self) -> bool:
        """Same counts, or both without them."""
        return self.engine_params == self.params

    @property
    def ok(self) -> bool:
        """The engine and the oracle agree on this layer."""
        return self.shape_matches and self.params_match


@dataclass(frozen=True)
class Refusal:
    """What the oracle refused, and why: a layer (``index``), or the whole model (``index`` ``None``)."""

    index: int | None
    name: str
    reason: str


@dataclass(frozen=True)
class Comparison:
    """A spec analysed by the engine and computed by an oracle."""

    analysis: Analysis
    layers: tuple[LayerComparison, ...]
    oracle: str
    """``Keras``, ``ONNX Runtime``."""
    version: str
    refusals: tuple[Refusal, ...] = ()
    summary: str | None = None
    """The oracle's own description of the model, printed after the table (Keras' ``summary()``)."""
    params_caption: str = "params: trainable (+ non-trainable)"

    @property
    def ok(self) -> bool:
        """The engine and the oracle agree on every layer (including where both refuse one)."""
        return all(layer.ok for layer in self.layers)

    @property
    def mismatches(self) -> tuple[LayerComparison, ...]:
        """The layers they disagree on."""
        return tuple(layer for layer in self.layers if not layer.ok)

    def refused(self, index: int) -> bool:
        """Whether the oracle refused layer ``index``."""
        return any(refusal.index == index for refusal in self.refusals)
