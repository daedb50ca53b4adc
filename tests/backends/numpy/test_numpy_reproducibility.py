"""With a seed, training gives the same weights bit for bit whatever BLAS's thread count.

The backend holds BLAS to one thread during its passes and splits batches by their size
only, so neither ``OPENBLAS_NUM_THREADS`` nor the number of cores can change a result.
Each run is a fresh ``cnncalc train`` process: OpenBLAS reads the variable once, at load.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import EXAMPLES, ROOT


def train_weights(tmp_path: Path, name: str, blas_threads: str | None) -> dict[str, np.ndarray]:
    """Train LeNet-5 for 2 epochs in a child process; ``blas_threads`` None keeps the environment's."""
    env = dict(os.environ)
    if blas_threads is not None:
        env["OPENBLAS_NUM_THREADS"] = blas_threads  # the child's only, never this process's
    weights = tmp_path / f"{name}.npz"
    command = [sys.executable, "-m", "cnncalc", "train", str(EXAMPLES / "lenet5.yaml")]
    command += ["--epochs", "2", "--seed", "0", "--save-weights", str(weights)]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    with np.load(weights) as archive:
        return {key: archive[key] for key in archive.files}


@pytest.mark.slow
def test_weights_are_bit_identical_whatever_the_blas_threads(tmp_path: Path) -> None:
    pytest.importorskip("mlxtend")
    one = train_weights(tmp_path, "one", "1")
    default = train_weights(tmp_path, "default", None)
    several = train_weights(tmp_path, "two", "2")
    assert one.keys() == default.keys() == several.keys()
    assert len(one) == 10  # 5 layers with weights, kernel and bias each
    for key, value in one.items():
        np.testing.assert_array_equal(default[key], value, err_msg=key)
        np.testing.assert_array_equal(several[key], value, err_msg=key)
