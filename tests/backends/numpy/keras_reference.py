"""Keras references for the NumPy backend's tests, built from Keras' own layer classes with the spec's
fields as arguments (the spec language names them as Keras does), not through cnncalc's Keras bridge:
an oracle that shares no code with either backend. Functional models, so graphs too.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

import numpy as np

from cnncalc.api import load
from cnncalc.backends.numpy.model import NumpyModel
from cnncalc.spec.models import (
    BatchNorm,
    Concatenate,
    ConvLayer,
    LayerBase,
    LayerScale,
    Normalization,
    Pool2D,
    Rescaling,
    Softmax,
    Spec,
)

SKIPPED_FIELDS = {
    "type",
    "name",
    "inputs",
    "padding_mode",
    "lint",
    "connections",
    "ceil_mode",
    "count_include_pad",
}
"""Spec fields that are no Keras arguments (padding_mode: only zeros here; connections, and the pools'
PyTorch options other than their defaults: refused by the NumPy backend)."""


def keras_arguments(layer: LayerBase, data_format: str, shape: tuple[int, ...]) -> dict[str, Any]:
    """The Keras constructor arguments of a spec layer: its fields, as Keras spells their values."""
    arguments: dict[str, Any] = {
        key: list(value) if isinstance(value, tuple) and key in ("axis", "shared_axes") else value
        for key, value in layer.model_dump().items()
        if key not in SKIPPED_FIELDS
    }
    if isinstance(layer, ConvLayer | Pool2D) and not isinstance(layer.padding, str):
        arguments["padding"] = "valid"  # after a ZeroPadding2D
    channels = 1 if data_format == "channels_first" and len(shape) == 3 else -1
    if isinstance(layer, BatchNorm):
        arguments["axis"] = channels
    if isinstance(layer, Concatenate) and layer.axis is None:
        arguments["axis"] = channels
    if isinstance(layer, Softmax):
        arguments["axis"] = layer.axis[0] if len(layer.axis) == 1 else layer.axis
    if isinstance(layer, LayerScale):
        arguments["projection_dim"] = shape[-1]
    if isinstance(layer, Rescaling | Normalization):
        for key in ("scale", "offset", "mean", "variance"):
            if arguments.get(key) is not None:
                values = list(arguments[key])
                arguments[key] = values[0] if len(values) == 1 else values
    return arguments


def keras_buildable(spec: Any) -> bool:
    """Whether Keras' own layers build the spec: no padding but zeros (cnncalc's padding layer
    does the others)."""
    return not any(
        isinstance(layer, ConvLayer | Pool2D) and layer.padding_mode != "zeros" for layer in load(spec).layers
    )


def keras_class(keras: ModuleType, layer: LayerBase) -> Any:
    """Keras' class of a spec layer: from ``keras.layers``, or Keras Applications' ConvNeXt for
    ``LayerScale``, which Keras defines only there."""
    if isinstance(layer, LayerScale):
        from keras.src.applications.convnext import LayerScale as KerasLayerScale

        return KerasLayerScale
    return getattr(keras.layers, layer.keras_class)


def keras_model(keras: ModuleType, spec: Any, dtype: str = "float32") -> Any:
    """The spec as a functional ``keras.Model`` computing in ``dtype``; explicit padding is a
    ``ZeroPadding2D`` before its layer, as the spec language defines it."""
    loaded: Spec = load(spec)
    tensors = {"input": keras.Input(loaded.input, dtype=dtype)}
    for layer in loaded.layers:
        cls = keras_class(keras, layer)
        sources = [tensors[name] for name in layer.inputs]
        arguments = keras_arguments(layer, loaded.data_format, tuple(sources[0].shape[1:]))
        if "data_format" in inspect.signature(cls).parameters:
            arguments["data_format"] = loaded.data_format
        if isinstance(layer, ConvLayer | Pool2D) and not isinstance(layer.padding, str):
            padding = keras.layers.ZeroPadding2D(layer.padding, data_format=loaded.data_format, dtype=dtype)
            sources = [padding(sources[0])]
        tensors[layer.name or ""] = cls(name=layer.name, dtype=dtype, **arguments)(
            sources if len(sources) > 1 else sources[0]
        )
    return keras.Model(tensors["input"], tensors[loaded.outputs[0]])


def weight_key(weight: Any) -> str:
    """The NumPy model's key of a Keras weight: its path, where Keras Applications' ``LayerScale``,
    which leaves its weight unnamed (``variable``, ``variable_1``, ...), means ``gamma``."""
    layer, name = weight.path.rsplit("/", 1)
    return f"{layer}/gamma" if name.startswith("variable") else weight.path


def random_weights(model: NumpyModel, rng: np.random.Generator) -> None:
    """Random weights (not Keras' initial zeros and ones, which would hide a swapped bias or gamma):
    kernels scaled to keep activations near 1 (LeCun), variances positive."""
    for key, value in model.variables.items():
        name = key.rsplit("/", 1)[1]
        if name.endswith("kernel"):
            fan_in = int(np.prod(value.shape[:-1]))
            weight = rng.uniform(-1, 1, value.shape) * np.sqrt(3 / fan_in)
        elif name in ("gamma", "moving_variance", "variance"):
            weight = rng.uniform(0.5, 1.5, value.shape)
        elif name == "count":
            weight = np.zeros(value.shape)
        else:
            weight = rng.normal(0, 0.2, value.shape)
        value[...] = weight


def load_into(reference: Any, keras: ModuleType, model: NumpyModel) -> None:
    """The NumPy model's weights into the Keras model, layer by layer (by name: a functional
    model may order its layers otherwise than the spec)."""
    by_layer: dict[str, list[np.ndarray]] = {}
    for key, value in model.variables.items():
        by_layer.setdefault(key.rsplit("/", 1)[0], []).append(value)
    for layer in reference.layers:
        if layer.name in by_layer:
            layer.set_weights(by_layer[layer.name])
        if isinstance(layer, keras.layers.Normalization):
            layer.finalize_state()  # its mean and variance come from the weights here
