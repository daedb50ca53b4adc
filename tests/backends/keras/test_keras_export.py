"""``cnncalc export --to keras``: readable functional scripts (blocks as functions) that lint clean, build
exactly the spec and train on the MNIST sample offline."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

import cnncalc
from cnncalc.errors import CnncalcError
from cnncalc.export import export
from tests.backends.keras.specs import GRAPHS, ROOT, network_only, spec_files

VALID = spec_files()


def script(source: Path | dict[str, object]) -> str:
    code = export(source, "keras")
    assert isinstance(code, str)
    compile(code, "model.py", "exec")
    return code


def function(code: str, name: str) -> str:
    """The source of one top-level function of a script."""
    start = code.index(f"\ndef {name}(") + 1
    end = code.find("\n\n\n", start)
    return code[start : end if end != -1 else None]


def test_a_chain_is_written_one_layer_a_line_as_a_person_writes_it() -> None:
    code = script(ROOT / "examples" / "lenet5.yaml")
    assert function(code, "build_model") == (
        "def build_model() -> keras.Model:\n"
        '    """The network, layer by layer."""\n'
        "    inputs = keras.Input(shape=INPUT_SHAPE)\n"
        '    x = Conv2D(6, 5, activation="tanh")(inputs)\n'
        "    x = AveragePooling2D(2)(x)\n"
        '    x = Conv2D(16, 5, activation="tanh")(x)\n'
        "    x = AveragePooling2D(2)(x)\n"
        "    x = Flatten()(x)\n"
        '    x = Dense(120, activation="tanh")(x)\n'
        '    x = Dense(84, activation="tanh")(x)\n'
        '    x = Dense(10, activation="softmax")(x)\n'
        '    return keras.Model(inputs, x, name="lenet5")'
    )
    assert 'INPUT_SHAPE = (32, 32, 1)\nDATA_FORMAT = "channels_last"\nFROM_LOGITS = False\n' in code
    assert "from keras.layers import AveragePooling2D, Conv2D, Dense, Flatten\n" in code
    assert "class Padding2D" not in code


def test_a_block_is_a_function_of_its_parameters() -> None:
    code = script(GRAPHS / "resnet_stages.yaml")
    assert function(code, "bottleneck").splitlines()[:7] == [
        "def bottleneck(inputs, name, *, filters, strides=1, project=False):",
        '    """Block `bottleneck` of the spec."""',
        "    if project:",
        '        x = Conv2D(4 * filters, 1, strides=strides, name=f"{name}_0_conv")(inputs)',
        "    else:",
        "        x = inputs",
        "    if project:",
    ]
    assert '    x = Add(name=f"{name}_add")([x0_bn, x])\n' in code
    assert function(code, "build_model").splitlines()[3:7] == [
        '    x = bottleneck(inputs, "conv2_block1", filters=16, project=True)',
        '    x = bottleneck(x, "conv2_block2", filters=16)',
        '    x = bottleneck(x, "conv3_block1", filters=32, strides=2, project=True)',
        '    x = bottleneck(x, "conv3_block2", filters=32)',
    ]


def test_unnamed_blocks_nested_uses_and_merged_branches() -> None:
    code = script(ROOT / "examples" / "zoo" / "inceptionv3.yaml")
    assert function(code, "conv_bn").splitlines() == [
        'def conv_bn(inputs, *, filters, kernel, strides=1, padding="same"):',
        '    """Block `conv_bn` of the spec."""',
        "    x = Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False)(inputs)",
        "    x = BatchNormalization(scale=False)(x)",
        '    x = Activation("relu")(x)',
        "    return x",
    ]
    inception_c = function(code, "inception_c")
    assert (
        "    x = Concatenate(name=split)([b3x3_1, x])\n" in inception_c
        or "Concatenate(name=split)" in inception_c
    )
    assert "    b3x3dbl = concat([b3x3dbl_1, x])\n" in inception_c
    assert '    x = inception_c(x, mixed="mixed9", split="mixed9_0")' in code


def test_repeats_are_loops_and_whens_are_ifs() -> None:
    spec = {
        "name": "loops",
        "input": [8, 8, 4],
        "blocks": {
            "unit": {
                "params": {"filters": "required", "last": False},
                "layers": [
                    {
                        "name": "conv",
                        "type": "conv2d",
                        "filters": "$filters",
                        "kernel_size": 3,
                        "padding": "same",
                    },
                    {"name": "relu", "type": "activation", "activation": "relu", "when": "$(not last)"},
                ],
            },
            "stage": {
                "params": {"width": "required", "units": 2},
                "layers": [
                    {"block": "unit", "name": "unit{i}", "repeat": "$units", "filters": "$(width * i)"}
                ],
            },
        },
        "layers": [
            {"block": "stage", "name": "stage1", "width": 4},
            {"block": "stage", "name": "stage2", "width": 8, "units": 3},
            {"type": "globalavgpool2d"},
        ],
    }
    code = script(spec)
    assert function(code, "stage").splitlines() == [
        "def stage(inputs, name, *, width, units=2):",
        '    """Block `stage` of the spec."""',
        "    x = inputs",
        "    for i in range(1, 1 + units):",
        '        x = unit(x, f"{name}_unit{i}", filters=width * i)',
        "    return x",
    ]
    assert "    if not last:\n        x = Activation(" in function(code, "unit")


def test_scripts_lint_clean_and_are_formatted(tmp_path: Path) -> None:
    for path in VALID:
        (tmp_path / f"{path.stem}.py").write_text(script(path))
    config = ["--config", str(ROOT / "pyproject.toml")]
    for command in (["check", "--select", "E,F,W,I,B,UP"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, *config, str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_writing_a_script_imports_no_tensorflow() -> None:
    probe = (
        "import sys; from cnncalc.export import export; "
        "export('examples/replicate_padding.yaml', 'keras'); export('examples/zoo/inceptionv3.yaml', 'keras'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_spec_with_errors_is_not_exported() -> None:
    with pytest.raises(CnncalcError, match="it has errors: CNN101 kernel 5 does not fit"):
        export(ROOT / "examples" / "error_kernel_too_large.yaml", "keras")


def test_a_network_mnist_cannot_feed_gets_a_main_that_only_summarises() -> None:
    code = script(
        {"name": "rgb", "input": [32, 32, 3], "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}]}
    )
    assert "def show_summary() -> None:" in code
    assert code.endswith('if __name__ == "__main__":\n    show_summary()\n')
    assert "has 3 channels; MNIST digits have 1" in " ".join(code.split())
    assert "model.fit" not in code
    assert "import argparse" not in code


@pytest.fixture
def keras_registry(keras: ModuleType) -> Iterator[None]:
    """Undo the registrations an exported script makes (its own copies of the bridge's layers)."""
    objects = keras.saving.get_custom_objects()
    saved = dict(objects)
    yield
    objects.clear()
    objects.update(saved)


def load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.keras
@pytest.mark.usefixtures("keras_registry")
@pytest.mark.parametrize("path", VALID, ids=[path.stem for path in VALID])
def test_the_script_builds_exactly_the_spec(
    bridge: SimpleNamespace, keras: ModuleType, path: Path, tmp_path: Path
) -> None:
    target = tmp_path / f"{path.stem}_model.py"
    target.write_text(script(path))
    module = load_script(target)
    keras.utils.clear_session()  # Keras' automatic names count from zero, as when the script runs
    assert bridge.convert.from_model(module.build_model()) == network_only(cnncalc.load(path))


@pytest.mark.keras
@pytest.mark.slow
def test_the_script_trains_on_the_mnist_sample_offline(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text(script(ROOT / "examples" / "replicate_padding.yaml"))  # with its own Padding2D
    result = subprocess.run(
        [sys.executable, str(target), "--epochs", "1", "--data", "sample"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert 'Model: "replicate_padding"' in result.stdout
    accuracy = float(result.stdout.rsplit("test accuracy ", 1)[1].split("%")[0])
    assert accuracy > 50  # one epoch on the 4,000 sample digits; chance is 10%
    assert "(1000 digits)" in result.stdout


@pytest.mark.keras
def test_any_name_is_written_safely(bridge: SimpleNamespace, keras: ModuleType, tmp_path: Path) -> None:
    spec = {
        "name": 'odd """ name\\',
        "input": [8, 8, 1],
        "blocks": {
            "unit": {"layers": [{"name": 'c"{i}\\', "type": "conv2d", "filters": 2, "kernel_size": 3}]},
        },
        "layers": [
            {"type": "conv2d", "filters": 2, "kernel_size": 1, "name": "line\nbreak"},
            {"block": "unit", "name": "u{i}", "repeat": 2},
            {"type": "flatten", "name": "é\u202e"},
            {"type": "dense", "units": 10, "name": "a'b"},
        ],
    }
    target = tmp_path / "odd.py"
    target.write_text(script(spec))
    module = load_script(target)
    keras.utils.clear_session()
    assert bridge.convert.from_model(module.build_model()) == network_only(cnncalc.load(spec))
