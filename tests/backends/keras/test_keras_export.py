"""``cnncalc export --to keras``: readable standalone scripts that build exactly the spec and train."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest

import cnncalc
from cnncalc.backends.keras.plan import refusal
from cnncalc.errors import CnncalcError
from cnncalc.export import export
from tests.backends.keras.specs import network_only

ROOT = Path(__file__).resolve().parents[3]
VALID = [
    path
    for path in sorted((ROOT / "examples").glob("*.yaml"))
    if cnncalc.analyze(path).ok and not any(refusal(layer) for layer in cnncalc.load(path).layers)
]


def test_the_script_is_in_the_articles_style() -> None:
    code = export(ROOT / "examples" / "lenet5.yaml", "keras")
    assert isinstance(code, str)
    compile(code, "model.py", "exec")
    assert '    model = Sequential(name="lenet5")\n    model.add(keras.Input(shape=(32, 32, 1)))\n' in code
    assert '    model.add(Conv2D(filters=6, kernel_size=5, activation="tanh", name="conv2d"))\n' in code
    assert '    model.add(AveragePooling2D(pool_size=2, name="average_pooling2d"))\n' in code
    assert "from_logits=False" in code  # a softmax head
    assert "images = np.pad(images, ((0, 0), (2, 2), (2, 2)))  # centred: 28×28 → 32×32" in code
    assert "class Padding2D" not in code


def test_writing_a_script_imports_no_tensorflow() -> None:
    probe = (
        "import sys; from cnncalc.export import export; "
        "export('examples/replicate_padding.yaml', 'keras'); "
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
    spec = {
        "name": "rgb",
        "input": [32, 32, 3],
        "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}],
    }
    code = export(spec, "keras")
    assert isinstance(code, str)
    compile(code, "model.py", "exec")
    assert "def main():\n    build_model().summary()\n" in code
    assert "has 3 channels; MNIST digits have 1" in code
    assert "model.fit" not in code


@pytest.fixture
def keras_registry(keras: ModuleType) -> Iterator[None]:
    """Undo the registrations an exported script makes (its own copy of Padding2D)."""
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
def test_the_script_builds_exactly_the_spec(bridge: SimpleNamespace, path: Path, tmp_path: Path) -> None:
    script = tmp_path / f"{path.stem}_model.py"
    script.write_text(str(export(path, "keras")))
    model = load_script(script).build_model()
    assert bridge.convert.from_model(model) == network_only(cnncalc.load(path))


@pytest.mark.keras
@pytest.mark.slow
def test_the_script_trains_on_mnist(tmp_path: Path) -> None:
    from cnncalc.data.mnist import load_mnist

    data = load_mnist("sample")
    npz = tmp_path / "mnist.npz"
    np.savez(
        npz, x_train=data.x_train[:640], y_train=data.y_train[:640], x_test=data.x_test, y_test=data.y_test
    )
    script = tmp_path / "model.py"
    script.write_text(str(export(ROOT / "examples" / "replicate_padding.yaml", "keras")))
    result = subprocess.run(
        [sys.executable, str(script), "--epochs", "1", "--data", str(npz)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert 'Model: "replicate_padding"' in result.stdout
    accuracy = float(result.stdout.rsplit("test accuracy: ", 1)[1].split(",")[0])
    assert accuracy > 0.3  # one epoch on 640 digits; chance is 0.1
