"""Generated graphs against ONNX Runtime: residual additions, concatenations, squeeze-and-excitation
gates, depthwise-separable stacks, transposed convolutions, PyTorch's pooling options, in both data
formats. For each network:

- ONNX Runtime, running the export, gives every layer the engine's shape;
- the export imports back to the same network (through the layers' metadata);
- without that metadata, the importer translates the nodes one by one, as for any framework's model:
  ONNX Runtime running that model gives each imported layer the engine's shape, with the same total
  parameters.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.backends.onnx.convert import from_model, import_graph
from cnncalc.backends.onnx.crosscheck import crosscheck
from cnncalc.backends.onnx.export import to_onnx
from tests.backends.onnx.ort_shapes import runtime_shapes

pytestmark = [pytest.mark.onnx, pytest.mark.slow]

NETWORKS_PER_RUN = 300
ACTIVATIONS = [
    "linear",
    "relu",
    "relu6",
    "sigmoid",
    "tanh",
    "swish",
    "hard_sigmoid",
    "hard_silu",
    "elu",
    "leaky_relu",
    "gelu",
]


class Network:
    """A spec being drawn, its current shape read from the engine as it grows."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
        height, width, channels = draw(st.integers(6, 20)), draw(st.integers(6, 20)), draw(st.integers(1, 4))
        first = self.data_format == "channels_first"
        self.input = [channels, height, width] if first else [height, width, channels]
        self.layers: list[dict[str, Any]] = []

    def spec(self) -> dict[str, Any]:
        return {"input": self.input, "data_format": self.data_format, "layers": self.layers}

    def add(self, layer: dict[str, Any]) -> str:
        name = f"l{len(self.layers)}"
        self.layers.append({**layer, "name": name})
        return name

    def last(self) -> str:
        return self.layers[-1]["name"] if self.layers else "input"

    def shape(self) -> tuple[int, ...]:
        if not self.layers:
            return tuple(self.input)
        shape = cnncalc.analyze(self.spec()).layers[-1].output_shape
        assert shape is not None
        return shape

    def hwc(self) -> tuple[int, int, int]:
        shape = self.shape()
        return (
            (shape[1], shape[2], shape[0])
            if self.data_format == "channels_first"
            else (shape[0], shape[1], shape[2])
        )


def _conv(net: Network, filters: int | None = None, **fixed: Any) -> str:
    draw = net.draw
    height, width, _ = net.hwc()
    kernel = draw(st.sampled_from([1, 3])) if min(height, width) >= 3 else 1
    padding = draw(st.sampled_from(["same", "same", "valid", 1])) if kernel == 3 else "valid"
    mode = (
        draw(st.sampled_from(["zeros", "zeros", "replicate", "reflect"])) if padding != "valid" else "zeros"
    )
    strides = draw(st.sampled_from([1, 1, 2])) if min(height, width) >= 8 else 1
    layer = {
        "type": "conv2d",
        "filters": filters or draw(st.integers(1, 8)),
        "kernel_size": kernel,
        "strides": strides,
        "padding": padding,
        "padding_mode": mode,
        "use_bias": draw(st.booleans()),
        "activation": draw(st.sampled_from(ACTIVATIONS)),
    }
    return net.add(layer | fixed)


def _residual(net: Network) -> None:
    start = net.last()
    channels = net.hwc()[2]
    _conv(net, channels, kernel_size=3, strides=1, padding="same")
    net.add({"type": "batchnorm", "scale": net.draw(st.booleans())})
    net.add({"type": "add", "inputs": [start, net.last()]})
    net.add({"type": "activation", "activation": "relu"})


def _concatenate(net: Network) -> None:
    start = net.last()
    left = net.add(
        {"type": "conv2d", "filters": net.draw(st.integers(1, 4)), "kernel_size": 1, "inputs": start}
    )
    right = net.add(
        {
            "type": "conv2d",
            "filters": net.draw(st.integers(1, 4)),
            "kernel_size": 3,
            "padding": "same",
            "inputs": start,
        }
    )
    net.add({"type": "concatenate", "inputs": [left, right]})


def _squeeze_excite(net: Network) -> None:
    start = net.last()
    channels = net.hwc()[2]
    if net.draw(st.booleans()):  # EfficientNet's: 1×1 convolutions on a kept 1×1 map
        net.add({"type": "globalavgpool2d", "keepdims": True})
        net.add({"type": "conv2d", "filters": max(1, channels // 2), "kernel_size": 1, "activation": "swish"})
        gate = net.add({"type": "conv2d", "filters": channels, "kernel_size": 1, "activation": "sigmoid"})
    else:  # dense layers, then a reshape to 1×1
        net.add({"type": "globalavgpool2d"})
        net.add({"type": "dense", "units": max(1, channels // 2), "activation": "relu"})
        net.add({"type": "dense", "units": channels, "activation": "sigmoid"})
        shape = [channels, 1, 1] if net.data_format == "channels_first" else [1, 1, channels]
        gate = net.add({"type": "reshape", "target_shape": shape})
    net.add({"type": "multiply", "inputs": [start, gate]})


def _separable(net: Network) -> None:
    if net.draw(st.booleans()):
        net.add(
            {
                "type": "depthwiseconv2d",
                "kernel_size": 3,
                "padding": "same",
                "depth_multiplier": net.draw(st.integers(1, 2)),
                "use_bias": False,
            }
        )
        net.add({"type": "batchnorm"})
        net.add({"type": "relu", "max_value": 6.0})
        net.add({"type": "conv2d", "filters": net.draw(st.integers(1, 8)), "kernel_size": 1})
    else:
        net.add(
            {
                "type": "separableconv2d",
                "filters": net.draw(st.integers(1, 8)),
                "kernel_size": 3,
                "padding": "same",
                "activation": "relu",
            }
        )


def _transposed(net: Network) -> None:
    draw = net.draw
    strides = draw(st.integers(1, 2))
    layer = {
        "type": "conv2dtranspose",
        "filters": draw(st.integers(1, 6)),
        "kernel_size": draw(st.integers(1, 4)),
        "strides": strides,
        "padding": draw(st.sampled_from(["valid", "same"])),
    }
    if draw(st.booleans()):
        layer["output_padding"] = draw(st.integers(0, strides - 1))
    net.add(layer)


def _pool(net: Network) -> None:
    draw = net.draw
    height, width, _ = net.hwc()
    size = draw(st.integers(2, 3))
    if min(height, width) < size + 2:
        return
    layer: dict[str, Any] = {
        "type": draw(st.sampled_from(["maxpool2d", "avgpool2d"])),
        "pool_size": size,
        "strides": draw(st.integers(1, size)),
    }
    form = draw(st.sampled_from(["valid", "same", "explicit"]))
    if form == "explicit":
        layer |= {"padding": 1, "count_include_pad": draw(st.booleans())}
    else:
        layer["padding"] = form
    if form != "same":
        layer["ceil_mode"] = draw(st.booleans())
    net.add(layer)


def _resampling(net: Network) -> None:
    draw = net.draw
    height, width, _ = net.hwc()
    choice = draw(st.sampled_from(["up", "pad", "crop", "adaptive"]))
    if choice == "up" and max(height, width) <= 16:
        net.add(
            {
                "type": "upsampling2d",
                "size": draw(st.integers(1, 2)),
                "interpolation": draw(st.sampled_from(["nearest", "bilinear"])),
            }
        )
    elif choice == "pad":
        net.add({"type": "zeropad2d", "padding": draw(st.integers(0, 2))})
    elif choice == "crop" and min(height, width) > 4:
        net.add({"type": "cropping2d", "cropping": 1})
    elif choice == "adaptive" and height % 2 == 0 and width % 2 == 0:
        kind = draw(st.sampled_from(["adaptiveavgpool2d", "adaptivemaxpool2d"]))
        net.add({"type": kind, "output_size": [height // 2, width // 2]})


BLOCKS = [_conv, _residual, _concatenate, _squeeze_excite, _separable, _transposed, _pool, _resampling]


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    net = Network(draw)
    for block in draw(st.lists(st.sampled_from(BLOCKS), min_size=1, max_size=6)):
        block(net)
        if max(net.hwc()[:2]) > 40:  # keep ONNX Runtime quick
            net.add({"type": "maxpool2d", "pool_size": 2})
    if not net.layers or draw(st.booleans()):
        net.add({"type": draw(st.sampled_from(["flatten", "globalavgpool2d", "globalmaxpool2d"]))})
        net.add({"type": "dense", "units": draw(st.integers(2, 10)), "activation": "softmax"})
    return net.spec()


@settings(
    max_examples=NETWORKS_PER_RUN,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=networks())
@example(  # no convolution says the data format: the Slice's height and width axes must (found once)
    spec={
        "input": [1, 6, 6],
        "data_format": "channels_first",
        "layers": [{"type": "cropping2d", "cropping": 1}],
    }
)
def test_generated_networks_agree_with_onnx_runtime_and_come_back(
    onnx: ModuleType, spec: dict[str, Any]
) -> None:
    analysis = cnncalc.analyze(spec)
    assert analysis.ok, [d.message for d in analysis.errors]
    result = crosscheck(analysis)
    assert result.ok and not result.refusals, [
        (c.record.name, c.record.output_shape, c.shape) for c in result.mismatches
    ]
    model = to_onnx(analysis)
    back = from_model(model)
    for field in ("input", "data_format", "layers", "outputs"):
        assert getattr(back, field) == getattr(analysis.spec, field), field
    for node in model.graph.node:  # as any framework's model: no metadata
        del node.metadata_props[:]
    imported = import_graph(model)
    translated = cnncalc.analyze(imported.spec)
    assert translated.total_params == analysis.total_params
    shapes = runtime_shapes(onnx, model, imported)
    for record in translated.layers:
        assert shapes[record.name] == record.output_shape, record.name
