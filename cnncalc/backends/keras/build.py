"""A spec → a real ``keras.Sequential``, layer names kept; Keras' refusals located on a spec layer."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from cnncalc.api import SpecSource, load
from cnncalc.backends.keras import keras_required
from cnncalc.backends.keras.plan import CUSTOM_PADDING, KerasLayer, keras_layers, refusal
from cnncalc.errors import CnncalcError
from cnncalc.files import unwinding_on_termination, write_atomic
from cnncalc.spec.models import Spec

keras = keras_required()

from cnncalc.backends.keras.padding import Padding2D  # noqa: E402  (imports keras: after keras_required)


class KerasRejection(CnncalcError):
    """Keras refused to build a layer of the spec: which one, and Keras' reason."""

    def __init__(self, index: int, name: str, reason: str) -> None:
        super().__init__(f"Keras rejects layer {name} (layers[{index}]): {reason}")
        self.index = index
        self.name = name
        self.reason = reason


def build_model(source: SpecSource) -> Any:
    """Build the spec as a ``keras.Sequential`` (weights initialised, ready to compile).

    Raises :class:`KerasRejection` naming the first layer Keras refuses.
    """
    spec = load(source)
    inputs, layers, rejection = build_layers(spec)
    if rejection is not None:
        raise rejection
    return sequential(spec, inputs, layers)


def build_layers(spec: Spec) -> tuple[Any, list[Any], KerasRejection | None]:
    """Keras' input, the Keras layers built in order up to the first spec layer Keras refuses,
    and that refusal (``None`` when Keras builds every layer).

    Calling each layer on the symbolic output of the previous one builds it as ``Sequential``
    does, and tells which spec layer Keras refuses.
    """
    inputs = keras.Input(shape=spec.input)
    outputs = inputs
    layers: list[Any] = []
    for index, layer in enumerate(spec.layers):
        reason = refusal(layer)
        if reason is not None:  # what the spec language has and Keras has not
            return inputs, layers, KerasRejection(index, layer.name or "", reason)
        try:
            for planned in keras_layers(layer, spec.data_format, tuple(outputs.shape[1:])):
                _check_name_is_free(planned, layer.name or "", spec)
                keras_layer = instantiate(planned)
                outputs = keras_layer(outputs)
                layers.append(keras_layer)
        except ValueError as exc:
            return inputs, layers, KerasRejection(index, layer.name or "", keras_reason(exc))
    return inputs, layers, None


def _check_name_is_free(planned: KerasLayer, owner: str, spec: Spec) -> None:
    """A padding layer takes the name ``<layer>_pad``, which a spec layer may already have."""
    name = planned.arguments["name"]
    if name != owner and name in spec.layer_names:
        raise CnncalcError(
            f"layer name {name} is taken: cnncalc gives it to the padding layer of {owner} in Keras; "
            "rename one of them"
        )


def sequential(spec: Spec, inputs: Any, layers: list[Any]) -> Any:
    """The ``keras.Sequential`` of layers :func:`build_layers` built, named after the spec."""
    return keras.Sequential([inputs, *layers], name=spec.name.replace("/", "_"))


def instantiate(planned: KerasLayer) -> Any:
    """Create the Keras layer a plan describes."""
    cls = Padding2D if planned.class_name == CUSTOM_PADDING else getattr(keras.layers, planned.class_name)
    return cls(**planned.arguments)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def keras_reason(error: Exception) -> str:
    """Keras' message in one line, without colour codes and the call's arguments."""
    text = _ANSI.sub("", str(error)).split("Arguments received by")[0]
    text = re.sub(r"Exception encountered when calling [\w.]+\(\)\.", "", text)
    return " ".join(text.split())


def model_bytes(model: Any) -> bytes:
    """The model as a ``.keras`` file's bytes (architecture and weights); a SIGTERM meanwhile
    leaves no temporary folder behind."""
    with unwinding_on_termination(), tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def saved_model(source: SpecSource) -> bytes:
    """``cnncalc export --to keras-model``: the spec's model, freshly initialised, as ``.keras`` bytes."""
    return model_bytes(build_model(source))


def save_model(model: Any, path: Path, *, force: bool = False) -> None:
    """Save the model as a ``.keras`` file, atomically; never over an existing file unless ``force``."""
    if path.suffix != ".keras":
        raise CnncalcError(f"{path}: Keras saves models to files ending in .keras")
    write_atomic(path, model_bytes(model), force=force)
