"""Blocks -> one self-contained HTML page (inline style, no scripts, no external assets)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from icc_assistant.brief.blocks import Block, Run

RTL = frozenset({"ar", "he", "fa", "ur"})
_TAG = {"title": "h1", "heading": "h2", "subheading": "h3", "paragraph": "p", "quote": "blockquote"}
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1b1b1b}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;"
    "border-bottom:1px solid #ccc}h3{font-size:1.05rem}blockquote{margin:.5rem 0 .5rem 1rem;"
    "padding-left:.75rem;border-left:3px solid #8aa}a{color:#0b57d0;overflow-wrap:anywhere}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem}caption{text-align:start;font-weight:600;"
    "padding:.25rem 0}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:start;"
    "vertical-align:top}th{background:#eef1f4}"
)


def _table(block: Block) -> str:
    """A table with its caption and column headers (th scope=col)."""
    head, *rows = block.cells
    heads = "".join(f'<th scope="col">{escape(cell)}</th>' for cell in head)
    body = "".join(
        "<tr>" + "".join(f'<td dir="auto">{escape(cell)}</td>' for cell in row) + "</tr>"
        for row in rows
    )
    caption = "".join(_run(run) for run in block.runs)
    return (
        f"<table><caption>{caption}</caption><thead><tr>{heads}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _run(run: Run) -> str:
    text = escape(run.text)
    if run.bold and text.strip():
        text = f"<strong>{text}</strong>"
    if run.italic:
        text = f"<em>{text}</em>"
    if run.url:
        text = f'<a href="{escape(run.url, quote=True)}">{text}</a>'
    return text


def render_html(blocks: Sequence[Block], language: str) -> str:
    """The page; consecutive items make one list."""
    title = escape(blocks[0].text) if blocks else ""
    direction = "rtl" if language in RTL else "ltr"
    body: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind == "item" and not in_list:
            body.append("<ul>")
        elif block.kind != "item" and in_list:
            body.append("</ul>")
        in_list = block.kind == "item"
        if block.kind == "table":
            body.append(_table(block))
            continue
        inner = "".join(_run(run) for run in block.runs)
        tag = "li" if block.kind == "item" else _TAG[block.kind]
        lang = f' lang="{escape(block.language, quote=True)}"' if block.language else ""
        body.append(f"<{tag}{lang}>{inner}</{tag}>")
    if in_list:
        body.append("</ul>")
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(language, quote=True)}" dir="{direction}">\n'
        f'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,'
        f' initial-scale=1"><title>{title}</title><style>{STYLE}</style></head>\n<body>\n'
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
