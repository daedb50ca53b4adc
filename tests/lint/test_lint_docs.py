"""The linting docs stay true: the README's finding and fix, docs/linting.md's examples, the pre-commit hook."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app

ROOT = Path(__file__).resolve().parent.parent.parent


def shown_findings(markdown: str) -> list[str]:
    """The finding and hint lines of the first `cnncalc check` console block."""
    block = re.search(r"```console\n\$ cnncalc check (\S+)\n(.*?)```", markdown, flags=re.DOTALL)
    assert block is not None
    return [block.group(1)] + [
        line
        for line in block.group(2).splitlines()
        if line.startswith(("warning ", "  hint: ", "Findings: "))
    ]


def test_the_readme_and_the_linting_page_show_real_findings() -> None:
    sections = {
        ROOT / "README.md": "## Find what is wrong before you train",
        ROOT / "docs" / "linting.md": "",
    }
    for page, heading in sections.items():
        example, *lines = shown_findings(page.read_text().split(heading)[-1] if heading else page.read_text())
        result = CliRunner().invoke(app, ["check", example], env={"COLUMNS": "100", "NO_COLOR": "1"})
        assert lines
        for line in lines:
            assert line in result.output.splitlines(), f"{page.name}: {line}"


def test_the_readme_fix_leaves_no_finding() -> None:
    # Two more same-padded 2×2 pools: 12 → 6 → 3; dense (3·3·64 + 1)·128 = 73,856; 20,106 + 73,856 = 93,962.
    text = (ROOT / "examples" / "lint_keras_mnist_cnn.yaml").read_text()
    pool = "  - {type: maxpool2d, pool_size: 2, padding: same}\n"
    fixed = text.replace("  - {type: dropout, rate: 0.25}\n", 2 * pool + "  - {type: dropout, rate: 0.25}\n")
    assert cnncalc.analyze(fixed).total_params == 93_962
    assert cnncalc.lint(fixed) == ()


def test_the_spec_section_example_is_clean() -> None:
    page = (ROOT / "docs" / "linting.md").read_text()
    spec = next(
        block for block in re.findall(r"```yaml\n(.*?)```", page, flags=re.DOTALL) if "lint:" in block
    )
    assert cnncalc.lint(spec) == ()
    assert [
        d.code for d in cnncalc.lint(spec.replace("lint:\n  ignore: [consecutive-linear-layers]", "lint:"))
    ] == ["CNN301"]


def test_the_pre_commit_hook() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"]) == ("cnncalc-check", "cnncalc check", "python")
    files = re.compile(hook["files"])
    assert all(files.search(name) for name in ("models/net.yaml", "a.yml"))
    assert not files.search("net.json")


def test_the_layer_section_example_is_clean_because_of_its_layer_ignore() -> None:
    page = (ROOT / "docs" / "linting.md").read_text().split("### In a layer")[1]
    spec = re.findall(r"```yaml\n(.*?)```", page, flags=re.DOTALL)[0]
    assert "lint: {ignore: [unseen-input-pixels]}" in spec
    assert cnncalc.lint(spec) == ()
    # 3×3 stride 2 on 28 covers 27 rows and columns: without the layer's ignore, CNN110 on that layer.
    without = spec.replace(",\n     lint: {ignore: [unseen-input-pixels]}}", "}")
    assert [(d.code, d.layer) for d in cnncalc.lint(without)] == [("CNN110", 0)]
