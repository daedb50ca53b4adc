"""A Keras model → a spec: the way back from :mod:`cnncalc.backends.keras.build`.

A ``Sequential`` model, or a functional one shaped like it (one input, each layer fed by the
previous one), becomes a spec. Layers and options a spec cannot express are all listed in one
error. A ``<name>_pad`` padding layer right before layer ``<name>`` becomes that layer's
``padding`` (and ``padding_mode``), so spec → Keras → spec gives the spec back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import yaml

from cnncalc.backends.keras import keras_required
from cnncalc.backends.keras.plan import PAD_SUFFIX
from cnncalc.errors import CnncalcError
from cnncalc.spec.loader import validate
from cnncalc.spec.models import ActivationName, Pool2D, Spec

keras = keras_required()

from cnncalc.backends.keras.padding import Padding2D  # noqa: E402  (imports keras: after keras_required)

PADDING_2D = keras.saving.get_registered_name(Padding2D)
"""``cnncalc>Padding2D``: how models name the padding layer, whichever copy of the class (ours, or
one an exported script defines) built them."""

Fields = dict[str, Any]
"""A spec layer as plain data, the way it is written in YAML."""

ACTIVATIONS: frozenset[str] = frozenset(get_args(ActivationName))
WINDOWED = ("Conv2D", "MaxPooling2D", "AveragePooling2D")
"""Keras layers whose padding a ``<name>_pad`` layer before them supplies."""


class UnsupportedModel(CnncalcError):
    """A Keras model with layers or options a spec cannot express, all of them listed."""

    def __init__(self, model_name: str, problems: list[str]) -> None:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"cannot import Keras model '{model_name}' as a cnncalc spec:\n{lines}")
        self.problems = problems


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a saved Keras model (``.keras`` or legacy ``.h5``); one clear error if that fails."""
    if not Path(path).is_file():
        raise CnncalcError(f"{os.fspath(path)}: no such file")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many types for a bad file; none is a bug of ours
        raise CnncalcError(f"{os.fspath(path)}: Keras cannot load it: {exc}") from None


def from_model(model: Any) -> Spec:
    """The spec of a Keras model; :class:`UnsupportedModel` lists everything that has no spec form."""
    layers = _chain(model)
    input_shape = tuple(model.inputs[0].shape[1:])
    problems: list[str] = []
    if any(size is None for size in input_shape):
        problems.append(f"input shape {input_shape} is not fully defined; cnncalc needs fixed sizes")
    formats = {data_format for layer in layers if (data_format := _data_format(layer))}
    if len(formats) > 1:
        problems.append("the layers mix channels_last and channels_first")
    data_format = formats.pop() if len(formats) == 1 else "channels_last"
    specs: list[Fields] = []
    for position, layer in enumerate(layers):
        preceding = layers[position - 1] if position > 0 else None
        following = layers[position + 1] if position + 1 < len(layers) else None
        if following is not None and _pads(layer, following):
            continue  # becomes the padding of the next layer
        converter = _padding2d if _is_padding2d(layer) else _CONVERTERS.get(type(layer))
        if converter is None:
            problems.append(_unsupported(layer, "no such layer type in cnncalc"))
            continue
        fields, issues = converter(layer.get_config(), layer, data_format)
        problems.extend(_unsupported(layer, issue) for issue in issues)
        if preceding is not None and _pads(preceding, layer):
            fields.update(_padding_of(preceding))
        specs.append({**fields, "name": layer.name})
    if problems:
        raise UnsupportedModel(model.name, problems)
    return validate(
        {"name": model.name, "input": list(input_shape), "data_format": data_format, "layers": specs}
    )


def _chain(model: Any) -> list[Any]:
    """The model's layers in order, if it is a chain from one input to one output."""
    if not isinstance(model, keras.Model):
        raise CnncalcError(f"expected a Keras model, got {type(model).__name__}")
    if isinstance(model, keras.Sequential):
        if not model.built or not model.inputs:
            raise UnsupportedModel(
                model.name, ["it has no input shape yet: start it with keras.Input(shape)"]
            )
        return list(model.layers)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        counts = f"{len(model.inputs)} inputs and {len(model.outputs)} outputs"
        raise UnsupportedModel(model.name, [f"it has {counts}; a spec has one of each"])
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    previous = model.inputs[0]
    for layer in layers:
        if layer.input is not previous:
            reason = f"layer {layer.name} is not fed by the layer before it: the model is not a chain"
            raise UnsupportedModel(model.name, [reason])
        previous = layer.output
    if model.outputs[0] is not previous:
        raise UnsupportedModel(model.name, ["its output is not its last layer's: the model is not a chain"])
    return layers


def _unsupported(layer: Any, reason: str) -> str:
    return f"{layer.name} ({type(layer).__name__}): {reason}"


def _data_format(layer: Any) -> str | None:
    """The data format a layer works in, if it depends on one (Flatten's changes no shape)."""
    config = layer.get_config()
    if "data_format" in config and not isinstance(layer, keras.layers.Flatten):
        return str(config["data_format"])
    if isinstance(layer, keras.layers.BatchNormalization) and len(layer.input.shape) == 4:
        return {1: "channels_first", 3: "channels_last"}.get(config["axis"] % 4)
    return None


def _pads(pad: Any, layer: Any) -> bool:
    """Whether ``pad`` is the padding layer of ``layer``, as :mod:`~.plan` names and places it."""
    return (
        (type(pad) is keras.layers.ZeroPadding2D or _is_padding2d(pad))
        and pad.name == layer.name + PAD_SUFFIX
        and type(layer).__name__ in WINDOWED
        and layer.get_config()["padding"] == "valid"
    )


def _is_padding2d(layer: Any) -> bool:
    return bool(keras.saving.get_registered_name(type(layer)) == PADDING_2D)


def _padding_of(pad: Any) -> Fields:
    """The ``padding`` (and ``padding_mode``) a padding layer gives the layer after it."""
    config = pad.get_config()
    if _is_padding2d(pad):
        return {"padding": "same" if config["same"] else config["padding"], "padding_mode": config["mode"]}
    return {"padding": config["padding"]}


def _activation(config: Fields, issues: list[str]) -> str:
    name = config["activation"]
    if not isinstance(name, str) or name not in ACTIVATIONS:
        issues.append(f"activation {name!r} is not one of {', '.join(sorted(ACTIVATIONS))}")
        return "linear"
    return name


def _conv2d(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    issues: list[str] = []
    fields = {
        "type": "conv2d",
        "filters": config["filters"],
        "kernel_size": list(config["kernel_size"]),
        "strides": list(config["strides"]),
        "padding": config["padding"],
        "dilation_rate": list(config["dilation_rate"]),
        "groups": config["groups"],
        "use_bias": config["use_bias"],
        "activation": _activation(config, issues),
    }
    return fields, issues


def _pool2d(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    pool_size, strides = list(config["pool_size"]), list(config["strides"])
    fields = {
        "type": "maxpool2d" if isinstance(layer, keras.layers.MaxPooling2D) else "avgpool2d",
        "pool_size": pool_size,
        "strides": None if strides == pool_size else strides,
        "padding": config["padding"],
    }
    return fields, []


def _dense(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    issues: list[str] = []
    if config.get("lora_rank") or config.get("quantization_config"):
        issues.append("LoRA and quantized weights change the parameter count; cnncalc has neither")
    fields = {
        "type": "dense",
        "units": config["units"],
        "use_bias": config["use_bias"],
        "activation": _activation(config, issues),
    }
    return fields, issues


def _batchnorm(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    issues = [f"{option}={config[option]}" for option in ("center", "scale") if not config[option]]
    if config["renorm"]:
        issues.append("renorm=True")
    axis, rank = config["axis"], len(layer.input.shape)
    channels = 1 if data_format == "channels_first" and rank == 4 else rank - 1
    if not isinstance(axis, int) or axis % rank != channels:
        issues.append(f"axis={axis} is not the channel axis of its {data_format} input")
    fields = {"type": "batchnorm", "momentum": config["momentum"], "epsilon": config["epsilon"]}
    return fields, issues


def _global_pool(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    issues = ["keepdims=True"] if config["keepdims"] else []
    kind = "globalmaxpool2d" if isinstance(layer, keras.layers.GlobalMaxPooling2D) else "globalavgpool2d"
    return {"type": kind}, issues


def _zeropad2d(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "zeropad2d", "padding": [list(pair) for pair in config["padding"]]}, []


def _padding2d(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    reason = "replicate and reflect padding exist only as the padding of the conv2d or pool after them"
    return {"type": "zeropad2d"}, [reason]


def _flatten(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "flatten"}, []


def _dropout(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "dropout", "rate": float(config["rate"])}, []


def _activation_layer(config: Fields, layer: Any, data_format: str) -> tuple[Fields, list[str]]:
    issues: list[str] = []
    return {"type": "activation", "activation": _activation(config, issues)}, issues


_CONVERTERS: dict[type, Callable[[Fields, Any, str], tuple[Fields, list[str]]]] = {
    keras.layers.Conv2D: _conv2d,
    keras.layers.MaxPooling2D: _pool2d,
    keras.layers.AveragePooling2D: _pool2d,
    keras.layers.Dense: _dense,
    keras.layers.Flatten: _flatten,
    keras.layers.Dropout: _dropout,
    keras.layers.Activation: _activation_layer,
    keras.layers.BatchNormalization: _batchnorm,
    keras.layers.GlobalAveragePooling2D: _global_pool,
    keras.layers.GlobalMaxPooling2D: _global_pool,
    keras.layers.ZeroPadding2D: _zeropad2d,
}
"""Spec fields (and what they cannot express) by Keras layer class, matched exactly."""


# --- writing a spec back as YAML --------------------------------------------------------------


def spec_yaml(spec: Spec, *, comment: str | None = None) -> str:
    """The spec as YAML in the examples' style: one flow mapping per layer, defaults left out,
    ``n`` for ``[n, n]``, and names only where Keras' default naming would not give them back."""
    names = _needed_names(spec)
    lines = [f"# {line}" for line in (comment.splitlines() if comment else [])]
    lines += [_flow({"name": spec.name})[1:-1], f"input: {_flow(list(spec.input))}"]
    if spec.data_format != "channels_last":
        lines.append(f"data_format: {spec.data_format}")
    lines.append("layers:")
    for layer, keep_name in zip(spec.layers, names, strict=True):
        fields = layer.model_dump(exclude_defaults=True, exclude={"type", "name"})
        if isinstance(layer, Pool2D):  # written even when it is the default, as everyone does
            fields = {"pool_size": layer.pool_size} | fields
        entry = {"type": layer.type} | {key: _compact(value) for key, value in fields.items()}
        if keep_name:
            entry["name"] = layer.name
        lines.append(f"  - {_flow(entry)}")
    return "\n".join(lines) + "\n"


def _needed_names(spec: Spec) -> list[bool]:
    """Which layer names must be written: those default naming would not give back."""

    def names(keep: list[bool]) -> list[str]:
        layers = [
            layer if k else layer.model_copy(update={"name": None})
            for layer, k in zip(spec.layers, keep, strict=True)
        ]
        return Spec(input=spec.input, layers=layers).layer_names

    keep = [
        name != default
        for name, default in zip(spec.layer_names, names([False] * len(spec.layers)), strict=True)
    ]
    return keep if names(keep) == spec.layer_names else [True] * len(keep)


def _compact(value: Any) -> Any:
    """``(n, n)`` → ``n``, recursively (so ``((1, 1), (2, 2))`` padding → ``[1, 2]``), tuples → lists."""
    if isinstance(value, tuple | list):
        items = [_compact(item) for item in value]
        if len(items) == 2 and items[0] == items[1] and isinstance(items[0], int):
            return items[0]
        return items
    return value


def _flow(value: Any) -> str:
    text: str = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1 << 16)
    return text.strip().removesuffix("...").strip()
