"""The Keras bridge: build a real Keras model from a spec, compare it with the engine, import, train.

Nothing here imports Keras until a command needs it: :func:`keras_required` is the one place that
does, and the modules that need Keras when imported (``build``, ``convert``, ``trainer``) call it
first, so a missing install is one clear error, never a traceback. ``plan`` and ``crosscheck``'s
results need no Keras.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
