"""The built wheel carries what the installed program needs: prompts, the widget, data.
(.ci/wheel_smoke installs it into a clean venv and runs ingest, ask and serve from it.)"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_ships_prompts_widget_and_data(tmp_path: Path) -> None:
    """Every file of prompts/ and web/ (web/lib/ too) is in the wheel, as package resources,
    byte for byte;
    building it warns of nothing in pyproject.toml (setuptools did, of `project.license`)."""
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(tmp_path),
         str(ROOT)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert "Warning" not in build.stdout + build.stderr, build.stdout + build.stderr
    (wheel,) = tmp_path.glob("icc_assistant-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for folder in ("prompts", "web"):
            sources = sorted(p for p in (ROOT / folder).rglob("*") if p.is_file())
            assert sources
            for source in sources:
                name = f"icc_assistant/{source.relative_to(ROOT).as_posix()}"
                assert name in names and archive.read(name) == source.read_bytes(), name
        # the admin console and the modules it shares with the widget
        for name in ("web/admin.html", "web/admin.css", "web/lib/console.js", "web/lib/dom.js"):
            assert f"icc_assistant/{name}" in names, name
    assert "icc_assistant/data/members.json" in names
    assert "icc_assistant/data/gate_probes.json" in names


def test_make_test_without_chromium_stops_with_the_command_that_installs_it() -> None:
    """Where chromium is missing and cannot be installed (no apt-get, not root), `make test`
    fails before pytest with the one command to run, instead of skipping the browser tests."""
    result = subprocess.run(
        ["/usr/bin/make", "-s", "-C", str(ROOT), "test-deps"],
        env={"PATH": "/nonexistent"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "sudo apt-get install -y" in result.stderr and "chromium" in result.stderr
