"""A Keras model → a spec: the way back from :mod:`cnncalc.backends.keras.build`.

Any ``Sequential`` or functional Keras 3 model with one input becomes a spec — a graph where it
branches — with its layer names:

- the layers come in the order Keras created them (for a model built in this session, the order of
  the code that built it; for a loaded model, the saved order, which ``summary()`` shows), each after
  the layers it reads;
- a model used as a layer (ConvNeXt's ``Sequential`` stem) is flattened into the graph; its layers
  keep their names, prefixed with the inner model's name where a name would be taken twice;
- the "operation" nodes that functional code creates (``x + y``, ``x * 0.5``, ``ops.relu(x)``) become
  the spec layer that computes the same: a merge, a ``rescaling`` by a constant, an activation;
- a ``<name>.pad`` padding layer read only by layer ``<name>`` (the padding layer the bridge builds for
  explicit padding) becomes that layer's ``padding`` (and ``padding_mode``), so spec → Keras → spec
  gives the spec back; other padding layers (Keras Applications' ``<name>_pad``) stay layers.

Everything a spec cannot express is listed in one :class:`UnsupportedModel` error, each kind of
problem once, with how many layers have it and which.
"""

from __future__ import annotations

import heapq
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np

from cnncalc.backends.keras import keras_required
from cnncalc.backends.keras.files import check_model_file, unloadable_layers
from cnncalc.backends.keras.plan import PAD_SUFFIX
from cnncalc.errors import CnncalcError, SpecError
from cnncalc.spec.loader import validate
from cnncalc.spec.models import INPUT, ActivationName, Spec

keras = keras_required()

from cnncalc.backends.keras.layers import LayerScale, Padding2D  # noqa: E402  (imports keras: after keras_required)

PADDING_2D = keras.saving.get_registered_name(Padding2D)
"""``cnncalc>Padding2D``: how models name the padding layer, whichever copy of the class (ours, or
one an exported script defines) built them."""
LAYER_SCALE = keras.saving.get_registered_name(LayerScale)
KERAS_LAYER_SCALE = ("keras.src.applications.convnext", "LayerScale")
"""Where Keras Applications define ConvNeXt's ``LayerScale`` (not a public class: matched by name)."""

Fields = dict[str, Any]
"""A spec layer as plain data, the way it is written in YAML."""

ACTIVATIONS: frozenset[str] = frozenset(get_args(ActivationName))
WINDOWED = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D")
"""Keras layers whose padding a ``<name>.pad`` layer before them supplies."""
SHOWN_NAMES = 3
"""How many layer names a problem lists before "and N more"."""


class UnsupportedModel(CnncalcError):
    """A Keras model with layers or options a spec cannot express, all of them listed."""

    def __init__(self, model_name: str, problems: list[str]) -> None:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"cannot import Keras model '{model_name}' as a cnncalc spec:\n{lines}")
        self.problems = problems


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a saved Keras model (``.keras``, or legacy ``.h5``) with Keras' ``safe_mode``: no Python code
    stored in the file (``Lambda`` layers) runs. One clear error if that fails, listing every layer
    class Keras cannot load."""
    check_model_file(path)
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a bad file; none is a bug of ours
        unknown = unloadable_layers(path, _known_class)
        if unknown:
            raise UnsupportedModel(os.path.basename(path), unknown) from None
        raise CnncalcError(f"{os.fspath(path)}: Keras cannot load it: {_one_line(exc)}") from None


def _known_class(class_name: str, module: str | None, registered_name: str | None) -> bool:
    """Whether Keras can create this class from a saved file: Keras' own (``module`` under
    ``keras``), or registered (cnncalc's layers are, once this module is imported)."""
    if registered_name and keras.saving.get_registered_object(registered_name) is not None:
        return True
    if module is not None:
        return module == "keras" or module.startswith("keras.")
    return hasattr(keras.layers, class_name) or hasattr(keras.models, class_name)


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


# --- the graph ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ModelInput:
    """The model's input, as what a call reads."""

    name: str = INPUT


MODEL_INPUT = _ModelInput()


@dataclass(eq=False)
class _Call:
    """One layer or operation called in the model: what it reads (earlier calls, or ``input``) and
    the other arguments of the call, in order."""

    operation: Any
    node: Any
    scope: tuple[str, ...]
    """The names of the models it is nested in, outermost first (empty at the top)."""
    arguments: list[Any]
    """The positional arguments, flattened: a call or :data:`MODEL_INPUT` for a tensor, else the value."""
    name: str = ""

    @property
    def reads(self) -> list[_Call | _ModelInput]:
        return [argument for argument in self.arguments if _is_tensor(argument)]

    @property
    def kind(self) -> str:
        """``Conv2D``, or ``operation add`` for an operation node."""
        cls = type(self.operation)
        if isinstance(self.operation, keras.layers.Layer):
            return str(cls.__name__)
        return f"operation {_snake(cls.__name__)}"

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        """The shape of the first tensor it reads, batch axis included."""
        return tuple(self.node.arguments.keras_tensors[0].shape)


def _is_tensor(argument: Any) -> bool:
    return isinstance(argument, _Call | _ModelInput)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass
class _Graph:
    """A model's calls in dependency order, nested models flattened."""

    calls: list[_Call] = field(default_factory=list)

    def walk(
        self, model: Any, sources: Sequence[_Call | _ModelInput], scope: tuple[str, ...]
    ) -> list[_Call | _ModelInput]:
        """Add the calls of ``model`` whose inputs are ``sources``; return what its outputs are."""
        known: dict[int, _Call | _ModelInput] = {
            id(tensor): source for tensor, source in zip(model.inputs, sources, strict=True)
        }
        for node in _post_order(model.outputs, known):
            arguments = [
                known[id(item)] if isinstance(item, keras.KerasTensor) else item
                for item in keras.tree.flatten(node.arguments.args)
            ]
            operation = node.operation
            if isinstance(operation, keras.Model):
                inner = [argument for argument in arguments if _is_tensor(argument)]
                results = self.walk(operation, inner, (*scope, operation.name))
            else:
                call = _Call(operation, node, scope, arguments)
                self.calls.append(call)
                results = [call] * len(node.outputs)
            for tensor, result in zip(node.outputs, results, strict=True):
                known[id(tensor)] = result
        return [known[id(tensor)] for tensor in model.outputs]


def _post_order(outputs: Sequence[Any], known: dict[int, Any]) -> list[Any]:
    """The nodes that compute ``outputs`` from the tensors in ``known``, each after the nodes it reads
    (the first argument's first): depth first, without recursion."""
    order: list[Any] = []
    state: dict[int, bool] = {}  # False while its inputs are visited, True once placed
    stack: list[tuple[Any, bool]] = [(tensor, False) for tensor in reversed(outputs)]
    while stack:
        tensor, ready = stack.pop()
        if id(tensor) in known:
            continue
        operation, node_index, _ = tensor._keras_history
        node = operation._inbound_nodes[node_index]
        if ready:
            if not state[id(node)]:
                state[id(node)] = True
                order.append(node)
            continue
        if id(node) in state:
            continue
        state[id(node)] = False
        stack.append((tensor, True))
        stack.extend((parent, False) for parent in reversed(node.arguments.keras_tensors))
    return order


_TENSOR_NAME = re.compile(r"keras_tensor(?:_(\d+))?")


def _in_creation_order(calls: list[_Call]) -> list[_Call]:
    """The calls in the order Keras created their outputs (their automatic names count up: ``keras_tensor``,
    ``keras_tensor_1``, ...), each after the calls it reads whatever the names say: Kahn's topological
    sort, taking the earliest created of the calls whose inputs are placed."""

    def created(index: int, call: _Call) -> tuple[float, int]:
        found = _TENSOR_NAME.fullmatch(str(call.node.outputs[0].name)) if call.node.outputs else None
        return (int(found.group(1) or 0) if found else math.inf), index

    keys = {id(call): created(index, call) for index, call in enumerate(calls)}
    waiting: dict[int, int] = {}
    readers: dict[int, list[_Call]] = {}
    for call in calls:
        sources = {id(source) for source in call.reads if isinstance(source, _Call)}
        waiting[id(call)] = len(sources)
        for source in sources:
            readers.setdefault(source, []).append(call)
    ready = [(keys[id(call)], call) for call in calls if not waiting[id(call)]]
    heapq.heapify(ready)
    order = []
    while ready:
        _, call = heapq.heappop(ready)
        order.append(call)
        for reader in readers.get(id(call), ()):
            waiting[id(reader)] -= 1
            if not waiting[id(reader)]:
                heapq.heappush(ready, (keys[id(reader)], reader))
    return order


def _names(calls: list[_Call]) -> None:
    """Give every call its spec name: its own, prefixed with the models it is nested in where the
    same name is used more than once."""
    counts = Counter(call.operation.name for call in calls)
    for call in calls:
        name = call.operation.name
        if counts[name] > 1 and call.scope:
            name = "_".join((*call.scope, name))
        call.name = name


# --- the model → a spec ------------------------------------------------------------------------


def from_model(model: Any, *, input_shape: Sequence[int] | None = None) -> Spec:
    """The spec of a Keras model; :class:`UnsupportedModel` lists everything that has no spec form.

    ``input_shape`` (batch axis excluded) gives the sizes a model leaves open (``(None, None, 3)``).
    """
    if not isinstance(model, keras.Model):
        raise CnncalcError(f"expected a Keras model, got {type(model).__name__}")
    if isinstance(model, keras.Sequential) and (not model.built or not model.inputs):
        raise UnsupportedModel(model.name, ["it has no input shape yet: start it with keras.Input(shape)"])
    if len(model.inputs) != 1:
        raise UnsupportedModel(model.name, [f"it has {len(model.inputs)} inputs; a spec has one"])
    graph = _Graph()
    outputs = graph.walk(model, [MODEL_INPUT], ())
    calls = _in_creation_order(graph.calls)
    _names(calls)
    problems: list[str] = []
    shape = _input_shape(tuple(model.inputs[0].shape[1:]), input_shape, problems)
    data_format = _data_format(calls, problems)
    layers = _Converter(calls, data_format, outputs).layers()
    problems.extend(_listed(layers.problems))
    if problems:
        raise UnsupportedModel(model.name, problems)
    output_names = [output.name for output in outputs]
    data = {
        "name": model.name,
        "input": list(shape),
        "data_format": data_format,
        "layers": layers.fields,
        "outputs": output_names,
    }
    try:
        return validate(data)
    except SpecError as exc:  # a value Keras takes but a spec refuses
        raise UnsupportedModel(model.name, _spec_problems(exc, layers.fields)) from None


def _input_shape(
    shape: tuple[int | None, ...], given: Sequence[int] | None, problems: list[str]
) -> tuple[int, ...]:
    """The model's input shape, with the sizes it leaves open taken from ``given``."""
    if given is None:
        if any(size is None for size in shape):
            example = ",".join(str(224 if size is None else size) for size in shape)
            problems.append(
                f"input shape {shape} is not fully defined: give the sizes with --input-shape "
                f"(e.g. --input-shape {example})"
            )
        return tuple(size or 1 for size in shape)
    given = tuple(given)
    if len(given) != len(shape) or any(a is not None and a != b for a, b in zip(shape, given, strict=True)):
        problems.append(f"--input-shape {','.join(map(str, given))} does not fit the model's input {shape}")
    return given


def _data_format(calls: list[_Call], problems: list[str]) -> str:
    """The data format the layers work in: the one their ``data_format`` (or batchnorm's axis) says."""
    formats: set[str] = set()
    for call in calls:
        if not isinstance(call.operation, keras.layers.Layer):
            continue
        config = call.operation.get_config()
        if "data_format" in config and not isinstance(call.operation, keras.layers.Flatten):
            formats.add(str(config["data_format"]))
        elif isinstance(call.operation, keras.layers.BatchNormalization) and len(call.input_shape) == 4:
            found = {1: "channels_first", 3: "channels_last"}.get(config["axis"] % 4)
            if found:
                formats.add(found)
    if len(formats) > 1:
        problems.append("the layers mix channels_last and channels_first")
    return formats.pop() if len(formats) == 1 else "channels_last"


@dataclass
class _Layers:
    fields: list[Fields] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    """``(kind, reason, layer name)`` for everything that has no spec form."""


@dataclass
class _Converter:
    """The calls → spec layers, padding layers folded into the layer they pad."""

    calls: list[_Call]
    data_format: str
    outputs: list[_Call | _ModelInput]

    def layers(self) -> _Layers:
        result = _Layers()
        readers = Counter(id(source) for call in self.calls for source in call.reads)
        readers.update(id(output) for output in self.outputs)
        uses = Counter(id(call.operation) for call in self.calls)
        folded = {id(pad) for call in self.calls if (pad := self._pad_of(call, readers))}
        for call in self.calls:
            if id(call) in folded:
                continue
            if uses[id(call.operation)] > 1:
                reason = f"called {uses[id(call.operation)]} times (shared weights); a spec layer runs once"
                result.problems.append((call.kind, reason, call.name))
            fields, issues = self._fields(call)
            result.problems.extend((call.kind, issue, call.name) for issue in issues)
            reads = call.reads
            pad = self._pad_of(call, readers)
            if pad is not None:
                fields.update(_padding_of(pad.operation))
                reads = pad.reads
            names = [source.name for source in reads]
            result.fields.append({**fields, "name": call.name, "inputs": names})
        return result

    def _pad_of(self, call: _Call, readers: Counter[int]) -> _Call | None:
        """The padding layer ``call`` reads that becomes its ``padding``, as :mod:`~.plan` makes it."""
        reads = call.reads
        if (
            len(reads) != 1
            or not isinstance(reads[0], _Call)
            or type(call.operation).__name__ not in WINDOWED
        ):
            return None
        pad = reads[0]
        operation = pad.operation
        if (
            (type(operation) is keras.layers.ZeroPadding2D or _is_padding2d(operation))
            and operation.name == call.operation.name + PAD_SUFFIX
            and call.operation.get_config()["padding"] == "valid"
            and readers[id(pad)] == 1
        ):
            return pad
        return None

    def _fields(self, call: _Call) -> tuple[Fields, list[str]]:
        operation = call.operation
        if not isinstance(operation, keras.layers.Layer):
            convert_operation = _OPERATIONS.get(type(operation).__name__)
            if convert_operation is None or not type(operation).__module__.startswith("keras."):
                return {}, ["no spec layer computes it"]
            return convert_operation(call, self.data_format)
        if _is_padding2d(operation):
            return {}, ["replicate and reflect padding exist only as the padding of the layer after them"]
        converter = _converter(operation)
        if converter is None:
            return {}, ["no such layer type in cnncalc"]
        config = operation.get_config()
        fields, issues = converter(config, call, self.data_format)
        if not config.get("trainable", True):
            issues.append("trainable=False: every spec layer trains")
        return fields, issues


def _converter(layer: Any) -> Converter | None:
    """The converter of a layer: by its class, or by its registered name for the bridge's own layers
    (whichever copy of the class, ours or an exported script's)."""
    cls = type(layer)
    if (
        keras.saving.get_registered_name(cls) == LAYER_SCALE
        or (cls.__module__, cls.__name__) == KERAS_LAYER_SCALE
    ):
        return _layer_scale
    return _CONVERTERS.get(cls)


def _listed(problems: list[tuple[str, str, str]]) -> list[str]:
    """Each ``(kind, reason)`` once, with how many layers have it and which."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for kind, reason, name in problems:
        grouped.setdefault((kind, reason), []).append(name)
    lines = []
    for (kind, reason), names in grouped.items():
        if len(names) == 1:
            lines.append(f"{names[0]} ({kind}): {reason}")
            continue
        shown = ", ".join(names[:SHOWN_NAMES])
        if len(names) > SHOWN_NAMES:
            shown += f" and {len(names) - SHOWN_NAMES} more"
        lines.append(f"{kind} ×{len(names)} ({shown}): {reason}")
    return lines


def _spec_problems(error: SpecError, layers: list[Fields]) -> list[str]:
    """A validation error of the imported spec, each problem named by its layer."""
    lines = []
    for problem in error.problems:
        where = problem.field or "spec"
        found = re.match(r"layers\[(\d+)\]\.?(.*)", where)
        if found and int(found.group(1)) < len(layers):
            where = f"{layers[int(found.group(1))]['name']}: {found.group(2)}"
        lines.append(f"{where}: {problem.message}")
    return lines


def _is_padding2d(layer: Any) -> bool:
    return bool(keras.saving.get_registered_name(type(layer)) == PADDING_2D)


def _padding_of(pad: Any) -> Fields:
    """The ``padding`` (and ``padding_mode``) a padding layer gives the layer after it."""
    config = pad.get_config()
    if _is_padding2d(pad):
        return {"padding": "same" if config["same"] else config["padding"], "padding_mode": config["mode"]}
    return {"padding": config["padding"]}


# --- layers ------------------------------------------------------------------------------------

Converter = Callable[[Fields, _Call, str], tuple[Fields, list[str]]]


def _activation(config: Fields, issues: list[str]) -> str:
    name = config["activation"]
    if not isinstance(name, str) or name not in ACTIVATIONS:
        issues.append(f"activation {name!r} is not one of Keras' built-in activations cnncalc knows")
        return "linear"
    return name


def _window(config: Fields, issues: list[str]) -> Fields:
    """What every convolution shares."""
    return {
        "kernel_size": list(config["kernel_size"]),
        "strides": list(config["strides"]),
        "padding": config["padding"],
        "dilation_rate": list(config["dilation_rate"]),
        "use_bias": config["use_bias"],
        "activation": _activation(config, issues),
    }


def _conv2d(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    issues = _no_lora(config)
    fields = {
        "type": "conv2d",
        "filters": config["filters"],
        **_window(config, issues),
        "groups": config["groups"],
    }
    return fields, issues


def _depthwise_conv2d(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    issues: list[str] = []
    fields = {
        "type": "depthwiseconv2d",
        **_window(config, issues),
        "depth_multiplier": config["depth_multiplier"],
    }
    return fields, issues


def _separable_conv2d(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    issues: list[str] = []
    fields = {
        "type": "separableconv2d",
        "filters": config["filters"],
        **_window(config, issues),
        "depth_multiplier": config["depth_multiplier"],
    }
    return fields, issues


def _conv2d_transpose(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    issues: list[str] = []
    output_padding = config["output_padding"]
    fields = {
        "type": "conv2dtranspose",
        "filters": config["filters"],
        **_window(config, issues),
        "output_padding": None if output_padding is None else list(output_padding),
    }
    return fields, issues


def _no_lora(config: Fields) -> list[str]:
    if config.get("lora_rank") or config.get("quantization_config"):
        return ["LoRA and quantized weights change the parameter count; cnncalc has neither"]
    return []


def _pool2d(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    pool_size, strides = list(config["pool_size"]), list(config["strides"])
    fields = {
        "type": "maxpool2d" if isinstance(call.operation, keras.layers.MaxPooling2D) else "avgpool2d",
        "pool_size": pool_size,
        "strides": None if strides == pool_size else strides,
        "padding": config["padding"],
    }
    return fields, []


def _global_pool(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    kind = (
        "globalmaxpool2d"
        if isinstance(call.operation, keras.layers.GlobalMaxPooling2D)
        else "globalavgpool2d"
    )
    return {"type": kind, "keepdims": config["keepdims"]}, []


def _dense(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    issues = _no_lora(config)
    fields = {
        "type": "dense",
        "units": config["units"],
        "use_bias": config["use_bias"],
        "activation": _activation(config, issues),
    }
    return fields, issues


def _reshape(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "reshape", "target_shape": list(config["target_shape"])}, []


def _zeropad2d(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "zeropad2d", "padding": [list(pair) for pair in config["padding"]]}, []


def _cropping2d(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "cropping2d", "cropping": [list(pair) for pair in config["cropping"]]}, []


def _upsampling2d(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {
        "type": "upsampling2d",
        "size": list(config["size"]),
        "interpolation": config["interpolation"],
    }, []


def _dropout(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    noise_shape = config.get("noise_shape")
    fields: Fields = {"type": "dropout", "rate": float(config["rate"])}
    if noise_shape is None:
        return fields, []
    if noise_shape[0] is not None:
        return fields, [f"noise_shape={tuple(noise_shape)} fixes the batch size"]
    return fields | {"noise_shape": list(noise_shape[1:])}, []


def _spatial_dropout(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "spatialdropout2d", "rate": float(config["rate"])}, []


def _gaussian_noise(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "gaussiannoise", "stddev": float(config["stddev"])}, []


def _batchnorm(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    issues = ["renorm=True"] if config["renorm"] else []
    axis, rank = config["axis"], len(call.input_shape)
    channels = 1 if data_format == "channels_first" and rank == 4 else rank - 1
    if not isinstance(axis, int) or axis % rank != channels:
        issues.append(f"axis={axis} is not the channel axis of its {data_format} input")
    fields = {
        "type": "batchnorm",
        "momentum": config["momentum"],
        "epsilon": config["epsilon"],
        "center": config["center"],
        "scale": config["scale"],
    }
    return fields, issues


def _layernorm(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    fields = {
        "type": "layernorm",
        "axis": _axes(config["axis"]),
        "epsilon": config["epsilon"],
        "center": config["center"],
        "scale": config["scale"],
        "rms_scaling": config["rms_scaling"],
    }
    return fields, []


def _normalization(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    axis = _axes(config["axis"])
    fields = {
        "type": "normalization",
        "axis": axis or None,
        "mean": _numbers(config["mean"]),
        "variance": _numbers(config["variance"]),
        "invert": config["invert"],
    }
    return fields, []


def _rescaling(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "rescaling", "scale": _numbers(config["scale"]), "offset": _numbers(config["offset"])}, []


def _axes(value: Any) -> list[int]:
    return [int(axis) for axis in value] if isinstance(value, list | tuple) else [int(value)]


def _numbers(value: Any) -> list[float] | None:
    """A number, a list or an array as a list of floats (``None`` stays)."""
    if value is None:
        return None
    return [float(v) for v in np.asarray(value, dtype=float).ravel()]


def _layer_scale(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    size = call.input_shape[-1]
    issues = (
        []
        if config["projection_dim"] == size
        else [f"projection_dim={config['projection_dim']} is not {size}"]
    )
    return {"type": "layerscale", "init_values": float(config["init_values"])}, issues


def _activation_layer(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    issues: list[str] = []
    return {"type": "activation", "activation": _activation(config, issues)}, issues


def _relu(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    max_value = config["max_value"]
    fields = {
        "type": "relu",
        "max_value": None if max_value is None else float(max_value),
        "negative_slope": float(config["negative_slope"]),
        "threshold": float(config["threshold"]),
    }
    return fields, []


def _leaky_relu(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "leakyrelu", "negative_slope": float(config["negative_slope"])}, []


def _prelu(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    shared = config["shared_axes"]
    return {"type": "prelu", "shared_axes": None if shared is None else _axes(shared)}, []


def _softmax(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "softmax", "axis": _axes(config["axis"])}, []


def _concatenate(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "concatenate", "axis": _concatenation_axis(config["axis"], call, data_format)}, []


def _concatenation_axis(axis: int, call: _Call, data_format: str) -> int | None:
    """``None`` (the spec's default) for the channel axis of the data format, else Keras' axis."""
    rank = len(call.input_shape)
    channels = 1 if data_format == "channels_first" and rank == 4 else rank - 1
    return None if axis % rank == channels else axis


def _simple(kind: str) -> Converter:
    def convert(config: Fields, call: _Call, data_format: str) -> tuple[Fields, list[str]]:
        return {"type": kind}, []

    return convert


_CONVERTERS: dict[type, Converter] = {
    keras.layers.Conv2D: _conv2d,
    keras.layers.DepthwiseConv2D: _depthwise_conv2d,
    keras.layers.SeparableConv2D: _separable_conv2d,
    keras.layers.Conv2DTranspose: _conv2d_transpose,
    keras.layers.MaxPooling2D: _pool2d,
    keras.layers.AveragePooling2D: _pool2d,
    keras.layers.GlobalAveragePooling2D: _global_pool,
    keras.layers.GlobalMaxPooling2D: _global_pool,
    keras.layers.Dense: _dense,
    keras.layers.Flatten: _simple("flatten"),
    keras.layers.Reshape: _reshape,
    keras.layers.ZeroPadding2D: _zeropad2d,
    keras.layers.Cropping2D: _cropping2d,
    keras.layers.UpSampling2D: _upsampling2d,
    keras.layers.Identity: _simple("identity"),
    keras.layers.Dropout: _dropout,
    keras.layers.SpatialDropout2D: _spatial_dropout,
    keras.layers.GaussianNoise: _gaussian_noise,
    keras.layers.BatchNormalization: _batchnorm,
    keras.layers.LayerNormalization: _layernorm,
    keras.layers.Normalization: _normalization,
    keras.layers.Rescaling: _rescaling,
    keras.layers.Activation: _activation_layer,
    keras.layers.ReLU: _relu,
    keras.layers.LeakyReLU: _leaky_relu,
    keras.layers.PReLU: _prelu,
    keras.layers.Softmax: _softmax,
    keras.layers.Add: _simple("add"),
    keras.layers.Subtract: _simple("subtract"),
    keras.layers.Multiply: _simple("multiply"),
    keras.layers.Average: _simple("average"),
    keras.layers.Maximum: _simple("maximum"),
    keras.layers.Minimum: _simple("minimum"),
    keras.layers.Concatenate: _concatenate,
}
"""Spec fields (and what they cannot express) by Keras layer class, matched exactly."""


# --- operations --------------------------------------------------------------------------------

OperationConverter = Callable[[_Call, str], tuple[Fields, list[str]]]


def _operands(call: _Call) -> tuple[str | None, bool, list[float] | None]:
    """What a binary operation reads: ``("tensors", ...)`` for two tensors; for a tensor and a constant,
    whether the tensor comes first and the constant's values (one, or one per value of the last axis);
    else a problem."""
    arguments = call.arguments
    is_tensor = [_is_tensor(argument) for argument in arguments]
    if len(arguments) != 2 or not any(is_tensor):
        return "no spec layer computes it", False, None
    if all(is_tensor):
        return None, True, None
    value = arguments[is_tensor.index(False)]
    array = np.asarray(keras.ops.convert_to_numpy(value) if keras.ops.is_tensor(value) else value)
    if array.dtype.kind not in "biuf" or array.ndim > 1:
        return (
            f"by a constant of shape {array.shape} (a rescaling takes one value, or one per channel)",
            False,
            None,
        )
    return None, is_tensor[0], [float(v) for v in array.ravel()]


def _add(call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    problem, _, values = _operands(call)
    if problem:
        return {}, [problem]
    return ({"type": "add"}, []) if values is None else ({"type": "rescaling", "offset": values}, [])


def _subtract(call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    problem, tensor_first, values = _operands(call)
    if problem:
        return {}, [problem]
    if values is None:
        return {"type": "subtract"}, []
    if tensor_first:  # x - c
        return {"type": "rescaling", "offset": [-v for v in values]}, []
    return {"type": "rescaling", "scale": [-1.0], "offset": values}, []  # c - x


def _multiply(call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    problem, _, values = _operands(call)
    if problem:
        return {}, [problem]
    return ({"type": "multiply"}, []) if values is None else ({"type": "rescaling", "scale": values}, [])


def _divide(call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    problem, tensor_first, values = _operands(call)
    if problem:
        return {}, [problem]
    if values is None or not tensor_first or 0 in values:
        return {}, ["a division by a tensor or by zero: no spec layer computes it"]
    return {"type": "rescaling", "scale": [1 / v for v in values]}, []


def _extremum(merge: str) -> OperationConverter:
    def convert(call: _Call, data_format: str) -> tuple[Fields, list[str]]:
        problem, _, values = _operands(call)
        if problem or values is not None:
            return {}, [problem or "with a constant: no spec layer computes it"]
        return {"type": merge}, []

    return convert


def _negative(call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "rescaling", "scale": [-1.0]}, []


def _activation_operation(name: str, **defaults: Any) -> OperationConverter:
    """``ops.<function>(x)`` with the activation's defaults: the activation of that name."""

    def convert(call: _Call, data_format: str) -> tuple[Fields, list[str]]:
        different = {
            key: getattr(call.operation, key)
            for key, value in defaults.items()
            if getattr(call.operation, key, value) != value
        }
        if different:
            options = ", ".join(f"{key}={value!r}" for key, value in different.items())
            return {}, [f"{options}: the {name} activation takes none of these"]
        return {"type": "activation", "activation": name}, []

    return convert


def _softmax_operation(call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "softmax", "axis": _axes(call.operation.axis)}, []


def _concatenate_operation(call: _Call, data_format: str) -> tuple[Fields, list[str]]:
    return {"type": "concatenate", "axis": _concatenation_axis(call.operation.axis, call, data_format)}, []


_OPERATIONS: dict[str, OperationConverter] = {
    "Add": _add,
    "Subtract": _subtract,
    "Multiply": _multiply,
    "TrueDivide": _divide,
    "Divide": _divide,
    "Maximum": _extremum("maximum"),
    "Minimum": _extremum("minimum"),
    "Negative": _negative,
    "Relu": _activation_operation("relu"),
    "Relu6": _activation_operation("relu6"),
    "Sigmoid": _activation_operation("sigmoid"),
    "SparseSigmoid": _activation_operation("sparse_sigmoid"),
    "Softplus": _activation_operation("softplus"),
    "Softsign": _activation_operation("softsign"),
    "SoftShrink": _activation_operation("soft_shrink", threshold=0.5),
    "SparsePlus": _activation_operation("sparse_plus"),
    "Silu": _activation_operation("silu"),
    "Squareplus": _activation_operation("squareplus", b=4),
    "LogSigmoid": _activation_operation("log_sigmoid"),
    "LeakyRelu": _activation_operation("leaky_relu", negative_slope=0.2),
    "HardSigmoid": _activation_operation("hard_sigmoid"),
    "HardSilu": _activation_operation("hard_silu"),
    "Elu": _activation_operation("elu", alpha=1.0),
    "Selu": _activation_operation("selu"),
    "Gelu": _activation_operation("gelu", approximate=False),
    "Celu": _activation_operation("celu", alpha=1.0),
    "TanhShrink": _activation_operation("tanh_shrink"),
    "HardTanh": _activation_operation("hard_tanh"),
    "HardShrink": _activation_operation("hard_shrink", threshold=0.5),
    "LogSoftmax": _activation_operation("log_softmax", axis=-1),
    "Sparsemax": _activation_operation("sparsemax", axis=-1),
    "Tanh": _activation_operation("tanh"),
    "Exp": _activation_operation("exponential"),
    "Softmax": _softmax_operation,
    "Concatenate": _concatenate_operation,
}
"""Spec fields for Keras' operations (``keras.ops``, and the operators on symbolic tensors), by class
name; those missing here have no spec layer."""
