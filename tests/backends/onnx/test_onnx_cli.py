"""The ONNX commands: export --to onnx, import-onnx, check model.onnx, crosscheck --engine onnxruntime;
bad files get one clear message and exit 2; a missing extra says what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.onnx
LENET = str(EXAMPLES / "lenet5.yaml")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.output


def _model(onnx: ModuleType, nodes: list[Any], opset: int = 17, initializers: list[Any] | None = None) -> Any:
    helper, proto = onnx.helper, onnx.TensorProto
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", proto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info(nodes[-1].output[0], proto.FLOAT, [1, 3, 8, 8])],
        initializers or [],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def test_export_writes_a_checked_model_and_never_over_a_file(onnx: ModuleType, tmp_path: Path) -> None:
    output = tmp_path / "lenet5.onnx"
    code, text = run("export", LENET, "--to", "onnx", "-o", str(output))
    assert code == 0, text
    model = onnx.load(str(output))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version >= 17
    assert sum(int(np.prod(t.dims)) for t in model.graph.initializer) == 61_706  # LeNet-5's parameters
    code, text = run("export", LENET, "--to", "onnx", "-o", str(output))
    assert code == 2 and "already exists; pass --force" in text
    code, text = run("export", LENET, "--to", "onnx")
    assert code == 2 and "writes a binary file" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lenet5.onnx"]  # no temporary file left


def test_import_onnx_writes_the_spec_back(tmp_path: Path) -> None:
    model, spec = tmp_path / "m.onnx", tmp_path / "m.yaml"
    assert run("export", str(EXAMPLES / "channels_first.yaml"), "--to", "onnx", "-o", str(model))[0] == 0
    code, text = run("import-onnx", str(model), "-o", str(spec))
    assert code == 0, text
    original, back = cnncalc.load(EXAMPLES / "channels_first.yaml"), cnncalc.load(spec)
    assert (back.input, back.data_format, back.layers) == (
        original.input,
        original.data_format,
        original.layers,
    )
    assert spec.read_text().startswith(
        "# Imported from m.onnx by cnncalc import-onnx.\nname: channels_first\n"
    )
    code, text = run("import-onnx", str(model), "-o", str(spec))
    assert code == 2 and "already exists" in text


def test_check_reads_an_onnx_model_directly(tmp_path: Path) -> None:
    model = tmp_path / "lenet5.onnx"
    run("export", LENET, "--to", "onnx", "-o", str(model))
    code, text = run("check", str(model), LENET)
    assert code == 0, text
    assert text.count("Total params: 61,706") == 2


def test_crosscheck_with_onnx_runtime() -> None:
    code, text = run("crosscheck", "--engine", "onnxruntime", LENET)
    assert code == 0, text
    assert "cnncalc vs ONNX Runtime" in text
    assert "✓ cnncalc and ONNX Runtime agree on all 8 layers" in text
    code, text = run("crosscheck", "--engine", "onnxruntime", str(EXAMPLES / "error_kernel_too_large.yaml"))
    assert code == 1  # the spec has an error: reported, and the layers before it agree
    assert "cnncalc: error CNN101 conv3" in text


def _bad_files(onnx: ModuleType, folder: Path) -> dict[str, tuple[Path, str]]:
    """Each bad file and the message it must get."""
    good = folder / "good.onnx"
    run("export", LENET, "--to", "onnx", "-o", str(good))
    truncated = folder / "truncated.onnx"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    text = folder / "notes.onnx"
    text.write_text("name: not a model\n")
    helper = onnx.helper
    old = folder / "old.onnx"
    onnx.save(_model(onnx, [helper.make_node("Relu", ["x"], ["y"])], opset=9), str(old))
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond"], ["cond_out"]), helper.make_node("Relu", ["v"], ["v_out"])],
        "body",
        [
            helper.make_tensor_value_info(n, t, s)
            for n, t, s in (
                ("i", onnx.TensorProto.INT64, []),
                ("cond", onnx.TensorProto.BOOL, []),
                ("v", onnx.TensorProto.FLOAT, None),
            )
        ],
        [
            helper.make_tensor_value_info(n, t, s)
            for n, t, s in (("cond_out", onnx.TensorProto.BOOL, []), ("v_out", onnx.TensorProto.FLOAT, None))
        ],
    )
    loop = folder / "loop.onnx"
    trip = onnx.numpy_helper.from_array(np.asarray(3, np.int64), "trip")
    keep = onnx.numpy_helper.from_array(np.asarray(True), "keep")
    nodes = [helper.make_node("Loop", ["trip", "keep", "x"], ["y"], name="repeat", body=body)]
    onnx.save(_model(onnx, nodes, initializers=[trip, keep]), str(loop))
    return {
        "truncated": (
            truncated,
            "not an ONNX model: it does not parse as one (a truncated file, or another format)",
        ),
        "text": (text, "not an ONNX model: it does not parse as one"),
        "opset": (old, "the model uses ONNX opset 9; cnncalc reads opsets 13 to"),
        "loop": (loop, "node 'repeat' (Loop): control flow (a loop) has no spec form"),
        "missing": (folder / "absent.onnx", "absent.onnx: no such file"),
    }


@pytest.mark.parametrize("kind", ["truncated", "text", "opset", "loop", "missing"])
def test_bad_files_get_one_clear_message_and_exit_2(onnx: ModuleType, tmp_path: Path, kind: str) -> None:
    path, message = _bad_files(onnx, tmp_path)[kind]
    for command in (["import-onnx", str(path)], ["check", str(path)]):
        code, text = run(*command)
        assert code == 2, text
        assert message in text
        assert "Traceback" not in text
        assert text.count("error") == 1, text


def test_everything_a_model_cannot_express_is_listed_at_once(onnx: ModuleType, tmp_path: Path) -> None:
    helper = onnx.helper
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="fine"),
        helper.make_node("HardSigmoid", ["a"], ["b"], name="keras2_sigmoid"),  # ONNX's default slope 0.2
        helper.make_node("LpNormalization", ["b"], ["c"], name="lp"),
        helper.make_node("Clip", ["c", "low", "high"], ["d"], name="clip"),
    ]
    bounds = [
        onnx.numpy_helper.from_array(np.asarray(v, np.float32), n) for n, v in (("low", -2.0), ("high", 2.0))
    ]
    path = tmp_path / "odd.onnx"
    onnx.save(_model(onnx, nodes, initializers=bounds), str(path))
    code, text = run("import-onnx", str(path))
    assert code == 2
    assert f"error: cannot import {path} as a cnncalc spec: node 'keras2_sigmoid' (HardSigmoid): " in text
    assert "HardSigmoid with alpha 0.2, beta 0.5 is none of" in text
    assert "; node 'lp' (LpNormalization): no spec layer does what this operation does" in text
    assert "node 'clip' (Clip)" not in text  # it reads a layer already reported


def test_a_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "onnx", None)  # any `import onnx` now fails
    for command in (
        ["import-onnx", str(model)],
        ["check", str(model)],
        ["export", LENET, "--to", "onnx", "-o", str(tmp_path / "x.onnx")],
    ):
        code, text = run(*command)
        assert code == 2
        assert (
            "this needs ONNX and ONNX Runtime, but onnx is not installed: pip install 'cnncalc[onnx]'" in text
        )


def test_check_never_imports_onnx() -> None:
    code = "from cnncalc.cli import main; sys.argv = ['cnncalc', 'check', 'examples/lenet5.yaml']\ntry:\n    main()\nexcept SystemExit:\n    pass"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {{'onnx', 'onnxruntime', 'torch'}}))",
        ],
        capture_output=True,
        text=True,
        cwd=EXAMPLES.parent,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_export_lists_every_layer_onnx_cannot_express(tmp_path: Path) -> None:
    spec = tmp_path / "odd.yaml"
    spec.write_text(
        "input: [8, 8, 2]\n"
        "layers:\n"
        "  - {type: upsampling2d, interpolation: lanczos3, name: up}\n"
        "  - {type: conv2d, filters: 2, kernel_size: 3, activation: sparsemax, name: conv}\n"
        "  - {type: adaptiveavgpool2d, output_size: 3, name: pool}\n"
    )
    code, text = run("export", str(spec), "--to", "onnx", "-o", str(tmp_path / "odd.onnx"))
    assert code == 2
    assert (
        f"error: cannot export {spec} to ONNX: up (UpSampling2D): ONNX's Resize has no lanczos3 interpolation; "
        in text
    )
    assert "; conv (Conv2D): activation sparsemax: ONNX has no operation for it; " in text
    assert (
        "; pool (AdaptiveAveragePooling2D): output_size [3, 3] does not divide the input's height and width"
        in text
    )
    assert not (tmp_path / "odd.onnx").exists()
