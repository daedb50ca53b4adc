"""A spec → a real functional ``keras.Model``, layer names kept; Keras' refusals located on spec layers.

A chain is the special case of a graph where every layer reads the one before, so every spec is built
the same way: each layer called on the outputs of the layers it reads, in spec order. (Keras builds a
``Sequential`` as such a functional model inside, so nothing is lost; ``model.summary()`` shows the
"Connected to" column only when the network branches.)
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnncalc.api import SpecSource, load
from cnncalc.backends.keras import keras_required
from cnncalc.backends.keras.plan import CUSTOM_LAYERS, KerasLayer, keras_layers, refusal
from cnncalc.errors import CnncalcError
from cnncalc.files import unwinding_on_termination, write_atomic
from cnncalc.spec.models import INPUT, Dropout, Normalization, Rescaling, Spec

keras = keras_required()

from cnncalc.backends.keras import layers as custom_layers  # noqa: E402  (imports keras: after keras_required)


class KerasRejection(CnncalcError):
    """Keras refused to build a layer of the spec: which one, and Keras' reason."""

    def __init__(self, index: int, name: str, reason: str) -> None:
        super().__init__(f"Keras rejects layer {name} (layers[{index}]): {reason}")
        self.index = index
        self.name = name
        self.reason = reason


@dataclass
class Built:
    """A spec's layers as Keras built them, up to the layers Keras refuses and those that read them."""

    inputs: Any
    """The model's ``keras.Input``."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """Each built spec layer's output tensor, by spec name."""
    layers: dict[str, list[Any]] = field(default_factory=dict)
    """The Keras layers of each built spec layer (a padding layer first, where there is one)."""
    rejections: list[KerasRejection] = field(default_factory=list)
    """The spec layers Keras refuses, in spec order."""


def build_model(source: SpecSource) -> Any:
    """Build the spec as a functional ``keras.Model`` (weights initialised, ready to compile).

    Raises :class:`KerasRejection` naming the first layer Keras refuses.
    """
    spec = load(source)
    built = build_layers(spec)
    if built.rejections:
        raise built.rejections[0]
    return functional(spec, built)


def build_layers(spec: Spec) -> Built:
    """Every layer of the spec built by calling it on what it reads, in spec order.

    A layer Keras refuses is recorded as a :class:`KerasRejection`; the layers that read it (directly
    or not) are not built, the others are — as the engine analyses every branch it can.
    """
    built = Built(keras.Input(shape=spec.input))
    tensors: dict[str, Any] = {INPUT: built.inputs}
    for index, layer in enumerate(spec.layers):
        name = layer.name or ""
        if any(source not in tensors for source in layer.inputs):
            continue  # reads a layer Keras refused
        sources = [tensors[source] for source in layer.inputs]
        reason = refusal(layer)
        if reason is not None:  # what the spec language has and Keras has not
            built.rejections.append(KerasRejection(index, name, reason))
            continue
        try:
            outputs: Any = sources[0] if len(sources) == 1 else sources
            planned = keras_layers(layer, spec.data_format, tuple(sources[0].shape[1:]))
            keras_layers_built = []
            for step in planned:
                _check_name_is_free(step, name, spec)
                keras_layer = instantiate(step)
                outputs = keras_layer(outputs)
                keras_layers_built.append(keras_layer)
            if isinstance(layer, RUN_ONCE):
                _run_once(keras_layers_built[-1], tuple(sources[0].shape[1:]))
            if 0 in outputs.shape[1:]:  # a transposed convolution too small: Keras builds it empty
                raise ValueError(f"Keras builds it with an empty output, of shape {tuple(outputs.shape)}")
        except CnncalcError:
            raise
        except Exception as exc:  # Keras refuses with ValueError mostly, IndexError for an axis too large
            built.rejections.append(KerasRejection(index, name, keras_reason(exc)))
            continue
        tensors[name] = built.outputs[name] = outputs
        built.layers[name] = keras_layers_built
    return built


RUN_ONCE = (Dropout, Rescaling, Normalization)
"""Layers whose Keras checks wait until they run (a noise_shape, values per channel): the bridge runs
them once on zeros and takes a failure, or an output of another shape than Keras declared, as Keras
refusing them."""


def _run_once(layer: Any, shape: tuple[int, ...]) -> None:
    """Run a built Keras layer once (training, so that a dropout drops) on zeros of the input's shape.
    The batch is larger than any axis: Keras lines a ``noise_shape`` of the wrong rank up with the input
    from the right, batch size included, which a batch of 1 would let pass."""
    zeros = keras.ops.zeros((max(shape) + 1, *shape))
    try:
        result = layer(zeros, training=True)
    except Exception as exc:  # TensorFlow's InvalidArgumentError, or an IndexError from Keras
        raise ValueError(f"it fails when it runs on an input of shape {tuple(zeros.shape)}: {exc}") from None
    if tuple(result.shape) != tuple(zeros.shape):
        raise ValueError(
            f"when it runs, it turns an input of shape {tuple(zeros.shape)} into {tuple(result.shape)}, not "
            "the shape Keras declares"
        )


def _check_name_is_free(planned: KerasLayer, owner: str, spec: Spec) -> None:
    """A padding layer takes the name ``<layer>.pad``, which a spec layer may already have."""
    name = planned.arguments["name"]
    if name != owner and name in spec.layer_names:
        raise CnncalcError(
            f"layer name {name} is taken: cnncalc gives it to the padding layer of {owner} in Keras; "
            "rename one of them"
        )


def functional(spec: Spec, built: Built) -> Any:
    """The ``keras.Model`` from the model input to the spec's outputs, named after the spec."""
    outputs = [built.outputs[name] for name in spec.outputs]
    return keras.Model(built.inputs, outputs[0] if len(outputs) == 1 else outputs, name=model_name(spec))


def model_name(spec: Spec) -> str:
    """The spec's name as a Keras model name (which cannot contain ``/``)."""
    return spec.name.replace("/", "_")


def instantiate(planned: KerasLayer) -> Any:
    """Create the Keras layer a plan describes."""
    module = custom_layers if planned.class_name in CUSTOM_LAYERS else keras.layers
    return getattr(module, planned.class_name)(**planned.arguments)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def keras_reason(error: Exception) -> str:
    """Keras' message in one line, without colour codes and the call's arguments."""
    text = _ANSI.sub("", str(error)).split("Arguments received by")[0]
    text = re.sub(r"Exception encountered when calling [\w.]+\(\)\.", "", text)
    return " ".join(text.split())


def model_bytes(model: Any) -> bytes:
    """The model as a ``.keras`` file's bytes (architecture and weights); a SIGTERM meanwhile
    leaves no temporary folder behind."""
    with unwinding_on_termination(), tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def saved_model(source: SpecSource) -> bytes:
    """``cnncalc export --to keras-model``: the spec's model, freshly initialised, as ``.keras`` bytes."""
    return model_bytes(build_model(source))


def save_model(model: Any, path: Path, *, force: bool = False) -> None:
    """Save the model as a ``.keras`` file, atomically; never over an existing file unless ``force``."""
    if path.suffix != ".keras":
        raise CnncalcError(f"{path}: Keras saves models to files ending in .keras")
    write_atomic(path, model_bytes(model), force=force)
