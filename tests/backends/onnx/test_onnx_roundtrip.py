"""Every example (and zoo) spec through ONNX and back: exported, checked by ``onnx.checker`` in full,
imported again it is the same network; and ONNX Runtime, running the export, gives every layer the
engine's shape (``crosscheck --engine onnxruntime``)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

import cnncalc
from cnncalc.backends.onnx.convert import import_onnx
from cnncalc.backends.onnx.crosscheck import crosscheck
from cnncalc.backends.onnx.export import ExportRefusal, onnx_bytes, to_onnx
from cnncalc.errors import CnncalcError
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.onnx

NETWORK = ("name", "input", "data_format", "layers", "outputs")
"""What an ONNX model holds of a spec: not the linter's settings (``num_classes``, ``lint``)."""

REFUSED = {
    # LeCun et al.'s 1998 layers: scaled tanh, trainable subsampling, a connections table, RBF units
    "lenet5_1998.yaml": {"C1", "S2", "C3", "S4", "C5", "F6", "output"},
}
"""Examples with layers ONNX has no operation for, and those layers."""

FIRST_REFUSED = {"lenet5_1998.yaml": {"C1"}}
"""The first of them on each path: the cross-check does not run the layers after it."""


def _files() -> list[object]:
    cases: list[object] = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        analysis = cnncalc.analyze(path)
        marks = [pytest.mark.slow] if analysis.total_params > 10_000_000 else []
        cases.append(pytest.param(path, marks=marks, id=str(path.relative_to(EXAMPLES))))
    return cases


FILES = _files()


@pytest.mark.parametrize("path", FILES)
def test_spec_to_onnx_to_spec_is_the_identity(onnx: ModuleType, path: Path, tmp_path: Path) -> None:
    analysis = cnncalc.analyze(path)
    if not analysis.ok:
        with pytest.raises(CnncalcError, match="it has errors"):
            to_onnx(analysis)
        return
    if path.name in REFUSED:
        with pytest.raises(ExportRefusal) as refusal:
            to_onnx(analysis)
        assert {problem.split(" ")[0] for problem in refusal.value.problems} == REFUSED[path.name]
        return
    file = tmp_path / "model.onnx"
    file.write_bytes(onnx_bytes(analysis))  # checked by onnx.checker.check_model(full_check=True)
    back = import_onnx(file)
    for field in NETWORK:
        assert getattr(back, field) == getattr(analysis.spec, field), field
    assert cnncalc.analyze(back).total_params == analysis.total_params


@pytest.mark.parametrize("path", FILES)
def test_onnx_runtime_gives_every_layer_the_engines_shape(onnx: ModuleType, path: Path) -> None:
    result = crosscheck(path)
    refused = REFUSED.get(path.name, set())
    assert {refusal.name for refusal in result.refusals} == FIRST_REFUSED.get(path.name, set())
    ran = [layer for layer in result.layers if layer.shape is not None]
    assert all(layer.ok for layer in ran), [
        (c.record.name, c.record.output_shape, c.shape) for c in ran if not c.ok
    ]
    if not refused:
        assert result.ok
        assert len(ran) == sum(1 for record in result.analysis.layers if record.output_shape is not None)


def test_weights_are_drawn_as_keras_draws_them(onnx: ModuleType) -> None:
    """Glorot uniform kernels within ±√(6 / (fan_in + fan_out)), zero biases; batch norm's γ and
    moving variance ones, β and moving mean zeros (Keras' defaults)."""
    import numpy as np

    spec = {
        "input": [8, 8, 3],
        "layers": [
            {"type": "conv2d", "filters": 4, "kernel_size": 3, "name": "c"},
            {"type": "batchnorm", "name": "b"},
        ],
    }
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in to_onnx(spec).graph.initializer}
    limit = (6 / (3 * 3 * 3 + 3 * 3 * 4)) ** 0.5  # fans of a (3, 3, 3, 4) kernel: 27 and 36
    assert weights["c/kernel"].shape == (4, 3, 3, 3)  # ONNX's (filters, channels, kh, kw)
    assert 0 < np.abs(weights["c/kernel"]).max() <= limit
    assert not weights["c/bias"].any()
    assert (weights["b/gamma"] == 1).all() and (weights["b/moving_variance"] == 1).all()
    assert not weights["b/beta"].any() and not weights["b/moving_mean"].any()


def test_a_ceil_mode_window_that_starts_in_the_right_padding_is_dropped(onnx: ModuleType) -> None:
    # Found by the generated test. Width 7, pads 1 + 1, window 2, stride 2, ceil_mode: ceil((7 + 2 - 2)/2) + 1
    # = 5 windows, but the 5th would start at 4·2 − 1 = 7, past the input's last cell (6): in the right
    # padding, so PyTorch keeps 4. ONNX Runtime's MaxPool keeps 5 on its own pads: the export slices.
    # Height 6: ceil((6 + 2 - 2)/2) + 1 = 4, the 4th starting at 3·2 − 1 = 5, in the input: 4 kept.
    spec = {
        "input": [6, 7, 1],
        "layers": [
            {
                "type": "maxpool2d",
                "pool_size": 2,
                "padding": 1,
                "ceil_mode": True,
                "count_include_pad": False,
            },
            {"type": "flatten"},
        ],
    }
    result = crosscheck(spec)
    assert [layer.shape for layer in result.layers] == [(4, 4, 1), (16,)]
    assert result.ok
