"""The Keras bridge: build a real Keras model from a spec, compare it with the engine, import, train.

Nothing here imports Keras until a command needs it: :func:`keras_required` is the one place that
does, and the modules that need Keras when imported (``build``, ``convert``, ``trainer``) call it
first, so a missing install is one clear error, never a traceback. ``plan``, ``files`` and
``crosscheck``'s results need no Keras.

The bridge's own Keras layers (:mod:`cnncalc.backends.keras.layers`) are registered with Keras the
moment Keras is imported, whether before or after cnncalc (:func:`register_layers_with_keras`), so a
saved model that uses them loads after ``import cnncalc`` — without cnncalc importing Keras itself.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from types import ModuleType

from cnncalc.errors import CnncalcError

KERAS_EXTRA_HINT = "pip install '.[keras]' in cnncalc's folder (README: Install)"


def keras_required() -> ModuleType:
    """Keras 3 (TensorFlow backend unless ``KERAS_BACKEND`` says otherwise), imported on first use.

    Raises :class:`CnncalcError` with the install command when Keras or its backend is missing.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with _native_stderr_silenced():
            keras = importlib.import_module("keras")
    except ImportError as exc:
        missing = exc.name or "keras"
        raise CnncalcError(
            f"this needs Keras 3 and TensorFlow, but {missing} is not installed: {KERAS_EXTRA_HINT}"
        ) from None
    return keras


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide what TensorFlow's C++ libraries print while they load (oneDNN and CUDA notices that
    ``TF_CPP_MIN_LOG_LEVEL`` does not reach): they are written to file descriptor 2 directly."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def register_layers_with_keras() -> None:
    """Register the bridge's layers with Keras now if Keras is loaded, else right after ``import keras``
    (a one-shot import hook: importing cnncalc must not cost the seconds TensorFlow takes)."""
    if "keras" in sys.modules:
        _register_layers()
    elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())


def _register_layers() -> None:
    # Importing the module registers its layers (``register_keras_serializable``). A Keras too old or
    # broken for them must not break the user's own ``import keras``: the bridge reports it when used.
    with suppress(Exception):
        importlib.import_module("cnncalc.backends.keras.layers")


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Finds ``keras`` as the other finders do, and registers the bridge's layers once it has loaded."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)  # one shot; also keeps find_spec below from finding this finder
        spec = importlib.util.find_spec(fullname)
        loader = None if spec is None else spec.loader
        if loader is None:
            return spec
        load = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            _register_layers()

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
