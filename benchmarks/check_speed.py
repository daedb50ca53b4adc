"""How fast `cnncalc check` answers: a whole process on LeNet-5, and generated specs of 100 to 10,000 layers.

Run: python benchmarks/check_speed.py [--runs 21]   (writes its section of docs/performance.md)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import machine, median_ms, update_section

ROOT = Path(__file__).resolve().parent.parent


def generated_spec(layers: int) -> str:
    """A deep network of `same` 3×3 convolutions, batchnorm and activations that keeps its shape."""
    cycle = [
        "  - {type: conv2d, filters: 16, kernel_size: 3, padding: same}",
        "  - {type: batchnorm}",
        "  - {type: activation, activation: relu}",
    ]
    body = [cycle[i % 3] for i in range(layers - 2)]
    return (
        "\n".join(
            [
                "name: deep",
                "input: [32, 32, 16]",
                "layers:",
                *body,
                "  - {type: globalavgpool2d}",
                "  - {type: dense, units: 10, activation: softmax}",
            ]
        )
        + "\n"
    )


def time_process(command: list[str], runs: int) -> list[float]:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        durations.append(time.perf_counter() - started)
    return durations


def time_in_process(path: Path, runs: int) -> list[float]:
    from cnncalc.api import analyze

    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        analyze(path)
        durations.append(time.perf_counter() - started)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    executable = shutil.which("cnncalc")
    cli = [executable] if executable else [sys.executable, "-m", "cnncalc"]
    lenet = time_process([*cli, "check", "examples/lenet5.yaml"], args.runs)
    rows = [f"| `cnncalc check examples/lenet5.yaml` (whole process) | {median_ms(lenet)} | — |"]
    with tempfile.TemporaryDirectory() as folder:
        for layers in (100, 1_000, 10_000):
            path = Path(folder) / f"deep{layers}.yaml"
            path.write_text(generated_spec(layers))
            runs = max(3, args.runs // (1 if layers < 10_000 else 4))
            process = time_process([*cli, "check", "--format", "json", str(path)], runs)
            library = time_in_process(path, runs)
            per_layer = statistics.median(library) / layers * 1e6
            rows.append(
                f"| {layers:,} layers, whole process (JSON) | {median_ms(process)} | "
                f"load + analyse: {median_ms(library)} ({per_layer:.0f} µs/layer) |"
            )
    table = "\n".join(["| what | median | notes |", "|---|---|---|", *rows])
    update_section(
        "check-speed",
        f"""## `cnncalc check`

Measured by `python benchmarks/check_speed.py --runs {args.runs}` ({machine()}); medians of
{args.runs} runs. The goal: well under 0.3 s for LeNet-5, and time linear in the number of layers.

{table}
""",
    )
    print(table)


if __name__ == "__main__":
    main()
