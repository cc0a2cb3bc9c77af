"""Prompts live as files in prompts/; they are loaded by name and their variables checked.

The top-level prompts/ is the source; the package carries it as the resource
`icc_assistant/prompts`, so an installed wheel has its prompts too.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

from icc_assistant.errors import PromptError


def prompts_dir() -> Traversable:
    """The prompts shipped with the package."""
    return resources.files("icc_assistant").joinpath("prompts")


@dataclass(frozen=True)
class Prompt:
    """A prompt template with `$name` placeholders."""

    name: str
    template: string.Template

    @property
    def variables(self) -> frozenset[str]:
        """The placeholders the prompt uses."""
        return frozenset(
            m.group("named") or m.group("braced")
            for m in self.template.pattern.finditer(self.template.template)
            if m.group("named") or m.group("braced")
        )

    def render(self, **values: str) -> str:
        """Fill every placeholder; a missing or unknown variable is a PromptError naming it."""
        missing = self.variables - values.keys()
        unknown = values.keys() - self.variables
        if missing:
            raise PromptError(f"Prompt {self.name!r} needs variable(s) {sorted(missing)}.")
        if unknown:
            raise PromptError(f"Prompt {self.name!r} has no variable(s) {sorted(unknown)}.")
        return self.template.substitute(values)


@lru_cache(maxsize=32)
def load_prompt(name: str, directory: Traversable | None = None) -> Prompt:
    """The prompt `<directory>/<name>.md` (by default the package's prompts)."""
    path = (directory or prompts_dir()).joinpath(f"{name}.md")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"Prompt file {path} cannot be read: {exc}") from exc
    return Prompt(name=name, template=string.Template(text))
