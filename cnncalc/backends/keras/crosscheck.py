"""The engine against Keras, layer by layer and by name: output shape and trainable / non-trainable
parameters, for chains and graphs alike.

The result is plain data (Keras is imported only by :func:`crosscheck` itself), so renderers can
read it without TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Any

from cnncalc.api import SpecSource, analyze
from cnncalc.backends.comparison import Comparison, LayerComparison, Params, Refusal
from cnncalc.memory import estimate, require_memory
from cnncalc.shapes.records import Analysis, LayerRecord

if TYPE_CHECKING:
    from cnncalc.backends.keras.build import KerasRejection


@dataclass(frozen=True)
class Crosscheck:
    """A spec analysed by the engine and built by Keras."""

    analysis: Analysis
    layers: tuple[LayerComparison, ...]
    rejections: tuple[KerasRejection, ...]
    """The layers Keras refused to build, and why (in spec order); empty when it built them all."""
    keras_version: str
    model: Any = None
    """The functional ``keras.Model``, when Keras built every layer."""

    @property
    def rejection(self) -> KerasRejection | None:
        """The first layer Keras refused, if any."""
        return self.rejections[0] if self.rejections else None

    @property
    def keras_summary(self) -> str | None:
        """Keras' own ``model.summary()``, when it built the model."""
        return None if self.model is None else summary_text(self.model)

    @property
    def ok(self) -> bool:
        """The engine and Keras agree on every layer (including where both refuse one)."""
        return all(layer.ok for layer in self.layers)

    @property
    def mismatches(self) -> tuple[LayerComparison, ...]:
        """The layers they disagree on."""
        return tuple(layer for layer in self.layers if not layer.ok)

    def comparison(self) -> Comparison:
        """As the :class:`Comparison` every oracle's cross-check gives (what renderers print)."""
        refusals = tuple(Refusal(r.index, r.name, r.reason) for r in self.rejections)
        return Comparison(
            self.analysis, self.layers, "Keras", self.keras_version, refusals, self.keras_summary
        )


def crosscheck(source: SpecSource) -> Crosscheck:
    """Analyse the spec and build it in Keras; compare every layer's shape and parameter counts.
    A model whose weights do not fit in memory is refused before Keras is imported."""
    analysis = analyze(source)
    require_memory(estimate(analysis), f"build {analysis.name} in Keras")
    from cnncalc.backends.keras.build import build_layers, functional, keras

    built = build_layers(analysis.spec)
    layers = []
    for record in analysis.layers:
        output = built.outputs.get(record.name)
        shape, params = (
            (None, None) if output is None else (tuple(output.shape[1:]), _params(built.layers[record.name]))
        )
        layers.append(LayerComparison(record, shape, params, _engine_params(record)))
    model = None if built.rejections else functional(analysis.spec, built)
    return Crosscheck(analysis, tuple(layers), tuple(built.rejections), keras.__version__, model)


def _engine_params(record: LayerRecord) -> Params | None:
    """The engine's ``(trainable, non_trainable)`` counts."""
    if record.trainable_params is None or record.non_trainable_params is None:
        return None
    return record.trainable_params, record.non_trainable_params


def _params(layers: list[Any]) -> Params:
    """What Keras counts: the sizes of the trainable and non-trainable weights of the Keras layers of
    one spec layer (its padding layer has none)."""
    return (
        sum(prod(weight.shape) for layer in layers for weight in layer.trainable_weights),
        sum(prod(weight.shape) for layer in layers for weight in layer.non_trainable_weights),
    )


def summary_text(model: Any) -> str:
    """Keras' ``model.summary()`` as text."""
    pieces: list[str] = []
    model.summary(print_fn=lambda text, **_: pieces.append(text))
    return "\n".join(piece.rstrip("\n") for piece in pieces)
