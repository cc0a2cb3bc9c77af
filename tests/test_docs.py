"""The README stays true: every setting and every command it should document is there."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command

from icc_assistant.cli import app
from icc_assistant.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    """Each Settings field appears in the README as its ICC_ variable."""
    assert f"`ICC_{field.upper()}`" in README


@pytest.mark.parametrize("command", sorted(get_command(app).commands))  # type: ignore[attr-defined]
def test_every_command_is_documented(command: str) -> None:
    """Each CLI command appears in the README's command list."""
    assert f"icc-assistant {command}" in README
