"""A Brief walked once into a short list of blocks (title, heading, paragraph, item, quote,
table) made of runs (text, bold, italic, link): each format only says how it writes a block.

The framing comes from the message catalogue in the note's language; quoted sentences stay in
their own language and are marked with it when it differs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from icc_assistant.answer.messages import message
from icc_assistant.answer.score_table import indicator_cell, sample_cell, value_cell, year_cell
from icc_assistant.brief.model import Brief, BriefDocument, BriefQuote, BriefScores, BriefSource

BlockKind = Literal["title", "heading", "subheading", "paragraph", "item", "quote", "table"]

# Inline Markdown a model writes in its summary: bold, a link, italics.
_INLINE = re.compile(
    r"\*\*(?P<bold>.+?)\*\*|\[(?P<label>[^\]]+)\]\((?P<url>https?://[^)\s]+)\)"
    r"|(?<!\w)_(?P<italic>[^_]+)_(?!\w)"
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Run:
    """A piece of text with its inline formatting; `url` only ever http(s)."""

    text: str
    bold: bool = False
    italic: bool = False
    url: str | None = None


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    runs: tuple[Run, ...]
    language: str | None = None  # a quote's own language, when it is not the note's
    # a table's cells, row by row, the first row its column headers (runs: its caption)
    cells: tuple[tuple[str, ...], ...] = ()

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


def link(text: str, url: str | None) -> Run:
    """A run linking to `url` when it is a web address, else plain text."""
    safe = url if url and url.startswith(("https://", "http://")) else None
    return Run(text, url=safe)


def inline_runs(text: str) -> tuple[Run, ...]:
    """Runs of one line of Markdown (bold, links, italics); everything else is plain text."""
    runs: list[Run] = []
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            runs.append(Run(text[position : match.start()]))
        if match.group("bold"):
            runs.append(Run(match.group("bold"), bold=True))
        elif match.group("url"):
            runs.append(link(match.group("label"), match.group("url")))
        else:
            runs.append(Run(match.group("italic"), italic=True))
        position = match.end()
    if position < len(text):
        runs.append(Run(text[position:]))
    return tuple(runs)


def markdown_blocks(text: str) -> Iterator[Block]:
    """Paragraphs and list items of a short Markdown text (a summary)."""
    paragraph: list[str] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip().lstrip("#").strip()
        if _LIST_ITEM.match(line) or not stripped:
            if paragraph:
                yield Block("paragraph", inline_runs(" ".join(paragraph)))
                paragraph = []
            if stripped:
                yield Block("item", inline_runs(_LIST_ITEM.sub("", line, count=1).strip()))
        else:
            paragraph.append(stripped)


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _document(document: BriefDocument, place: str | None) -> Block:
    details = ", ".join(str(x) for x in (place, document.year) if x)
    title = link(document.title, document.url)
    runs = [Run(title.text, bold=True, url=title.url)]
    if details:
        runs.append(Run(f" ({details})"))
    runs.append(Run(f" [{document.citation}]"))
    return Block("paragraph", tuple(runs))


def _quote(quote: BriefQuote, language: str) -> Block:
    runs = []
    if quote.cities:
        runs.append(Run(f"{', '.join(quote.cities)}: ", bold=True))
    runs.append(Run(f"“{quote.text}”"))
    if quote.language != language:
        runs.append(Run(f" ({quote.language.upper()})", italic=True))
    runs.append(Run(f" [{quote.citation}]"))
    own = quote.language if quote.language != language else None
    return Block("quote", tuple(runs), own)


def _source(source: BriefSource) -> Block:
    details = ", ".join(str(x) for x in (source.city, source.country, source.year) if x)
    runs = [Run(f"[{source.number}] "), Run(source.title, bold=True)]
    if details:
        runs.append(Run(f" ({details})"))
    if source.url:
        runs.extend([Run(" — "), link(source.url, source.url)])
    return Block("item", tuple(runs))


def _scores(scores: BriefScores, language: str) -> list[Block]:
    """A city's Index results: its name, then a table of indicator, value, sample, year and
    the number of the report each was read from (headers as chat's score table has them)."""
    place = ", ".join(x for x in (scores.city, scores.country) if x)
    header = tuple(cell.strip() for cell in message(language, "score_table").split("|"))[1:]
    rows = tuple(
        (
            indicator_cell(row, language),
            value_cell(row),
            sample_cell(row),
            year_cell(row),
            f"[{citation}]",
        )  # fmt: skip
        for row, citation in zip(scores.rows, scores.citations, strict=True)
    )
    caption = f"{message(language, 'brief_scores')}: {place}"
    return [
        Block("subheading", (Run(place),)),
        Block("table", (Run(caption),), cells=(header, *rows)),
    ]


def brief_blocks(brief: Brief) -> list[Block]:
    """The note, block by block, framed in its language."""
    lang = brief.language

    def label(key: str, **values: str) -> str:
        return message(lang, key, **values)

    def field(key: str) -> str:  # "Demande : " in French, "日期：" in Chinese
        return label("brief_field", label=label(key))

    def heading(key: str, kind: BlockKind = "heading") -> Block:
        return Block(kind, (Run(label(key)),))

    blocks = [
        heading("brief_title", "title"),
        Block("paragraph", (Run(field("brief_enquiry"), bold=True), Run(brief.enquiry))),
        Block("paragraph", (Run(field("brief_date"), bold=True), Run(_day(brief.created)))),
        heading("brief_key_evidence" if brief.summary_by == "evidence" else "brief_summary"),
        *markdown_blocks(brief.summary),
    ]
    if brief.approved is not None:
        day = brief.approved.approved_at.isoformat()
        blocks.append(Block("paragraph", (Run(label("approved_reviewed", date=day), italic=True),)))
    if brief.status == "partial" and brief.summary_by == "evidence":
        blocks.append(Block("paragraph", (Run(label("partial"), italic=True),)))
    if brief.notice:
        blocks.append(Block("paragraph", (Run(brief.notice, italic=True),)))
    if brief.scores:
        blocks.append(heading("brief_scores"))
        for scores in brief.scores:
            blocks.extend(_scores(scores, lang))
    blocks.append(heading("brief_practices"))
    for city in brief.practices:
        place = ", ".join(x for x in (city.city, city.country) if x) or "—"
        blocks.append(Block("subheading", (Run(place),)))
        for document in city.documents:
            blocks.append(_document(document, None))
            blocks.extend(_quote(q, lang) for q in document.quotes)
    if not brief.practices:
        blocks.append(Block("paragraph", (Run(label("brief_none"), italic=True),)))
    blocks.append(heading("brief_recommendations"))
    cities = {s.number: s.city for s in brief.sources}
    for document in brief.recommendations:
        blocks.append(_document(document, cities.get(document.citation)))
        blocks.extend(_quote(q, lang) for q in document.quotes)
    if not brief.recommendations:
        blocks.append(Block("paragraph", (Run(label("brief_none"), italic=True),)))
    blocks.append(heading("brief_sources"))
    blocks.extend(_source(s) for s in brief.sources)
    if not brief.sources:
        blocks.append(Block("paragraph", (Run(label("brief_none"), italic=True),)))
    material = brief.material
    blocks.append(heading("brief_material"))
    blocks.append(Block("item", (Run(label("brief_documents", count=str(material.documents))),)))
    blocks.append(
        Block("item", (Run(label("brief_last_ingest", date=_day(material.last_ingest))),))
    )
    if material.last_sync:
        status = f" ({material.last_sync_status})" if material.last_sync_status else ""
        text = label("brief_last_sync", date=_day(material.last_sync)) + status
        blocks.append(Block("item", (Run(text),)))
    return blocks
