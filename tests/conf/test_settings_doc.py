"""docs/settings.md lists every default setting, as generated from global_settings.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from duck.conf import global_settings

ROOT = Path(__file__).resolve().parents[2]


def load_generator():
    spec = importlib.util.spec_from_file_location("settings_doc", ROOT / "scripts" / "settings_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_reference_is_up_to_date():
    generator = load_generator()
    doc = (ROOT / "docs" / "settings.md").read_text()
    assert doc.split(generator.MARKER)[1].strip() == generator.reference().strip(), (
        "docs/settings.md is stale: run python scripts/settings_doc.py"
    )


def test_every_setting_is_documented_with_a_reason():
    reference = load_generator().reference()
    for name in (n for n in dir(global_settings) if n.isupper()):
        row = next((line for line in reference.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"{name} missing from docs/settings.md"
        assert not row.endswith("|  |"), f"{name} has no comment explaining it in global_settings.py"
