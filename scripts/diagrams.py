"""Draw the pictures the README and docs/diagrams.md show, into docs/images/: LeNet-5's and
ResNet-50's diagrams (PNG, as `cnncalc diagram -o NAME.png` writes them) and LeNet-5's in the dark
theme and the graph style.

Run from the repository root, with the png extra installed:

    .venv/bin/python scripts/diagrams.py
"""

from __future__ import annotations

from pathlib import Path

import cnncalc
from cnncalc.files import write_atomic
from cnncalc.pictures.convert import convert

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"

FIGURES: dict[str, tuple[str, dict[str, str]]] = {
    "lenet5.png": ("examples/lenet5.yaml", {}),
    "resnet50.png": ("examples/zoo/resnet50.yaml", {}),
    "lenet5_dark.png": ("examples/lenet5.yaml", {"theme": "dark"}),
    "lenet5_graph.png": ("examples/lenet5.yaml", {"style": "graph", "direction": "LR"}),
}


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, (spec, options) in FIGURES.items():
        svg = cnncalc.diagram(ROOT / spec, **options)  # type: ignore[arg-type]
        write_atomic(IMAGES / name, convert(svg, ".png"), force=True)
        print(f"wrote {(IMAGES / name).relative_to(ROOT)} from {spec}")


if __name__ == "__main__":
    main()
