"""The message catalogue: framing sentences in the user's language (data/messages.json)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

FALLBACK = "en"


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Any]:
    text = resources.files("icc_assistant").joinpath("data/messages.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def supported_languages() -> list[str]:
    """Languages the catalogue has every message in."""
    return sorted(_catalogue()["messages"])


def message(language: str, key: str, **values: str) -> str:
    """The message `key` in `language` (English when the language is not in the catalogue)."""
    messages = _catalogue()["messages"]
    template: str = messages.get(language, messages[FALLBACK])[key]
    return template.format(**values)


def language_name(code: str) -> str:
    """English name of a language code, as prompts name it ("ko" -> "Korean")."""
    names: dict[str, str] = _catalogue()["language_names"]
    return names.get(code, "English" if code == "en" else code)
