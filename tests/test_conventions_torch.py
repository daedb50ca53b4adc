"""The FLOP counters themselves, run on torchvision's models, against each convention on the specs.

Needs the `torch` extra (``pip install -e '.[torch]'``: a CPU PyTorch and the released tools the
conventions follow); skipped without it. The models are torchvision's, module for module
(tests/torch_models.py); what a spec cannot hold (torchvision's identity AdaptiveAvgPool2d in VGG16,
MobileNetV2's functional pooling) is accounted for as in tests/test_conventions.py.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import cnncalc
from cnncalc.cost.conventions import Convention, total_flops
from cnncalc.cost.memory import memory
from tests.test_conventions import MEASURED, NETWORKS

pytestmark = [pytest.mark.torch, pytest.mark.slow]

torch = pytest.importorskip("torch")
torch_models = pytest.importorskip("tests.torch_models")


def _quiet(count: Callable[[], Any]) -> Any:
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        return count()


def _fvcore(model: Any, x: Any) -> int:
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model, x)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    return int(analysis.total())


def _ptflops(model: Any, x: Any) -> int:
    from ptflops import get_model_complexity_info

    macs, _ = get_model_complexity_info(
        model, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=False, backend="pytorch"
    )
    return int(macs)


def _thop(model: Any, x: Any) -> int:
    from thop import profile

    ops, _ = profile(model, inputs=(x,), verbose=False)
    return int(ops)


def _torchinfo(model: Any, x: Any) -> int:
    from torchinfo import summary

    return int(summary(model, tuple(x.shape), verbose=0).total_mult_adds)


def _calflops(model: Any, x: Any) -> int:
    from calflops import calculate_flops

    flops, _, _ = calculate_flops(
        model=model,
        input_shape=tuple(x.shape),
        output_as_string=False,
        print_results=False,
        print_detailed=False,
    )
    return int(flops)


TOOLS = {
    Convention.FVCORE: _fvcore,
    Convention.PTFLOPS: _ptflops,
    Convention.THOP: _thop,
    Convention.TORCHINFO: _torchinfo,
    Convention.CALFLOPS: _calflops,
}


@pytest.mark.parametrize("network", ["resnet50", "vgg16", "mobilenet_v2"])
@pytest.mark.parametrize("convention", list(TOOLS))
def test_the_tool_prints_what_the_convention_says(network: str, convention: Convention) -> None:
    pytest.importorskip(convention.value)
    model = torch_models.MODELS[network]().eval()
    x = torch.randn(1, 3, 224, 224)
    printed = _quiet(lambda: TOOLS[convention](model, x))
    _, not_in_spec = MEASURED[network][convention]
    assert total_flops(cnncalc.analyze(NETWORKS[network]), convention) + not_in_spec == printed


def test_torchinfo_memory_matches_the_summary() -> None:
    pytest.importorskip("torchinfo")
    from torchinfo import summary

    stats = _quiet(lambda: summary(torch_models.resnet50().eval(), (2, 3, 224, 224), verbose=0))
    estimate = memory(cnncalc.analyze(NETWORKS["resnet50"]), batch_size=2).torchinfo
    assert (estimate.forward_backward_bytes, estimate.params_bytes) == (
        stats.total_output_bytes,
        stats.total_param_bytes,
    )
    # torchinfo sizes the input with sys.getsizeof of its storage (torchinfo.py 501-507): the tensor's
    # bytes and the Python object's header, a few dozen bytes that its two decimals of MB never show
    assert 0 <= stats.total_input - estimate.input_bytes < 1024
    assert round(stats.total_input / 1e6, 2) == round(estimate.input_bytes / 1e6, 2)


def test_the_models_have_torchvisions_parameters() -> None:
    counts = {name: sum(p.numel() for p in make().parameters()) for name, make in torch_models.MODELS.items()}
    assert counts == {
        "alexnet": 61_100_840,
        "vgg16": 138_357_544,
        "resnet50": 25_557_032,
        "mobilenet_v2": 3_504_872,
    }
