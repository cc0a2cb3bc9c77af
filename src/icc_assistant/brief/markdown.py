"""Blocks -> Markdown."""

from __future__ import annotations

import re
from collections.abc import Sequence

from icc_assistant.brief.blocks import Block, Run

# Everything that could make document or enquiry text markup of its own: emphasis, code,
# HTML, and links or images (`[label](url)`, `![alt](src)`).
_SPECIAL = re.compile(r"([\\`*_<>\[\]()!])")
_SPACE = re.compile(r"\s+")
_PREFIX = {"title": "# ", "heading": "## ", "subheading": "### ", "item": "- ", "quote": "> "}


def _escape(text: str) -> str:
    """Document text as literal Markdown: no emphasis, code, HTML or links of its own."""
    return _SPECIAL.sub(r"\\\1", _SPACE.sub(" ", text))


def _destination(url: str) -> str:
    """A link's URL as a `<...>` destination, which may hold no `<`, `>` or line break."""
    return re.sub(r"[<>\s]", lambda m: f"%{ord(m.group()):02X}", url)


def _run(run: Run) -> str:
    text = _escape(run.text)
    if run.url:
        return f"[{text}](<{_destination(run.url)}>)"
    if run.bold and text.strip():
        return f"**{text.strip()}**" + (" " if text.endswith(" ") else "")
    if run.italic and text.strip():
        lead = " " if text.startswith(" ") else ""
        return f"{lead}*{text.strip()}*"
    return text


def _table(block: Block) -> str:
    """A pipe table: the header row, its rule, then the rows (cells escaped, no `|`)."""
    rows = [
        "| " + " | ".join(_escape(c).replace("|", "/") for c in row) + " |" for row in block.cells
    ]
    rule = "|" + "---|" * len(block.cells[0])
    return "\n".join([rows[0], rule, *rows[1:]])


def render_markdown(blocks: Sequence[Block]) -> str:
    """One line per block (a table's rows are lines); a blank line between blocks, except
    between list items."""
    lines: list[str] = []
    previous: str | None = None
    for block in blocks:
        if lines and not (block.kind == previous == "item"):
            lines.append("")
        if block.kind == "table":
            lines.append(_table(block))
            previous = block.kind
            continue
        text = "".join(_run(run) for run in block.runs)
        lines.append(_PREFIX.get(block.kind, "") + text)
        previous = block.kind
    return "\n".join(lines) + "\n"
