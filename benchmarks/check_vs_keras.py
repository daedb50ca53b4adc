"""`cnncalc check` against building the same model in Keras and calling `summary()`, as whole processes.

Both answer "what shapes and how many parameters?" for LeNet-5. The Keras side runs the model code
`cnncalc export --to keras` writes (the same layers, names included). Runs alternate, so that load
on the machine hits both alike; the figure is the ratio of the medians (goal: at least 25×).

Run: python benchmarks/check_vs_keras.py [--runs 11]   (writes its section of docs/performance.md)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import machine, median_ms, update_section

ROOT = Path(__file__).resolve().parent.parent
SPEC = "examples/lenet5.yaml"


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from cnncalc.export import export

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    executable = shutil.which("cnncalc")
    check = [*([executable] if executable else [sys.executable, "-m", "cnncalc"]), "check", SPEC]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "lenet5_keras.py").write_text(str(export(ROOT / SPEC, "keras")))
        summary = "import lenet5_keras; lenet5_keras.build_model().summary()"
        keras = [sys.executable, "-c", f"import sys; sys.path.insert(0, {folder!r}); {summary}"]
        timed(check, env), timed(keras, env)  # warm the file cache for both
        cnncalc_times, keras_times = [], []
        for _ in range(args.runs):
            cnncalc_times.append(timed(check, env))
            keras_times.append(timed(keras, env))
    ratio = statistics.median(keras_times) / statistics.median(cnncalc_times)
    table = "\n".join(
        [
            "| what (whole process) | median |",
            "|---|---|",
            f"| `cnncalc check {SPEC}` | {median_ms(cnncalc_times)} |",
            f"| Keras: build the same LeNet-5, `model.summary()` | {median_ms(keras_times)} |",
            f"| ratio of the medians | **{ratio:.1f}×** (goal: ≥ 25×) |",
        ]
    )
    update_section(
        "check-vs-keras",
        f"""## `cnncalc check` against Keras

Measured by `python benchmarks/check_vs_keras.py --runs {args.runs}` ({machine()}); the two commands
run alternately, {args.runs} times each, after one warm-up run of each. The Keras side builds the model
`cnncalc export --to keras` writes for `{SPEC}` and prints `model.summary()`; most of its time is
importing TensorFlow, which `cnncalc check` never does.

{table}
""",
    )
    print(table)


if __name__ == "__main__":
    main()
