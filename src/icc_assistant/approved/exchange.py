"""Approved answers out and in: JSON (the API's shape) and CSV (one answer a row).

CSV cells hold lists one item a line: `variants`, and `sources`, each a URL or a document id,
optionally followed by ` | ` and a title. A cell that a spreadsheet would run as a formula
(starting with `=`, `+`, `-` or `@`) is written with a `'` in front, which reading takes off.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from pydantic import Field, ValidationError

from icc_assistant.approved.model import ApprovedAnswer, ApprovedDraft, Source
from icc_assistant.errors import InvalidRequestError

CSV_COLUMNS = (
    "id",
    "question",
    "variants",
    "answer",
    "language",
    "sources",
    "approved_by",
    "approved_at",
    "review_by",
    "active",
)
MAX_IMPORT = 1000
_FORMULA = ("=", "+", "-", "@")


class ApprovedImport(ApprovedDraft):
    """An answer to import: a draft, with the id it had where it was exported (kept, so that
    importing the same file twice updates rather than doubles)."""

    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    updated_at: str | None = Field(None, description="Ignored: set when the answer is written.")

    def draft(self) -> ApprovedDraft:
        return ApprovedDraft(**self.model_dump(exclude={"id", "updated_at"}))


def to_json(answers: Iterable[ApprovedAnswer]) -> str:
    items = [a.model_dump(mode="json") for a in answers]
    return json.dumps({"answers": items}, ensure_ascii=False, indent=2) + "\n"


def to_csv(answers: Iterable[ApprovedAnswer]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for answer in answers:
        row = {
            **answer.model_dump(mode="json"),
            "variants": "\n".join(answer.variants),
            "sources": "\n".join(_source_line(s) for s in answer.sources),
            "active": "true" if answer.active else "false",
        }
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


def _source_line(source: Source) -> str:
    where = source.url or source.doc_id or ""
    if source.url and source.doc_id:
        where = f"{source.doc_id} {source.url}"
    return f"{where} | {source.title}" if source.title else where


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA) else text


def from_json(data: object) -> list[ApprovedImport]:
    """The answers of an export (`{"answers": [...]}`, or the bare list)."""
    items = data.get("answers") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InvalidRequestError('Import JSON as {"answers": [...]}, as the export writes it.')
    return _checked(items)


def from_csv(text: str) -> list[ApprovedImport]:
    """The answers of a CSV export (the header names the columns; id may be empty)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"question", "answer", "language", "approved_by"} - set(reader.fieldnames or ())
    if missing:
        raise InvalidRequestError(
            f"The CSV lacks the column(s) {', '.join(sorted(missing))}; export one to see them."
        )
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InvalidRequestError(f"The CSV cannot be read: {exc}") from exc
    return _checked([_from_row(row) for row in rows])


def _from_row(row: dict[str, Any]) -> dict[str, Any]:
    value = {k: _uncell(v) for k, v in row.items() if isinstance(k, str) and k in CSV_COLUMNS}
    item: dict[str, Any] = {k: v for k, v in value.items() if v not in ("", None)}
    item["variants"] = [line for line in value.get("variants", "").splitlines() if line.strip()]
    item["sources"] = [
        _source_of(line) for line in value.get("sources", "").splitlines() if line.strip()
    ]
    if "active" in item:
        item["active"] = item["active"].strip().lower() not in ("false", "0", "no")
    return item


def _uncell(value: object) -> str:
    text = "" if value is None else str(value)
    return text[1:] if text.startswith("'") and text[1:2] in _FORMULA else text


def _source_of(line: str) -> dict[str, str]:
    where, _, title = line.partition(" | ")
    parts = where.split()
    source: dict[str, str] = {}
    for part in parts:
        source["url" if part.startswith(("http://", "https://")) else "doc_id"] = part
    if title.strip():
        source["title"] = title.strip()
    return source


def _checked(items: list[Any]) -> list[ApprovedImport]:
    """Every item validated before any is written; the first bad one names its place."""
    if len(items) > MAX_IMPORT:
        raise InvalidRequestError(
            f"The import has {len(items)} answers; at most {MAX_IMPORT} go in one import."
        )
    checked = []
    for number, item in enumerate(items, start=1):
        try:
            checked.append(ApprovedImport.model_validate(item))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem.get("loc", ())) or "item"
            raise InvalidRequestError(
                f"Answer {number} of the import: {where}: {problem.get('msg', 'invalid')}."
                " Nothing was imported."
            ) from exc
    return checked
