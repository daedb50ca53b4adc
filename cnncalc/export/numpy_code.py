"""``cnncalc export --to numpy``: a standalone NumPy script that builds a spec's model and trains it.

The script is written to be read: batch-first ``(N, H, W, C)`` arrays, im2col on a strided view
and one matrix product per convolution, each forward pass next to its backward pass, rather than
an import of :mod:`cnncalc.backends.numpy`, whose speed work (batch-last layout, reused buffers,
blocked products, threads) would hide the ideas. It needs NumPy only; for data it uses cnncalc's
MNIST loader when cnncalc is installed, else an ``mnist.npz`` (Keras' cache).

Its code is copied from real modules, :mod:`cnncalc.export.plain_numpy`, which ruff, mypy and
the tests see like any other: the definitions the model needs (its layer classes, their
activations, the training loop) and, transitively, every definition and import they use. Only
the model is generated here, from the shape engine's records (padding split, weight shapes):
``build_model``, one ``Node`` per spec layer naming the layers it reads (a chain and a graph are
written the same way), the input shape and the table of activations.
"""

from __future__ import annotations

from collections.abc import Callable

from cnncalc.api import SpecSource, analyze
from cnncalc.data.mnist import require_mnist_input
from cnncalc.errors import CnncalcError
from cnncalc.export.plain_numpy import activations, arrays, layers, training
from cnncalc.export.source_parts import Definition, SourceParts, names_read
from cnncalc.render.escape import python_text, visible
from cnncalc.shapes.inference import channel_axis, keras_axes
from cnncalc.shapes.records import Analysis, AxisWindow, LayerRecord
from cnncalc.shapes.text import format_shape
from cnncalc.spec.models import (
    Activation,
    Add,
    Average,
    AvgPool2D,
    BatchNorm,
    Concatenate,
    Conv2D,
    DataFormat,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    GlobalPool2D,
    Identity,
    LayerBase,
    Maximum,
    MaxPool2D,
    Merge,
    Minimum,
    Multiply,
    Pool2D,
    Subtract,
    ZeroPad2D,
)
from cnncalc.train import require_mnist_classifier

__all__ = ["numpy_script"]

PARTS = (arrays, activations, layers, training)
"""The modules the script's code comes from, in the order it lists their definitions."""


def numpy_script(spec: SpecSource) -> str:
    """The source of a standalone script that builds ``spec``'s model and trains it on MNIST
    (``python model.py --epochs 1``). Refuses specs with errors, models that cannot take MNIST
    digits or do not output 10 class scores, and what the script cannot build yet (layer types
    and activations it has no code for)."""
    analysis = analyze(spec)
    require_mnist_classifier(analysis, "export")
    require_mnist_input(analysis.input_shape, analysis.data_format)
    _require_exportable(analysis)
    functions = sorted(set(_activations(analysis)) - {"softmax"})
    table = _activation_table(functions)
    model = _build_model(analysis)
    parts = SourceParts.of(*PARTS)
    names = parts.needed(names_read(f"{table}\n{model}\n{_MAIN}"), own={"ACTIVATIONS"})
    code = [parts.definitions[name] for name in names if not parts.definitions[name].module]
    if table:  # after the last function it names
        last = max([d.name for d in code].index(f"{function}_derivative") for function in functions)
        code.insert(last + 1, Definition("ACTIVATIONS", table))
    return f"{_docstring(analysis)}\n\n{parts.script(names, code)}\n\n\n{model}\n\n\n{_MAIN}\n"


_MAIN = """\
if __name__ == "__main__":
    main(build_model, INPUT_SHAPE)"""


def _activation_table(functions: list[str]) -> str:
    """The script's ACTIVATIONS: only the functions the model uses (see :data:`activations.ACTIVATIONS`)."""
    if not functions:
        return ""
    entries = "".join(f'\n    "{name}": ({name}, {name}_derivative),' for name in functions)
    return (
        "ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {"
        f'{entries}\n}}\n"""name: (function, its derivative in terms of the function\'s output)."""'
    )


def _require_exportable(analysis: Analysis) -> None:
    """Refuse, by name, what the script cannot build yet."""
    refuse = f"cannot export {analysis.name} to numpy"
    if analysis.outputs != (analysis.layers[-1].name,):
        raise CnncalcError(f"{refuse}: the script returns its last layer, not {', '.join(analysis.outputs)}")
    for record in analysis.layers:
        if type(record.layer) not in _CONSTRUCTORS or getattr(record.layer, "connections", None) is not None:
            raise CnncalcError(f"{refuse}: no script code for {record.layer.keras_class} ({record.name}) yet")
        ranks = {len(shape or ()) for shape in record.input_shapes}
        if isinstance(record.layer, Merge) and analysis.data_format == "channels_first" and len(ranks) > 1:
            raise CnncalcError(
                f"{refuse}: the script lays channels_first maps out channels last, so it cannot merge "
                f"inputs of different ranks as Keras does ({record.name})"
            )
    unknown = sorted(set(_activations(analysis)) - {"softmax", *activations.ACTIVATIONS})
    if unknown:
        raise CnncalcError(f"{refuse}: no script code for activation {', '.join(unknown)} yet")


def _softmax_head(analysis: Analysis) -> bool:
    """Whether the last layer ends in a softmax, which the script's loss applies itself."""
    head = analysis.layers[-1].layer
    return isinstance(head, Conv2D | Dense | Activation) and head.activation == "softmax"


def _activations(analysis: Analysis) -> list[str]:
    """The function of every activation layer the script builds (not the head's softmax)."""
    built: list[str] = [
        record.layer.activation
        for record in analysis.layers
        if isinstance(record.layer, Activation)
        or (isinstance(record.layer, Conv2D | Dense) and record.layer.activation != "linear")
    ]
    return built[:-1] if _softmax_head(analysis) else built


def _docstring(analysis: Analysis) -> str:
    rows = "\n".join(
        f"    {python_text(r.name):<24} {format_shape(r.output_shape or ()):<16} "
        f"{r.params or 0:>9,} parameters"
        for r in analysis.layers
    )
    channels_first = (
        " This spec is channels_first: the table\nshows its shapes as (C, H, W); weights have the "
        "same layout in both formats."
        if analysis.data_format == "channels_first"
        else ""
    )
    return f'''"""{python_text(analysis.name)}: a convolutional network in plain NumPy, trained on MNIST.

Generated by `cnncalc export --to numpy`; run `python model.py --epochs 1`.

Layers (output shapes without the batch axis; {analysis.trainable_params:,} trainable parameters):
{rows}

Every array is batch first and channels last: (N, H, W, C) or (N, F).{channels_first}
Each layer keeps in its forward pass what its backward pass needs; the backward pass stores
the layer's weight gradients and returns its input's gradient. The loss is softmax
cross-entropy (the last layer's softmax is part of it); Adam updates the weights.
"""'''


def _build_model(analysis: Analysis) -> str:
    shape = analysis.input_shape
    if len(shape) == 3 and analysis.data_format == "channels_first":
        shape = (shape[1], shape[2], shape[0])
    last = len(analysis.layers) - 1
    nodes = "".join(
        f"\n{line}"
        for index, record in enumerate(analysis.layers)
        for line in _node(record, analysis.data_format, index == last and _softmax_head(analysis))
    )
    return f'''INPUT_SHAPE = {shape}  # one sample as the layers take it


def build_model(rng: np.random.Generator) -> list[Node]:
    """The layers in order, each after the layers it reads ("input" is the model's input)."""
    return [{nodes}
    ]'''


NODE_INDENT = " " * 8
LINE_LENGTH = 110


def _node(record: LayerRecord, data_format: DataFormat, softmax_head: bool) -> list[str]:
    """The lines that build one spec layer: a comment naming it, then its Node: its name, what
    it reads, its layer and its activation (the head's softmax is left to the loss)."""
    layer = record.layer
    # Keras' Dense and softmax act on the last axis, which for a channels_first map is the width.
    on_width = data_format == "channels_first" and len(record.input_shape or ()) == 3
    comment = f"{NODE_INDENT}# {visible(record.name)}: {format_shape(record.output_shape or ())}"
    own = softmax_head and isinstance(layer, Activation)  # a softmax alone, left to the loss
    calls = [] if own else [_CONSTRUCTORS[type(layer)](record, on_width)]
    activation = getattr(layer, "activation", "linear")
    if softmax_head and activation == "softmax":
        comment += ", and its softmax, which the loss (cross_entropy) applies"
        calls = calls or ["Identity()"]
    elif not isinstance(layer, Activation) and activation != "linear":
        calls.append(_activation_call(activation, on_width))
    inputs = f"[{', '.join(_string(name) for name in record.inputs)}]"
    return [comment, *_call_lines("Node", [_string(record.name), inputs, *calls])]


def _string(text: str) -> str:
    """A Python string literal of a layer name (any text but ``/``)."""
    return f'"{python_text(text)}"'


def _call_lines(function: str, arguments: list[str]) -> list[str]:
    """``function(arguments),`` in the list at :data:`NODE_INDENT`: on one line if it fits, else
    one argument per line with a trailing comma (which ruff's formatter keeps as it is)."""
    one_line = f"{NODE_INDENT}{function}({', '.join(arguments)}),"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    inner = NODE_INDENT + " " * 4
    return [
        f"{NODE_INDENT}{function}(",
        *(f"{inner}{argument}," for argument in arguments),
        f"{NODE_INDENT}),",
    ]


def _arguments(**values: tuple[object, object]) -> str:
    """``, name=value`` for each value that differs from its default; given as (value, default)."""
    return "".join(
        f", {key}={_literal(value)}" for key, (value, default) in values.items() if value != default
    )


def _literal(value: object) -> str:
    """Python source for a value, strings in double quotes."""
    return f'"{python_text(value)}"' if isinstance(value, str) else repr(value)


def _windows(record: LayerRecord) -> tuple[AxisWindow, AxisWindow]:
    if record.windows is None:
        raise ValueError(f"layer {record.name} has no windows in its record")
    return record.windows


def _padding(record: LayerRecord) -> tuple[tuple[int, int], tuple[int, int]]:
    rows, cols = _windows(record)
    return (rows.pad_before, rows.pad_after), (cols.pad_before, cols.pad_after)


def _kernel_shape(record: LayerRecord) -> tuple[int, ...]:
    if not record.weights:
        raise ValueError(f"layer {record.name} has no weights in its record")
    return record.weights[0].shape


def _global_pool(record: LayerRecord, on_width: bool) -> str:
    assert isinstance(record.layer, GlobalPool2D)
    return f"{type(record.layer).__name__}({_arguments(keepdims=(record.layer.keepdims, False))[2:]})"


def _concatenate(record: LayerRecord, on_width: bool) -> str:
    """The axis in the script's layout, batch first and channels last (channels_first maps too)."""
    layer = record.layer
    assert isinstance(layer, Concatenate)
    shape = record.input_shape or ()
    if layer.axis is None:
        axis = channel_axis(shape, "channels_first" if on_width else "channels_last")
    else:
        (axis,) = keras_axes(layer, (layer.axis,), shape)
    script = {0: 3, 1: 1, 2: 2}[axis] if on_width else axis + 1  # batch first
    return f"Concatenate({_arguments(axis=(script - len(shape) - 1, -1))[2:]})"


def _conv(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, Conv2D)
    rows, cols = _windows(record)
    options = _arguments(
        strides=((rows.strides, cols.strides), (1, 1)),
        dilation=((rows.dilation, cols.dilation), (1, 1)),
        padding=(_padding(record), ((0, 0), (0, 0))),
        pad_mode=(layer.padding_mode, "zeros"),
        groups=(layer.groups, 1),
        use_bias=(layer.use_bias, True),
    )
    return f"Conv2D({_kernel_shape(record)}{options})"


def _pool(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, Pool2D)
    rows, cols = _windows(record)
    padding = _padding(record)
    mode = "ignore" if rows.same else layer.padding_mode
    options = "" if padding == ((0, 0), (0, 0)) else f", {padding}, {_literal(mode)}"
    return f"{type(layer).__name__}({(rows.kernel, cols.kernel)}, {(rows.strides, cols.strides)}{options})"


def _dense(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, Dense)
    fan_in, units = _kernel_shape(record)
    options = _arguments(use_bias=(layer.use_bias, True), axis=(2 if on_width else -1, -1))
    return f"Dense({fan_in}, {units}{options})"


def _activation_call(function: str, on_width: bool) -> str:
    axis = ", axis=2" if on_width and function == "softmax" else ""
    return f'Activation("{function}"{axis})'


def _activation(record: LayerRecord, on_width: bool) -> str:
    assert isinstance(record.layer, Activation)
    return _activation_call(record.layer.activation, on_width)


def _batchnorm(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, BatchNorm)
    options = _arguments(
        momentum=(layer.momentum, 0.99),
        epsilon=(layer.epsilon, 1e-3),
        scale=(layer.scale, True),
        center=(layer.center, True),
    )
    return f"BatchNorm({_kernel_shape(record)[0]}{options})"


def _dropout(record: LayerRecord, on_width: bool) -> str:
    assert isinstance(record.layer, Dropout)
    return f"Dropout({record.layer.rate!r}, rng)"


_CONSTRUCTORS: dict[type[LayerBase], Callable[[LayerRecord, bool], str]] = {
    Conv2D: _conv,
    MaxPool2D: _pool,
    AvgPool2D: _pool,
    Dense: _dense,
    Flatten: lambda record, on_width: "Flatten()",
    Dropout: _dropout,
    Activation: _activation,
    BatchNorm: _batchnorm,
    GlobalAvgPool2D: _global_pool,
    GlobalMaxPool2D: _global_pool,
    ZeroPad2D: lambda record, on_width: f"ZeroPad2D({_padding(record)})",
    Identity: lambda record, on_width: "Identity()",
    Add: lambda record, on_width: "Add()",
    Subtract: lambda record, on_width: "Subtract()",
    Multiply: lambda record, on_width: "Multiply()",
    Average: lambda record, on_width: "Average()",
    Maximum: lambda record, on_width: "Maximum()",
    Minimum: lambda record, on_width: "Minimum()",
    Concatenate: _concatenate,
}
"""The script's constructor call for each spec class (``on_width``: Dense and softmax act on
a channels_first map's width)."""
