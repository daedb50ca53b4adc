"""`cnncalc diagram` and `cnncalc report` end to end, and the promise that `check` loads none of it."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from tests.conftest import ROOT
from tests.pictures.svgread import SVG, read_nodes

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_diagram_writes_svg_to_a_file_or_stdout(examples: Path, tmp_path: Path) -> None:
    code, output = run("diagram", str(examples / "lenet5.yaml"))
    assert code == 0
    assert [n.layers[0] for n in read_nodes(output)[1:]][:2] == ["conv2d", "average_pooling2d"]
    target = tmp_path / "net.svg"
    code, _ = run(
        "diagram", str(examples / "lenet5.yaml"), "-o", str(target), "--style", "graph", "--theme", "dark"
    )
    assert code == 0
    root = ET.fromstring(target.read_text())
    assert root.tag == f"{SVG}svg"
    assert "#0d1117" in target.read_text()


def test_diagram_direction_turns_the_flow(examples: Path) -> None:
    _, across = run("diagram", str(examples / "lenet5.yaml"), "--direction", "LR")
    _, down = run("diagram", str(examples / "lenet5.yaml"), "--direction", "tb")
    lr, tb = read_nodes(across), read_nodes(down)
    assert [n.box[0] for n in lr] == sorted(n.box[0] for n in lr), "left to right"
    assert [n.box[1] for n in tb] == sorted(n.box[1] for n in tb), "top to bottom"


def test_diagram_refuses_to_overwrite_and_unknown_suffixes(examples: Path, tmp_path: Path) -> None:
    target = tmp_path / "net.svg"
    target.write_text("mine")
    code, output = run("diagram", str(examples / "lenet5.yaml"), "-o", str(target))
    assert code == 2
    assert "already exists; pass --force" in output
    assert target.read_text() == "mine"
    assert run("diagram", str(examples / "lenet5.yaml"), "-o", str(target), "--force")[0] == 0
    code, output = run("diagram", str(examples / "lenet5.yaml"), "-o", str(tmp_path / "net.jpg"))
    assert code == 2
    assert "cnncalc draws .svg, .png, .pdf files" in output


def test_diagram_of_an_unreadable_spec_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [28, 28, 1]\nlayers:\n  - {type: conv, filters: 3}\n")
    code, output = run("diagram", str(bad), "-o", str(tmp_path / "x.svg"))
    assert code == 2
    assert "unknown layer type 'conv'" in output
    assert not (tmp_path / "x.svg").exists()


def test_png_and_pdf_through_cairosvg(examples: Path, tmp_path: Path) -> None:
    pytest.importorskip("cairosvg", reason="PNG and PDF need the png extra")
    from PIL import Image

    png, pdf = tmp_path / "net.png", tmp_path / "net.pdf"
    assert run("diagram", str(examples / "lenet5.yaml"), "-o", str(png))[0] == 0
    assert run("diagram", str(examples / "lenet5.yaml"), "-o", str(pdf))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    svg_width = float(ET.fromstring(run("diagram", str(examples / "lenet5.yaml"))[1]).attrib["width"])
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert abs(image.width - 2 * svg_width) <= 2, "drawn at twice the SVG's size"
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50, "not blank"


def test_png_without_cairosvg_says_what_to_install(
    examples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cairosvg", None)
    code, output = run("diagram", str(examples / "lenet5.yaml"), "-o", str(tmp_path / "net.png"))
    assert code == 2
    assert "PNG output needs CairoSVG and the Cairo library: pip install 'cnncalc[png]'" in output
    assert not (tmp_path / "net.png").exists()


def test_report_is_one_self_contained_page(examples: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, _ = run("report", str(examples / "lint_keras_mnist_cnn.yaml"), "-o", str(target))
    assert code == 0
    html = target.read_text()
    assert html.startswith("<!DOCTYPE html>")
    for layer in (
        "conv2d",
        "conv2d_1",
        "max_pooling2d",
        "dropout",
        "flatten",
        "dense",
        "dropout_1",
        "dense_1",
    ):
        assert f"<td>{layer}</td>" in html
    # the finding, its hint, and a link to its rule's page inside the report
    assert '<a class="code" href="#rule-CNN201">CNN201</a> at <a href="#layer-5">dense</a> (line 13)' in html
    assert "Hint: with 2 more 2×2 max pools" in html
    assert '<article class="rule" id="rule-CNN201">' in html
    # the formulas with the numbers in, and the totals (Keras: 1,199,882 parameters)
    assert "params = (9216 + 1)·128 = 1,179,776" in html
    assert "1,199,882 (4.58 MB)" in html
    # nothing is fetched: no external stylesheet, script, image, frame or font
    assert "<link" not in html
    assert "@import" not in html
    assert re.findall(r"url\((?!#)", html) == [], "only references inside the page"
    assert re.findall(r"\ssrc\s*=", html) == []


def test_check_never_loads_the_drawing_code(examples: Path) -> None:
    """`cnncalc check` keeps its start-up time: no module of cnncalc.pictures, no CairoSVG, no Markdown."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cnncalc", "check", str(examples / "lenet5.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    assert "cnncalc.cli.pictures" in imported, "the command module itself is registered"
    assert [m for m in imported if m.startswith(("cnncalc.pictures", "cairosvg", "markdown_it"))] == []


def test_the_pictures_shown_in_the_docs_are_the_ones_the_script_draws() -> None:
    script = (ROOT / "scripts" / "diagrams.py").read_text()
    for page in ("README.md", "docs/diagrams.md"):
        text = (ROOT / page).read_text()
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text):
            path = (ROOT / page).parent / image
            assert path.is_file(), f"{page} shows {image}, which does not exist"
            assert f'"{path.name}"' in script, f"{image} is not drawn by scripts/diagrams.py"
    assert "docs/images/lenet5.png" in (ROOT / "README.md").read_text()
    assert "docs/images/resnet50.png" in (ROOT / "README.md").read_text()
