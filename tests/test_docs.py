"""The README stays true: every setting, command and dependency it should document is there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from typer.main import get_command

from icc_assistant.cli import app
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "dependencies"
]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    """Each Settings field appears in the README as its ICC_ variable."""
    assert f"`ICC_{field.upper()}`" in README


@pytest.mark.parametrize("command", sorted(get_command(app).commands))  # type: ignore[attr-defined]
def test_every_command_is_documented(command: str) -> None:
    """Each CLI command appears in the README's command list."""
    assert f"icc-assistant {command}" in README


@pytest.mark.parametrize("requirement", DEPENDENCIES)
def test_every_dependency_says_why(requirement: str) -> None:
    """Each runtime dependency has a row in the README's "Dependencies and why" table."""
    name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
    table = README.split("## Dependencies and why", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| ")]
    named = {n.strip().lower() for row in rows for n in row.split(",")}
    assert name.lower() in named
