"""Saved models: checked before TensorFlow loads, loaded in safe_mode, unloadable layers listed, cnncalc's
own layers registered with Keras on ``import cnncalc`` without importing Keras."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from cnncalc.backends.keras.files import check_model_file
from cnncalc.errors import CnncalcError

ROOT = Path(__file__).resolve().parents[3]
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"  # HDF5 File Format Specification, "Format Signature"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("model.keras", None, "model.keras: no such file"),
        ("model.txt", b"PK\x03\x04", "Keras 3 loads models saved as .keras (or legacy .h5) files"),
        ("model.keras", b"not a zip", "is not a .keras model (a zip archive), so not a saved Keras model"),
        ("model.h5", b"PK\x03\x04 a zip", "is not an HDF5 file, so not a saved Keras model"),
        ("model.keras", b"", "is not a .keras model"),
    ],
)
def test_what_keras_cannot_load_is_refused_before_it_loads(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CnncalcError, match=re.escape(message)):
        check_model_file(path)


def test_archives_pass_by_their_signature(tmp_path: Path) -> None:
    keras_file, h5, with_user_block = tmp_path / "a.keras", tmp_path / "b.h5", tmp_path / "c.hdf5"
    with zipfile.ZipFile(keras_file, "w") as archive:
        archive.writestr("config.json", "{}")
    h5.write_bytes(HDF5_SIGNATURE + bytes(100))
    with_user_block.write_bytes(bytes(512) + HDF5_SIGNATURE + bytes(100))  # a 512-byte user block first
    for path in (keras_file, h5, with_user_block):
        check_model_file(path)


def test_a_folder_and_an_unreadable_file_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CnncalcError, match="is a folder"):
        check_model_file(tmp_path)
    path = tmp_path / "model.keras"
    path.write_bytes(b"PK\x03\x04")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(CnncalcError, match=r"model\.keras: cannot be read: Permission denied"):
        check_model_file(path)


def test_a_mistyped_file_name_costs_no_tensorflow_import(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cnncalc.cli import app\n"
        "result = CliRunner().invoke(app, ['import-keras', 'modle.keras'])\n"
        "print(result.exit_code, result.output.strip())\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'h5py'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["2 error: modle.keras: no such file", "[]"]


@pytest.mark.keras
@pytest.mark.slow
def test_importing_cnncalc_registers_its_layers_with_keras_without_importing_it(tmp_path: Path) -> None:
    # A model saved with Padding2D, reloaded in a fresh process that imports cnncalc, then Keras.
    spec = ROOT / "examples" / "replicate_padding.yaml"
    model = tmp_path / "model.keras"
    subprocess.run(
        [sys.executable, "-m", "cnncalc", "export", str(spec), "--to", "keras-model", "-o", str(model)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import sys, cnncalc\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras'}))\n"
        "import keras\n"
        f"model = keras.saving.load_model({str(model)!r})\n"
        "print(type(model.get_layer('conv2d.pad')).__module__)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["[]", "cnncalc.backends.keras.layers"]


# --- files Keras cannot load -----------------------------------------------------------------


@pytest.fixture
def keras_registry(keras: ModuleType) -> Iterator[None]:
    """Undo registrations a test makes."""
    objects = keras.saving.get_custom_objects()
    saved = dict(objects)
    yield
    objects.clear()
    objects.update(saved)


@pytest.mark.keras
@pytest.mark.usefixtures("keras_registry")
def test_custom_layers_keras_cannot_load_are_listed_by_class(
    bridge: SimpleNamespace, keras: ModuleType, tmp_path: Path
) -> None:
    @keras.saving.register_keras_serializable(package="mine")
    class Spline(keras.layers.Layer):  # type: ignore[misc]
        def call(self, x: Any) -> Any:
            return x

    inputs = keras.Input((8, 8, 1))
    x = Spline(name="spline_1")(inputs)
    x = keras.layers.Conv2D(2, 3, name="conv")(x)
    x = Spline(name="spline_2")(x)
    x = keras.layers.Lambda(lambda t: t * 2, name="double")(x)
    path = tmp_path / "custom.keras"
    keras.Model(inputs, x, name="custom").save(path)
    keras.saving.get_custom_objects().pop("mine>Spline")  # as in a process without the class's code

    with pytest.raises(bridge.convert.UnsupportedModel) as caught:
        bridge.convert.load_model(path)
    assert str(caught.value).splitlines() == [
        "cannot import Keras model 'custom.keras' as a cnncalc spec:",
        "  - Spline (×2: spline_1, spline_2): a custom layer: Keras cannot create it without its code, "
        "and cnncalc has no such layer",
        "  - Lambda (double): runs Python code stored in the file, which cnncalc never runs (Keras' safe_mode)",
    ]


@pytest.mark.keras
def test_a_lambda_layer_is_not_run(bridge: SimpleNamespace, keras: ModuleType, tmp_path: Path) -> None:
    inputs = keras.Input((4,))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, keras.layers.Lambda(lambda t: t + 1, name="plus_one")(inputs)).save(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    assert "plus_one" in json.dumps(config)  # the code is in the file...
    with pytest.raises(bridge.convert.UnsupportedModel, match=r"Lambda \(plus_one\): runs Python code"):
        bridge.convert.load_model(path)  # ... and never runs
