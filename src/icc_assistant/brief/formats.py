"""The formats a Brief is delivered in: media type, file suffix and how each is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from icc_assistant.brief.blocks import brief_blocks
from icc_assistant.brief.model import Brief

BriefFormat = Literal["md", "html", "docx", "json"]


@dataclass(frozen=True)
class Format:
    media_type: str
    suffix: str
    write: Callable[[Brief], bytes]


def _markdown(brief: Brief) -> bytes:
    from icc_assistant.brief.markdown import render_markdown

    return render_markdown(brief_blocks(brief)).encode("utf-8")


def _html(brief: Brief) -> bytes:
    from icc_assistant.brief.html import render_html

    return render_html(brief_blocks(brief), brief.language).encode("utf-8")


def _docx(brief: Brief) -> bytes:
    from icc_assistant.brief.docx import render_docx

    blocks = brief_blocks(brief)
    return render_docx(blocks, brief.language, f"{blocks[0].text}: {brief.enquiry}"[:250])


def _json(brief: Brief) -> bytes:
    return brief.model_dump_json(indent=2).encode("utf-8")


FORMATS: dict[str, Format] = {
    "md": Format("text/markdown; charset=utf-8", "md", _markdown),
    "html": Format("text/html; charset=utf-8", "html", _html),
    "docx": Format(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", _docx
    ),
    "json": Format("application/json", "json", _json),
}
assert set(FORMATS) == set(get_args(BriefFormat))


def render_brief(brief: Brief, fmt: str) -> bytes:
    """The note in `fmt` (one of FORMATS)."""
    return FORMATS[fmt].write(brief)


def file_name(brief: Brief, fmt: str) -> str:
    """icc-brief-YYYY-MM-DD.<suffix>, dated as the note is."""
    return f"icc-brief-{brief.created:%Y-%m-%d}.{FORMATS[fmt].suffix}"
