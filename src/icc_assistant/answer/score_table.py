"""A question about cities' Index results is answered first with their figures as a small
Markdown table (headers in the user's language, data/messages.json), then the quotes.

Every cell comes from a stored ScoreRow, itself read from a quoted sentence or table row: the
table states nothing the material does not. A named city without Index results is said to
have none, under the table.
"""

from __future__ import annotations

from collections.abc import Sequence

from icc_assistant.answer.messages import message
from icc_assistant.documents import ScoreRow
from icc_assistant.ingest.indicators import english_name


def render_score_table(rows: Sequence[ScoreRow], missing: Sequence[str], language: str) -> str:
    """The Markdown table of `rows` and a line per city without results ("" for neither)."""
    lines: list[str] = []
    if rows:
        header = message(language, "score_table")
        lines += [f"| {header} |", "|" + "---|" * len(header.split("|"))]
        lines += [_row(row, language) for row in rows]
    lines += [message(language, "score_none", city=city) for city in missing]
    return "\n".join(lines)


def _row(row: ScoreRow, language: str) -> str:
    cells = [
        row.city or "–",
        indicator_cell(row, language),
        value_cell(row),
        sample_cell(row),
        year_cell(row),
        f"[{_plain(row.title)}]({row.url})" if row.url else _plain(row.title),
    ]
    return "| " + " | ".join(_plain(cell) if i < 5 else cell for i, cell in enumerate(cells)) + " |"


def sample_cell(row: ScoreRow) -> str:
    """What the sample column says of a row: the sample's score beside the city's ("68", "61 %"),
    or for a rank the number of cities ranked ("n = 93"); "–" when the report states neither."""
    if row.sample_value is not None:
        return _value(row, row.sample_value)
    if row.unit == "rank" and row.out_of:
        return f"n = {row.out_of}"
    return "–"


def value_cell(row: ScoreRow) -> str:
    """The city's figure in its unit: "64 %", "81 / 100", "#41 / 152"."""
    return _value(row, row.value)


def year_cell(row: ScoreRow) -> str:
    return str(row.year) if row.year else "–"


def indicator_cell(row: ScoreRow, language: str) -> str:
    """The indicator as a reader of `language` is shown it: the report's own label when the
    reader reads its language, else the English name."""
    if row.label and row.language == language:
        return row.label
    return english_name(row.indicator)


def _value(row: ScoreRow, value: float) -> str:
    """`value` (the city's or the sample's) in the row's unit: "64 %", "81 / 100", "#41 / 152"."""
    if row.unit == "percent":
        return f"{_number(value)} %"
    if row.unit == "rank":
        return f"#{_number(value)}" + (f" / {row.out_of}" if row.out_of else "")
    return _number(value) + (f" / {row.out_of}" if row.out_of else "")


def _number(value: float) -> str:
    return f"{value:g}"


def _plain(text: str) -> str:
    """A cell's text with no table or link syntax of its own."""
    return " ".join(text.replace("|", "/").replace("[", "(").replace("]", ")").split())
