"""How fast `cnncalc check` answers: whole processes on LeNet-5 and ResNet-50 against the floor (a bare
Python process importing the same dependencies), and generated residual graphs of 100 to 10,000 layers.

Run on an idle machine: python benchmarks/check_speed.py [--runs 21]   (writes its section of
docs/performance.md). Processes are timed in turns (floor, LeNet-5, ResNet-50, floor, ...) so that a
drift in the machine's speed touches all three alike.
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


FLOOR = (
    "import yaml, typer, pydantic; from rich.console import Console; from rich.table import Table; "
    "from pydantic import BaseModel"
)
"""What any tool written with cnncalc's dependencies pays before doing anything."""


def generated_spec(layers: int) -> str:
    """A deep residual network of `same` 3×3 convolutions (conv, batchnorm, relu, conv, batchnorm,
    add of the unit's input, relu), written out layer by layer, with a pooled dense head."""
    body = ["  - {type: conv2d, name: stem, filters: 16, kernel_size: 3, padding: same, activation: relu}"]
    previous, unit = "stem", 0
    while len(body) + 7 <= layers - 2:
        u = f"u{unit}"
        body += [
            f"  - {{type: conv2d, name: {u}_conv1, filters: 16, kernel_size: 3, padding: same}}",
            f"  - {{type: batchnorm, name: {u}_bn1}}",
            f"  - {{type: activation, name: {u}_relu1, activation: relu}}",
            f"  - {{type: conv2d, name: {u}_conv2, filters: 16, kernel_size: 3, padding: same}}",
            f"  - {{type: batchnorm, name: {u}_bn2}}",
            f"  - {{type: add, name: {u}_add, inputs: [{previous}, {u}_bn2]}}",
            f"  - {{type: activation, name: {u}_out, activation: relu}}",
        ]
        previous, unit = f"{u}_out", unit + 1
    body += [f"  - {{type: batchnorm, name: pad{n}}}" for n in range(layers - 2 - len(body))]
    head = ["  - {type: globalavgpool2d}", "  - {type: dense, units: 10, activation: softmax}"]
    return "\n".join(["name: residual", "input: [32, 32, 16]", "layers:", *body, *head]) + "\n"


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
    executable = shutil.which("cnncalc") or str(Path(sys.executable).with_name("cnncalc"))
    cli = [executable] if Path(executable).exists() else [sys.executable, "-m", "cnncalc"]
    commands = {
        "floor": [sys.executable, "-c", FLOOR],
        "lenet": [*cli, "check", "examples/lenet5.yaml"],
        "resnet": [*cli, "check", "examples/zoo/resnet50.yaml"],
    }
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            timings[name] += time_process(command, 1)
    floor = statistics.median(timings["floor"])
    rows = [
        f'| floor: `python -c "{FLOOR}"` | {median_ms(timings["floor"])} | 1.00× |',
        f"| `cnncalc check examples/lenet5.yaml` (whole process) | {median_ms(timings['lenet'])} | "
        f"{statistics.median(timings['lenet']) / floor:.2f}× the floor (goal ≤ 1.35×) |",
        f"| `cnncalc check examples/zoo/resnet50.yaml` (whole process, 177 layers) | "
        f"{median_ms(timings['resnet'])} | {statistics.median(timings['resnet']) / floor:.2f}× the floor "
        "(goal < 2×) |",
    ]
    with tempfile.TemporaryDirectory() as folder:
        for layers in (100, 1_000, 10_000):
            path = Path(folder) / f"deep{layers}.yaml"
            path.write_text(generated_spec(layers))
            runs = max(3, args.runs // (1 if layers < 10_000 else 4))
            process = time_process([*cli, "check", "--format", "json", str(path)], runs)
            library = time_in_process(path, runs)
            per_layer = statistics.median(library) / layers * 1e6
            goal = " (goal < 250 ms)" if layers == 10_000 else ""
            rows.append(
                f"| residual graph of {layers:,} layers, whole process (JSON) | {median_ms(process)} | "
                f"load + analyse: {median_ms(library)}{goal}, {per_layer:.0f} µs/layer |"
            )
    table = "\n".join(["| what | median | notes |", "|---|---|---|", *rows])
    update_section(
        "check-speed",
        f"""## `cnncalc check`

Measured by `python benchmarks/check_speed.py --runs {args.runs}` ({machine()}, idle); medians of
{args.runs} runs, whole processes timed in turns. The floor is a bare Python process that imports what
cnncalc's command line imports (PyYAML, typer, rich's console and table, pydantic's `BaseModel`):
no tool built on them starts faster.

{table}
""",
    )
    print(table)


if __name__ == "__main__":
    main()
