"""Shared test set-up. Fixture modules live in tests/fixtures/ and are loaded as plugins."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = sorted(
    f"fixtures.{path.stem}"
    for path in (Path(__file__).parent / "fixtures").glob("*.py")
    if path.stem != "__init__"
)
