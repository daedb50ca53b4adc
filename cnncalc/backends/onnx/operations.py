"""How each ONNX operation becomes a spec layer (or a view, an alias, a constant): one function per
operation, chosen by :data:`HANDLERS` on the node's ``op_type``. Each reads its inputs from the
:class:`~cnncalc.backends.onnx.importer.Importer` and adds the layer with ``emit``, or raises
:class:`~cnncalc.backends.onnx.importer.Unsupported` saying why the spec cannot express it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod
from typing import Any

import numpy as np

from cnncalc.backends.onnx.export import Layout
from cnncalc.backends.onnx.importer import (
    Importer,
    Pending,
    Unsupported,
    Value,
    attributes_of,
    shortest,
    text,
)
from cnncalc.shapes.formulas import same_padding, transposed_output_size
from cnncalc.spec.models import DataFormat


def _spatial_pads(
    importer: Importer,
    attributes: dict[str, Any],
    value: Value,
    window: tuple[Sequence[int], Sequence[int], Sequence[int]],
) -> str | tuple[tuple[int, int], tuple[int, int]]:
    """A windowed operation's padding in the spec's form: ``same`` (ONNX's ``SAME_UPPER``, Keras' split),
    ``valid``, or explicit ``((top, bottom), (left, right))``."""
    kernel, strides, dilations = window
    auto = text(attributes.get("auto_pad", "NOTSET"))
    if auto == "SAME_UPPER":
        return "same"
    if auto == "VALID":
        return "valid"
    if auto == "SAME_LOWER":
        height, width, _ = importer.spatial(value)
        rows, cols = (
            same_padding(size, k, s, d)
            for size, k, s, d in zip((height, width), kernel, strides, dilations, strict=True)
        )
        return (rows[1], rows[0]), (cols[1], cols[0])  # the extra cell first
    pads = list(attributes.get("pads", [0, 0, 0, 0]))
    if any(p < 0 for p in pads):
        raise Unsupported(f"negative pads {pads} (cropping) are not padding")
    if not any(pads):
        return "valid"
    return (pads[0], pads[2]), (pads[1], pads[3])


def _add_padding(padding: Any, pending: Pending | None) -> tuple[Any, str]:
    """The padding with a held-back reflect or edge ``Pad`` before it: that pad's amounts and mode."""
    if pending is None:
        return padding, "zeros"
    if padding != "valid":
        raise Unsupported("it pads with zeros after a reflect or edge Pad; the spec pads once, in one mode")
    return pending.details["pads"], pending.details["mode"]


def _windowed_input(importer: Importer, node: Any) -> tuple[Value, Pending | None]:
    """The NCHW input of a convolution or pool, and the reflect or edge ``Pad`` before it, if any."""
    found = importer.values.get(node.input[0])
    pending = found if isinstance(found, Pending) and found.kind == "pad" else None
    value = pending.value if pending else importer.value(node.input[0])
    importer.needs(value, "NCHW", node.op_type)
    return value, pending


# --- handlers ---------------------------------------------------------------------------------------


def _conv(importer: Importer, node: Any) -> None:
    value, pending = _windowed_input(importer, node)
    attributes = attributes_of(importer, node)
    kernel_tensor = importer.weight(node.input[1])
    if kernel_tensor is None:
        raise Unsupported("its kernel is computed, not an initialiser")
    filters, per_group, *kernel = kernel_tensor.dims
    strides = list(attributes.get("strides", [1, 1]))
    dilations = list(attributes.get("dilations", [1, 1]))
    group = attributes.get("group", 1)
    if len(kernel) != 2:
        raise Unsupported(f"a {len(kernel)}-D convolution; the spec's are 2-D")
    padding, mode = _add_padding(
        _spatial_pads(importer, attributes, value, (kernel, strides, dilations)), pending
    )
    bias = len(node.input) > 2 and bool(node.input[2])
    fields: dict[str, Any] = {
        "kernel_size": kernel, "strides": strides, "dilation_rate": dilations, "padding": padding,
        "padding_mode": mode, "use_bias": bias,
    }  # fmt: skip
    if group > 1 and per_group == 1:
        fields |= {"type": "depthwiseconv2d", "depth_multiplier": filters // group}
    else:
        fields |= {"type": "conv2d", "filters": filters, "groups": group}
    weights = [node.input[1]] + ([node.input[2]] if bias else [])
    importer.emit(node, fields, [value], layout="NCHW", weights=weights)


def _conv_transpose(importer: Importer, node: Any) -> None:
    """Keras' transposed convolution pads ``valid`` or ``same``, with or without ``output_padding``:
    ONNX's pads and output padding must give the size one of those gives."""
    value = importer.value(node.input[0])
    importer.needs(value, "NCHW", "ConvTranspose")
    attributes = attributes_of(importer, node)
    kernel_tensor = importer.weight(node.input[1])
    if kernel_tensor is None or attributes.get("group", 1) != 1:
        raise Unsupported("a grouped or computed kernel")
    _, filters, *kernel = kernel_tensor.dims
    strides = list(attributes.get("strides", [1, 1]))
    dilations = list(attributes.get("dilations", [1, 1]))
    extra = list(attributes.get("output_padding", [0, 0]))
    auto = text(attributes.get("auto_pad", "NOTSET"))
    pads = list(attributes.get("pads", [0, 0, 0, 0]))
    height, width, _ = importer.spatial(value)
    sizes = (height, width)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        onnx_sizes = [i * s for i, s in zip(sizes, strides, strict=True)]
    else:
        onnx_sizes = [
            (i - 1) * s + d * (k - 1) + 1 + e - pads[a] - pads[a + 2]
            for a, (i, s, k, d, e) in enumerate(zip(sizes, strides, kernel, dilations, extra, strict=True))
        ]
    fields: dict[str, Any] = {
        "type": "conv2dtranspose",
        "filters": filters,
        "kernel_size": kernel,
        "strides": strides,
        "dilation_rate": dilations,
    }
    forms: list[dict[str, Any]] = [
        {"padding": padding} for padding in ("same", "valid") if not any(extra)
    ] + [{"padding": padding, "output_padding": extra} for padding in ("valid", "same")]
    for form in forms:
        keras_sizes = [
            transposed_output_size(
                i,
                k,
                s,
                form["padding"],
                output_padding=None if "output_padding" not in form else e,
                dilation_rate=d,
            )
            for i, k, s, d, e in zip(sizes, kernel, strides, dilations, extra, strict=True)
        ]
        if keras_sizes == onnx_sizes:
            fields |= form
            break
    else:
        raise Unsupported(
            f"pads {pads} with output_padding {extra} give {onnx_sizes}, which no Keras padding "
            "(`valid` or `same`, with or without output_padding) gives"
        )
    bias = len(node.input) > 2 and bool(node.input[2])
    fields["use_bias"] = bias
    weights = [node.input[1]] + ([node.input[2]] if bias else [])
    importer.emit(node, fields, [value], layout="NCHW", weights=weights)


def _pool(importer: Importer, node: Any) -> None:
    value, pending = _windowed_input(importer, node)
    attributes = attributes_of(importer, node)
    kernel = list(attributes["kernel_shape"])
    strides = list(attributes.get("strides", [1, 1]))
    if any(d != 1 for d in attributes.get("dilations", [1, 1])):
        raise Unsupported("dilated pooling; the spec's pools are not dilated")
    average = node.op_type == "AveragePool"
    padding = _spatial_pads(importer, attributes, value, (kernel, strides, [1, 1]))
    include = bool(attributes.get("count_include_pad", 0)) if average else False
    if padding == "same" and include:  # padded zeros counted: explicit padding, Keras' split
        height, width, _ = importer.spatial(value)
        rows, cols = (
            same_padding(size, k, s) for size, k, s in zip((height, width), kernel, strides, strict=True)
        )
        padding = (rows, cols)
    padding, mode = _add_padding(padding, pending)
    fields: dict[str, Any] = {
        "type": "avgpool2d" if average else "maxpool2d",
        "pool_size": kernel,
        "strides": None if strides == kernel else strides,
        "padding": padding,
        "padding_mode": mode,
        "ceil_mode": bool(attributes.get("ceil_mode", 0)),
        "count_include_pad": include or pending is not None,
    }
    importer.emit(node, fields, [value], layout="NCHW")


def _global_pool(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    importer.needs(value, "NCHW", node.op_type)
    kind = "globalavgpool2d" if node.op_type == "GlobalAveragePool" else "globalmaxpool2d"
    importer.emit(node, {"type": kind, "keepdims": True}, [value], layout="NCHW")


def _reduce(importer: Importer, node: Any) -> None:
    """``ReduceMean`` / ``ReduceMax`` over a feature map's height and width: a global pool."""
    value = importer.value(node.input[0])
    attributes = attributes_of(importer, node)
    axes = attributes.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        found = importer.constant(node.input[1])
        axes = None if found is None else found.tolist()
    rank = importer.rank(value)
    spatial = {2, 3} if value.layout == "NCHW" else {1, 2}
    if rank != 4 or axes is None or {axis % rank for axis in axes} != spatial:
        raise Unsupported(
            f"it reduces axes {axes}; the spec's global pools reduce a feature map's height and width"
        )
    keepdims = bool(attributes.get("keepdims", 1))
    kind = "globalavgpool2d" if node.op_type == "ReduceMean" else "globalmaxpool2d"
    importer.emit(
        node, {"type": kind, "keepdims": keepdims}, [value], layout=value.layout if keepdims else "flat"
    )


def _flatten(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    if attributes_of(importer, node).get("axis", 1) != 1:
        raise Unsupported("it flattens from another axis than 1 (after the batch axis)")
    importer.emit(node, {"type": "flatten"}, [value], layout="flat")


def _reshape(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    target = importer.constant(node.input[1])
    if target is None:
        raise Unsupported("its shape is computed, not a constant (export with constant folding)")
    shape = [int(n) for n in target.tolist()]
    batch = _batch_size(importer)
    if not shape or shape[0] not in {0, -1, batch}:
        raise Unsupported(f"shape {shape} changes the batch axis")
    target_shape = shape[1:]
    if 0 in target_shape:
        source = importer.shapes.get(value.layer)
        if source is None or value.layout != importer.natural(value):
            raise Unsupported("its shape copies axes (0) of an input in another layout")
        target_shape = [source[index] if n == 0 else n for index, n in enumerate(target_shape)]
    if len(target_shape) > 1 and value.layout != importer.natural(value):
        raise Unsupported(f"it reshapes {value.layer} in {value.layout} order; Keras reshapes the spec's")
    importer.emit(node, {"type": "reshape", "target_shape": target_shape}, [value])


def _batch_size(importer: Importer) -> int | None:
    dims = importer.model.graph.input[0].type.tensor_type.shape.dim if importer.model.graph.input else []
    return dims[0].dim_value if dims and dims[0].HasField("dim_value") else None


def _gemm(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    attributes = attributes_of(importer, node)
    kernel = importer.weight(node.input[1])
    if (
        kernel is None
        or attributes.get("transA", 0)
        or attributes.get("alpha", 1.0) != 1.0
        or attributes.get("beta", 1.0) != 1.0
    ):
        raise Unsupported("only x·W + b (transA 0, alpha and beta 1, W an initialiser) is a dense layer")
    if value.layout != "flat":
        raise Unsupported(f"it reads {value.layer}, a feature map, as a matrix")
    units = kernel.dims[0] if attributes.get("transB", 0) else kernel.dims[1]
    bias = len(node.input) > 2 and bool(node.input[2])
    if bias and not _bias_of(importer, node.input[2], units):
        raise Unsupported(f"its C is not one bias per unit ({units})")
    weights = [node.input[1]] + ([node.input[2]] if bias else [])
    importer.emit(
        node, {"type": "dense", "units": units, "use_bias": bias}, [value], layout="flat", weights=weights
    )


def _bias_of(importer: Importer, name: str, units: int) -> bool:
    tensor = importer.weight(name)
    dims = list(tensor.dims) if tensor is not None else None
    return dims is not None and [d for d in dims if d != 1] in ([units], []) and prod(dims) == units


def _matmul(importer: Importer, node: Any) -> None:
    """``MatMul`` by a weight matrix on the last axis: a dense layer; its bias follows as an ``Add``."""
    value = importer.value(node.input[0])
    kernel = importer.weight(node.input[1])
    if kernel is None or len(kernel.dims) != 2:
        raise Unsupported("it multiplies by a computed tensor, not a weight matrix")
    if value.layout != importer.natural(value):
        raise Unsupported(
            f"it multiplies {value.layer} in {value.layout} order; a dense layer reads the spec's last axis"
        )
    units = kernel.dims[1]
    readers = importer.consumers.get(node.output[0], [])
    if len(readers) == 1 and readers[0].op_type == "Add":
        other = [name for name in readers[0].input if name != node.output[0]]
        if len(other) == 1 and _bias_of(importer, other[0], units):
            importer.values[node.output[0]] = Pending(
                "matmul", value, node, {"units": units, "bias": other[0]}
            )
            return
    importer.emit(
        node, {"type": "dense", "units": units, "use_bias": False}, [value], weights=[node.input[1]]
    )


def _arithmetic(importer: Importer, node: Any) -> None:
    """``Add``/``Sub``/``Mul``/``Div``: a dense layer's bias, a ``silu`` gate, a rescaling by constants,
    or a merge of two layers."""
    found = [importer.values.get(name) for name in node.input]
    for index, item in enumerate(found):
        if isinstance(item, Pending) and item.kind == "matmul" and node.op_type == "Add":
            matmul = item.node
            fields = {"type": "dense", "units": item.details["units"], "use_bias": True}
            importer.emit(
                matmul,
                fields,
                [item.value],
                weights=[matmul.input[1], node.input[1 - index]],
                output=node.output[0],
            )
            return
        if isinstance(item, Pending) and item.kind == "gate" and node.op_type == "Mul":
            importer.emit(
                node, {"type": "activation", "activation": "silu"}, [item.value], layout=item.value.layout
            )
            return
    values = [item for item in found if isinstance(item, Value)]
    if len(values) == len(node.input):
        _merge(importer, node)
        return
    if len(values) != 1 or len(node.input) != 2:
        raise Unsupported("it computes with constants only")
    value = values[0]
    constant_name = node.input[1] if isinstance(found[0], Value) else node.input[0]
    constant = importer.constant(constant_name)
    if constant is None:
        raise Unsupported("its other operand is too large a constant")
    if node.op_type in ("Sub", "Div") and not isinstance(found[0], Value):
        raise Unsupported(f"a constant {'minus' if node.op_type == 'Sub' else 'divided by'} a layer's output")
    numbers = _per_last_axis(importer, value, constant)
    if node.op_type == "Mul":
        fields = {"scale": numbers}
    elif node.op_type == "Div":
        fields = {"scale": [shortest(1 / n) for n in numbers]}
    elif node.op_type == "Add":
        fields = {"offset": numbers}
    else:
        fields = {"offset": [-n for n in numbers]}
    importer.emit(node, {"type": "rescaling", **fields}, [value], layout=value.layout)


def _per_last_axis(importer: Importer, value: Value, constant: np.ndarray) -> list[float]:
    """A constant as one number, or one per value of the spec's last axis: broadcast along ONNX's
    last axis in the spec's order, or along axis 1 (``(C, 1, 1)``) of an NCHW view of a channels_last map."""
    flat = [shortest(v) for v in constant.astype(np.float32).ravel().tolist()]
    if len(flat) == 1:
        return flat
    shape = importer.shapes.get(value.layer) or (0,)
    dims = list(constant.shape)
    if value.layout == importer.natural(value):
        along = dims[-1:] == [shape[-1]] and all(d == 1 for d in dims[:-1])
    else:
        along = len(dims) >= 3 and dims[-3:] == [shape[-1], 1, 1] and all(d == 1 for d in dims[:-3])
    if not along:
        raise Unsupported(
            f"a constant of shape {dims}; the spec scales by one value or one per value of the last axis"
        )
    return flat


MERGES = {
    "Add": "add",
    "Sub": "subtract",
    "Mul": "multiply",
    "Sum": "add",
    "Mean": "average",
    "Max": "maximum",
    "Min": "minimum",
}
"""The spec merge of each element-wise operation on layers."""


def _merge(importer: Importer, node: Any) -> None:
    values = [importer.value(name) for name in node.input]
    ranks = {importer.rank(value) for value in values}
    layouts = {value.layout for value in values}
    if len(ranks) > 1:
        raise Unsupported("its inputs have different ranks, which ONNX and Keras broadcast differently")
    if len(layouts) > 1:
        raise Unsupported(f"its inputs are in different orders ({', '.join(sorted(layouts))})")
    if len(values) == 1:
        importer.emit(node, {"type": "identity"}, values, layout=values[0].layout)
        return
    importer.emit(node, {"type": MERGES[node.op_type]}, values, layout=values[0].layout)


def _variadic(importer: Importer, node: Any) -> None:
    if all(isinstance(importer.values.get(name), Value) for name in node.input):
        _merge(importer, node)
    else:
        raise Unsupported("it computes with constants")


def _concat(importer: Importer, node: Any) -> None:
    values = [importer.value(name) for name in node.input]
    if len({value.layout for value in values}) > 1:
        raise Unsupported("its inputs are in different orders")
    layout = values[0].layout
    rank = importer.rank(values[0])
    axis = attributes_of(importer, node)["axis"] % rank
    if axis == 0:
        raise Unsupported("it concatenates along the batch axis")
    spec_axis = _spec_axis(axis, layout, importer.data_format)
    importer.emit(node, {"type": "concatenate", "axis": spec_axis + 1}, values, layout=layout)


def _spec_axis(axis: int, layout: Layout, data_format: DataFormat) -> int:
    """The spec axis (batch excluded, from 0) that ONNX axis ``axis`` (batch 0) holds in ``layout``."""
    natural = "NCHW" if data_format == "channels_first" else "NHWC"
    if layout in ("flat", natural):
        return axis - 1
    if data_format == "channels_last":  # tensor NCHW, spec (H, W, C)
        return {1: 2, 2: 0, 3: 1}[axis]
    return {1: 1, 2: 2, 3: 0}[axis]  # tensor NHWC, spec (C, H, W)


def _batchnorm(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    attributes = attributes_of(importer, node)
    if attributes.get("training_mode", 0):
        raise Unsupported("batch normalisation in training mode")
    rank = importer.rank(value)
    if rank == 4:
        importer.needs(value, "NCHW", "BatchNormalization")
    elif rank != 2:
        raise Unsupported(f"a rank-{rank} input; the spec normalises feature maps and vectors")
    fields: dict[str, Any] = {
        "type": "batchnorm",
        "epsilon": shortest(attributes.get("epsilon", 1e-5)),
        "momentum": shortest(attributes.get("momentum", 0.9)),
    }
    weights = []
    for index, option, fixed in ((1, "scale", 1.0), (2, "center", 0.0)):
        name = node.input[index]
        if importer.weight(name) is not None:
            weights.append(name)
            continue
        constant = importer.constant(name)
        if constant is None or not np.all(constant == fixed):
            raise Unsupported(f"its {'scale' if index == 1 else 'bias'} is computed")
        fields[option] = False
    weights += [node.input[3], node.input[4]]
    importer.emit(node, fields, [value], layout=value.layout, weights=weights)


def _layernorm(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    if value.layout != importer.natural(value):
        raise Unsupported(f"it normalises {value.layer} in {value.layout} order")
    attributes = attributes_of(importer, node)
    rank = importer.rank(value)
    first = attributes.get("axis", -1) % rank
    fields: dict[str, Any] = {
        "type": "layernorm",
        "axis": [-1] if first == rank - 1 else list(range(first, rank)),
        "epsilon": shortest(attributes.get("epsilon", 1e-5)),
    }
    weights = []
    if importer.weight(node.input[1]) is not None:
        weights.append(node.input[1])
    else:
        fields["scale"] = False
    if len(node.input) > 2 and node.input[2]:
        weights.append(node.input[2])
    else:
        fields["center"] = False
    importer.emit(node, fields, [value], layout=value.layout, weights=weights)


ACTIVATIONS = {
    "Relu": "relu", "Tanh": "tanh", "Softplus": "softplus", "Softsign": "softsign", "Mish": "mish",
    "Exp": "exponential", "HardSwish": "hard_silu",
}  # fmt: skip
"""Operations that are a spec activation as they are."""


def _activation(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    importer.emit(
        node, {"type": "activation", "activation": ACTIVATIONS[node.op_type]}, [value], layout=value.layout
    )


def _sigmoid(importer: Importer, node: Any) -> None:
    """``Sigmoid``, unless it gates its own input (``x · sigmoid(x)``: ``silu``, held for the ``Mul``)."""
    value = importer.value(node.input[0])
    readers = importer.consumers.get(node.output[0], [])
    if len(readers) == 1 and readers[0].op_type == "Mul" and node.input[0] in readers[0].input:
        importer.values[node.output[0]] = Pending("gate", value, node)
        return
    importer.emit(node, {"type": "activation", "activation": "sigmoid"}, [value], layout=value.layout)


PARAMETERS: dict[str, dict[str, Any]] = {
    "LeakyRelu": {"alpha": 0.01},
    "Elu": {"alpha": 1.0},
    "Celu": {"alpha": 1.0},
    "Selu": {"alpha": 1.6732632, "gamma": 1.050701},
    "HardSigmoid": {"alpha": 0.2, "beta": 0.5},
    "Gelu": {"approximate": "none"},
    "Shrink": {"lambd": 0.5, "bias": 0.0},
}
"""ONNX's defaults of each parametrised activation."""


def _parametrised_activation(importer: Importer, node: Any) -> None:
    """Activations with parameters: only Keras' own values of them are a spec activation."""
    value = importer.value(node.input[0])
    op = node.op_type
    given = {
        key: shortest(v) if isinstance(v, float) else text(v)
        for key, v in attributes_of(importer, node).items()
    }
    p = PARAMETERS[op] | given
    fields: dict[str, Any]
    if op == "LeakyRelu":
        alpha = shortest(p["alpha"])
        fields = (
            {"type": "activation", "activation": "leaky_relu"}
            if alpha == 0.2
            else {"type": "leakyrelu", "negative_slope": alpha}
        )
    elif op in ("Elu", "Celu") and p["alpha"] == 1.0:
        fields = {"type": "activation", "activation": op.lower()}
    elif op == "Selu" and np.allclose([p["alpha"], p["gamma"]], [1.6732632, 1.050701]):
        fields = {"type": "activation", "activation": "selu"}
    elif op == "HardSigmoid" and np.allclose([p["alpha"], p["beta"]], [1 / 6, 0.5]):
        fields = {"type": "activation", "activation": "hard_sigmoid"}
    elif op == "Gelu" and p["approximate"] == "none":
        fields = {"type": "activation", "activation": "gelu"}
    elif op == "Shrink" and p["lambd"] == 0.5 and p["bias"] in (0.0, 0.5):
        fields = {"type": "activation", "activation": "soft_shrink" if p["bias"] else "hard_shrink"}
    else:
        values = ", ".join(f"{key} {number}" for key, number in p.items())
        keras = " (Keras 3's hard_sigmoid is alpha 1/6, beta 0.5)" if op == "HardSigmoid" else ""
        raise Unsupported(f"{op} with {values} is none of Keras' activations{keras}")
    importer.emit(node, fields, [value], layout=value.layout)


def _clip(importer: Importer, node: Any) -> None:
    """``Clip(0, 6)`` is ``relu6``, ``Clip(0, m)`` a ``relu`` with a ceiling, ``Clip(−1, 1)``
    ``hard_tanh``."""
    value = importer.value(node.input[0])
    bounds: list[float | None] = []
    for index in (1, 2):
        if len(node.input) > index and node.input[index]:
            found = importer.constant(node.input[index])
            if found is None:
                raise Unsupported("its bounds are computed")
            bounds.append(shortest(float(found)))
        else:
            bounds.append(None)
    low, high = bounds
    fields: dict[str, Any]
    if (low, high) == (0.0, 6.0):
        fields = {"type": "activation", "activation": "relu6"}
    elif (low, high) == (-1.0, 1.0):
        fields = {"type": "activation", "activation": "hard_tanh"}
    elif low == 0.0:
        fields = {"type": "relu"} if high is None else {"type": "relu", "max_value": high}
    else:
        raise Unsupported(f"Clip({low}, {high}): the spec clips at 0 below (ReLU), or to [−1, 1]")
    importer.emit(node, fields, [value], layout=value.layout)


def _prelu(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    slope = importer.weight(node.input[1])
    shape = importer.shapes.get(value.layer)
    if slope is None or shape is None:
        raise Unsupported("its slope is not an initialiser")
    dims = list(slope.dims)
    dims = [1] * (len(shape) - len(dims)) + dims  # ONNX broadcasts from the right
    if value.layout != importer.natural(value) or len(dims) != len(shape):
        raise Unsupported(f"a slope of shape {list(slope.dims)} for {value.layer} in {value.layout} order")
    shared = [axis + 1 for axis, (d, n) in enumerate(zip(dims, shape, strict=True)) if d == 1 and n != 1]
    if any(d not in (1, n) for d, n in zip(dims, shape, strict=True)):
        raise Unsupported(f"a slope of shape {list(slope.dims)} does not fit {list(shape)}")
    fields = {"type": "prelu", "shared_axes": shared or None}
    importer.emit(node, fields, [value], layout=value.layout, weights=[node.input[1]])


def _softmax(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    rank = importer.rank(value)
    axis = attributes_of(importer, node).get("axis", -1) % rank
    spec_axis = _spec_axis(axis, value.layout, importer.data_format)
    last = spec_axis == rank - 2
    if node.op_type == "LogSoftmax":
        if not last:
            raise Unsupported("log-softmax along another axis than the last")
        fields: dict[str, Any] = {"type": "activation", "activation": "log_softmax"}
    else:
        fields = (
            {"type": "activation", "activation": "softmax"}
            if last
            else {"type": "softmax", "axis": spec_axis + 1}
        )
    importer.emit(node, fields, [value], layout=value.layout)


def _dropout(importer: Importer, node: Any) -> None:
    value = importer.value(node.input[0])
    if len(node.input) > 2 and node.input[2]:
        training = importer.constant(node.input[2])
        if training is None or bool(training):
            raise Unsupported("dropout in training mode")
    rate = 0.5
    if len(node.input) > 1 and node.input[1]:
        found = importer.constant(node.input[1])
        if found is None:
            raise Unsupported("its ratio is computed")
        rate = shortest(float(found))
    elif "ratio" in attributes_of(importer, node):
        rate = shortest(attributes_of(importer, node)["ratio"])
    importer.emit(node, {"type": "dropout", "rate": rate}, [value], layout=value.layout)


def _identity(importer: Importer, node: Any) -> None:
    """An alias of an initialiser or constant (PyTorch shares equal weights so), else a layer."""
    source = node.input[0]
    if importer.weight(source) is not None:
        importer.aliases[node.output[0]] = importer.aliases.get(source, source)
        return
    if source in importer.constants:
        importer.constants[node.output[0]] = importer.constants[source]
        return
    value = importer.value(source)
    importer.emit(node, {"type": "identity"}, [value], layout=value.layout)


def _constant(importer: Importer, node: Any) -> None:
    """Known from the start (see :class:`Importer`), or of a kind the spec has no use for."""
    if node.output[0] not in importer.constants:
        kinds = ", ".join(attribute.name for attribute in node.attribute)
        raise Unsupported(f"a constant given as {kinds}")


def _cast(importer: Importer, node: Any) -> None:
    """A cast of a constant (PyTorch's exporters cast bounds and scales): folded."""
    found = importer.constant(node.input[0])
    if found is None:
        value = importer.value(node.input[0])
        importer.emit(node, {"type": "identity"}, [value], layout=value.layout)
        return
    target = importer.onnx.helper.tensor_dtype_to_np_dtype(attributes_of(importer, node)["to"])
    importer.constants[node.output[0]] = found.astype(target)


def _transpose(importer: Importer, node: Any) -> None:
    """NHWC ↔ NCHW: the same layer's output in the other order, no layer."""
    value = importer.value(node.input[0])
    perm = tuple(attributes_of(importer, node).get("perm", ()))
    turns = {(0, 3, 1, 2): ("NHWC", "NCHW"), (0, 2, 3, 1): ("NCHW", "NHWC")}
    if perm not in turns or turns[perm][0] != value.layout:
        raise Unsupported(
            f"permutation {list(perm)} of {value.layer} ({value.layout}) is no change between NHWC and NCHW"
        )
    layout: Layout = turns[perm][1]  # type: ignore[assignment]
    importer.values[node.output[0]] = Value(value.layer, layout)
    importer.available.setdefault(value.layer, {})[layout] = node.output[0]


def _pad(importer: Importer, node: Any) -> None:
    """Zeros: ``zeropad2d``. Reflect or edge: held for the convolution or pool that reads it."""
    value = importer.value(node.input[0])
    attributes = attributes_of(importer, node)
    mode = text(attributes.get("mode", "constant"))
    amounts = (
        importer.constant(node.input[1]) if len(node.input) > 1 else np.asarray(attributes.get("pads", []))
    )
    if amounts is None:
        raise Unsupported("its pads are computed")
    pads = [int(p) for p in amounts.tolist()]
    if len(node.input) > 2 and node.input[2]:
        fill = importer.constant(node.input[2])
        if fill is None or np.any(fill != 0):
            raise Unsupported("it pads with a value other than 0")
    if len(node.input) > 3 and node.input[3]:
        raise Unsupported("it pads chosen axes")
    rank = importer.rank(value)
    spatial = (2, 3) if value.layout == "NCHW" else (1, 2)
    if (
        len(pads) != 2 * rank
        or any(p < 0 for p in pads)
        or any(pads[a] or pads[a + rank] for a in range(rank) if a not in spatial)
    ):
        raise Unsupported(f"pads {pads}; the spec pads the height and width of a feature map")
    padding = ((pads[spatial[0]], pads[spatial[0] + rank]), (pads[spatial[1]], pads[spatial[1] + rank]))
    if mode == "constant":
        importer.emit(node, {"type": "zeropad2d", "padding": padding}, [value], layout=value.layout)
        return
    readers = importer.consumers.get(node.output[0], [])
    spec_mode = {"reflect": "reflect", "edge": "replicate"}.get(mode)
    if spec_mode is None:
        raise Unsupported(f"{mode} padding")
    if (
        value.layout != "NCHW"
        or len(readers) != 1
        or readers[0].op_type not in ("Conv", "MaxPool", "AveragePool")
    ):
        raise Unsupported(
            f"{mode} padding exists in the spec only as the padding of the one convolution or pool reading it"
        )
    importer.values[node.output[0]] = Pending("pad", value, node, {"pads": padding, "mode": spec_mode})


def _slice(importer: Importer, node: Any) -> None:
    """Cutting rows and columns off a feature map: ``cropping2d``."""
    value = importer.value(node.input[0])
    numbers = [importer.constant(name) if name else None for name in node.input[1:]]
    if any(n is None for n in numbers[:2]) or (
        len(numbers) > 3 and numbers[3] is not None and np.any(numbers[3] != 1)
    ):
        raise Unsupported("its bounds are computed, or it steps")
    starts, ends = (n.tolist() for n in numbers[:2])  # type: ignore[union-attr]
    rank = importer.rank(value)
    axes = numbers[2].tolist() if len(numbers) > 2 and numbers[2] is not None else list(range(len(starts)))
    height, width, _ = importer.spatial(value)
    sizes = {2: height, 3: width} if value.layout == "NCHW" else {1: height, 2: width}
    crops = dict.fromkeys(sizes, (0, 0))
    for given, first, last in zip(axes, starts, ends, strict=True):
        axis = given % rank
        if axis not in sizes:
            raise Unsupported("it slices another axis than a feature map's height and width")
        size = sizes[axis]
        begin = min(max(first + size if first < 0 else first, 0), size)
        stop = min(max(last + size if last < 0 else last, 0), size)
        crops[axis] = (begin, size - stop)
    rows, cols = (crops[axis] for axis in sorted(sizes))
    importer.emit(node, {"type": "cropping2d", "cropping": (rows, cols)}, [value], layout=value.layout)


def _resize(importer: Importer, node: Any) -> None:
    """Whole-number scales of height and width: ``upsampling2d``, interpolating as Keras does."""
    value = importer.value(node.input[0])
    importer.needs(value, "NCHW", "Resize")
    attributes = attributes_of(importer, node)
    height, width, channels = importer.spatial(value)
    scales = importer.constant(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if scales is not None and scales.size:
        factors = [float(s) for s in scales.tolist()]
    else:
        sizes = importer.constant(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        if sizes is None:
            raise Unsupported("its scales and sizes are computed")
        factors = [n / d for n, d in zip(sizes.tolist(), [1, channels, height, width], strict=True)]
    if factors[:2] != [1.0, 1.0] or any(f != int(f) or f < 1 for f in factors[2:]):
        raise Unsupported(f"scales {factors}: the spec upsamples height and width by whole numbers")
    mode = text(attributes.get("mode", "nearest"))
    transform = text(attributes.get("coordinate_transformation_mode", "half_pixel"))
    if mode == "nearest" and transform in (
        "asymmetric",
        "half_pixel",
        "pytorch_half_pixel",
        "tf_half_pixel_for_nn",
    ):
        interpolation = "nearest"
    elif mode == "linear" and transform in ("half_pixel", "pytorch_half_pixel"):
        interpolation = "bilinear"
    elif (
        mode == "cubic"
        and transform in ("half_pixel", "pytorch_half_pixel")
        and attributes.get("cubic_coeff_a", -0.75) == -0.5
    ):
        interpolation = "bicubic"
    else:
        raise Unsupported(f"{mode} resizing with {transform} coordinates is none of Keras' interpolations")
    fields = {"type": "upsampling2d", "size": [int(f) for f in factors[2:]], "interpolation": interpolation}
    importer.emit(node, fields, [value], layout="NCHW")


def _unsupported(reason: str) -> Callable[[Importer, Any], None]:
    def handler(importer: Importer, node: Any) -> None:
        raise Unsupported(reason)

    return handler


HANDLERS: dict[str, Callable[[Importer, Any], None]] = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "MaxPool": _pool,
    "AveragePool": _pool,
    "GlobalAveragePool": _global_pool,
    "GlobalMaxPool": _global_pool,
    "ReduceMean": _reduce,
    "ReduceMax": _reduce,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _arithmetic,
    "Sub": _arithmetic,
    "Mul": _arithmetic,
    "Div": _arithmetic,
    "Sum": _variadic,
    "Mean": _variadic,
    "Max": _variadic,
    "Min": _variadic,
    "Concat": _concat,
    "BatchNormalization": _batchnorm,
    "LayerNormalization": _layernorm,
    "Relu": _activation,
    "Tanh": _activation,
    "Softplus": _activation,
    "Softsign": _activation,
    "Mish": _activation,
    "Exp": _activation,
    "HardSwish": _activation,
    "Sigmoid": _sigmoid,
    "LeakyRelu": _parametrised_activation,
    "Elu": _parametrised_activation,
    "Celu": _parametrised_activation,
    "Selu": _parametrised_activation,
    "HardSigmoid": _parametrised_activation,
    "Gelu": _parametrised_activation,
    "Shrink": _parametrised_activation,
    "Clip": _clip,
    "PRelu": _prelu,
    "Softmax": _softmax,
    "LogSoftmax": _softmax,
    "Dropout": _dropout,
    "Identity": _identity,
    "Constant": _constant,
    "Cast": _cast,
    "Transpose": _transpose,
    "Pad": _pad,
    "Slice": _slice,
    "Resize": _resize,
    "Loop": _unsupported(
        "control flow (a loop) has no spec form: cnncalc reads networks without loops or branches"
    ),
    "If": _unsupported(
        "control flow (a branch) has no spec form: cnncalc reads networks without loops or branches"
    ),
    "Scan": _unsupported(
        "control flow (a scan) has no spec form: cnncalc reads networks without loops or branches"
    ),
}
"""How each ONNX operation becomes a spec layer (or a view, an alias, a constant)."""
