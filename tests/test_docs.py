"""The docs stay true to the code: the committed schema is current, every field is documented."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from cnncalc.spec.models import LAYER_TYPES, Spec
from cnncalc.spec.schema import spec_json_schema

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_committed_schema_is_current() -> None:
    committed = json.loads((DOCS / "spec.schema.json").read_text())
    assert committed == spec_json_schema(), "run: cnncalc schema -o docs/spec.schema.json --force"


def test_every_layer_type_and_field_is_documented() -> None:
    text = (DOCS / "spec.md").read_text()
    for cls in LAYER_TYPES:
        assert f"`{cls.model_fields['type'].default}` — `{cls.keras_class}`" in text, cls.__name__
        for field in cls.model_fields:
            if field not in {"type", "name"}:
                assert re.search(rf"\| `{field}`", text), f"{cls.__name__}.{field} is not in docs/spec.md"
    for field in Spec.model_fields:
        assert f"| `{field}` |" in text, f"Spec.{field} is not in docs/spec.md"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^python3 -m venv \.venv && .*$", readme, flags=re.MULTILINE)
    assert len(commands) == 2
    assert "cnncalc check examples/lenet5.yaml" in commands[0]
    assert "pytest" in commands[1]
    assert readme.startswith("# cnncalc\n\n```bash\n" + commands[0] + "\n" + commands[1] + "\n```")
    ci = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run"), "--print"], capture_output=True, text=True, check=True
    )
    assert ci.stdout.strip() == commands[1]
