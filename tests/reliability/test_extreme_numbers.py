"""Extreme numbers anywhere in a spec end in exit 0, 1 or 2 with a clear message: the cases the
review found, one by one (the property test covers the rest)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()


def check(tmp_path: Path, text: str, *options: str) -> tuple[int, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    result = runner.invoke(app, ["check", *options, str(spec)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def test_10_to_the_160_units_are_analysed_exactly(tmp_path: Path) -> None:
    """CNN201 compared a float share of the total: `int too large to convert to float`."""
    units = 10**160
    code, output = check(
        tmp_path,
        f"input: [28, 28, 1]\nlayers:\n  - {{type: conv2d, filters: 8, kernel_size: 3}}\n"
        f"  - {{type: flatten}}\n  - {{type: dense, units: {units}}}\n",
        "-f",
        "json",
    )
    assert code == 1  # warnings (CNN201, CNN301) fail, as ruff's findings do
    report = json.loads(output)
    # conv: 3·3·1·8 + 8 = 80; dense: (26·26·8 + 1)·10¹⁶⁰ = 5,409·10¹⁶⁰
    assert report["total_params"] == 80 + 5409 * units


def test_a_1500_digit_size_is_refused_where_it_stands(tmp_path: Path) -> None:
    code, output = check(
        tmp_path, "input: [28, 28, 1]\nlayers:\n  - {type: dense, units: " + "7" * 1500 + "}\n"
    )
    assert code == 2
    assert (
        "spec.yaml:3:26: a number with too many digits (1,500; at most 300): no size is that large" in output
    )


def test_a_computed_size_beyond_300_digits_is_refused(tmp_path: Path) -> None:
    big = "9" * 200
    code, output = check(
        tmp_path,
        f'input: [28, 28, 1]\nlayers:\n  - {{type: flatten}}\n  - {{type: dense, units: "$({big} * {big})"}}\n',
    )
    assert code == 2
    assert "gives a number of 400 digits; at most 300" in " ".join(output.split())


def test_sizes_multiplied_across_layers_stop_at_1000_digits(tmp_path: Path) -> None:
    """Python writes no integer of more than 4,300 digits: 16 upsamplings by 10²⁹⁰ used to crash."""
    layers = "".join("  - {type: upsampling2d, size: 1" + "0" * 290 + "}\n" for _ in range(16))
    for output_format in ("table", "json", "markdown", "github", "tree"):
        code, output = check(tmp_path, "input: [1, 1, 1]\nlayers:\n" + layers, "-f", output_format)
        assert code == 1, output[-500:]
        # 10^(290k) has 290k + 1 digits: the fourth upsampling (10¹¹⁶⁰) is the first past 1,000
        if output_format != "tree":  # the tree shows the layers, not the findings
            assert "up_sampling2d_3's output has a dimension of 1,161 digits" in " ".join(output.split())


def test_receptive_fields_grown_by_strides_on_a_1x1_map_are_dropped_past_1000_digits(tmp_path: Path) -> None:
    """240 pools with strides 2⁶² multiply the jump to 2¹⁴⁸⁸⁰ (4,480 digits): the JSON report failed."""
    layers = "".join(
        "  - {type: maxpool2d, pool_size: 1, strides: 4611686018427387904}\n" for _ in range(240)
    )
    code, output = check(tmp_path, "input: [1, 1, 1]\nlayers:\n" + layers, "-f", "json")
    assert code == 0
    fields = [layer["receptive_field"] for layer in json.loads(output)["layers"]]
    # jump 2^(62k) has more than 1,000 digits (3,322 bits) from k = 54 on
    assert fields[52] is not None and fields[52]["jump"] == [2 ** (62 * 53)] * 2
    assert fields[53] is None and fields[-1] is None
