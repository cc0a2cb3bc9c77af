"""The gaps report: counts by kind, language, city, topic and day, examples, and CSV rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, Field

from icc_assistant.errors import InvalidRequestError
from icc_assistant.gaps.store import GAP_KINDS, GapCounts, GapKind, GapStore, StoredGap

MAX_EXAMPLES = 50
CSV_COLUMNS = (
    "day", "kind", "language", "cities", "topics", "filters", "reason", "text", "answered_by"
)  # fmt: skip
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class KeyCount(BaseModel):
    key: str
    count: int


class DayCount(BaseModel):
    day: date
    count: int


class Example(BaseModel):
    """A gap whose (scrubbed) text was kept."""

    day: date
    kind: GapKind
    language: str | None
    text: str
    answered_by: str | None = Field(
        None, description="The approved answer that now answers it, if one does."
    )


class GapReport(BaseModel):
    """What members asked that the material did not answer, over a range of days."""

    since: date | None
    until: date | None
    total: int
    keeps_text: bool
    retention_days: int
    by_kind: dict[GapKind, int]
    by_language: list[KeyCount]
    by_city: list[KeyCount]
    by_topic: list[KeyCount]
    by_day: list[DayCount]
    examples: list[Example]
    answered: int = Field(
        0, description="Gaps (with kept text) that an approved answer now answers."
    )


def parse_day(value: str | None, name: str) -> date | None:
    """A YYYY-MM-DD day, None for none; anything else is an InvalidRequestError naming `name`."""
    if value is None or value == "":
        return None
    if _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidRequestError(f"`{name}` must be a date like 2026-01-31, not {value[:40]!r}.")


def check_range(since: date | None, until: date | None) -> None:
    """Refuse a range that ends before it starts."""
    if since and until and since > until:
        raise InvalidRequestError(
            f"`since` ({since.isoformat()}) is after `until` ({until.isoformat()})."
        )


def _ranked(counts: dict[str, int]) -> list[KeyCount]:
    """Counts, most first; ties by key, so the order is stable."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [KeyCount(key=k, count=n) for k, n in ranked]


def build_report(
    counts: GapCounts,
    *,
    since: date | None,
    until: date | None,
    keeps_text: bool,
    retention_days: int,
) -> GapReport:
    """The report of the store's `counts`."""
    groups = counts.groups
    return GapReport(
        since=since,
        until=until,
        total=counts.total,
        keeps_text=keeps_text,
        retention_days=retention_days,
        by_kind={kind: groups["kind"].get(kind, 0) for kind in GAP_KINDS},
        by_language=_ranked(groups["language"]),
        by_city=_ranked(groups["city"]),
        by_topic=_ranked(groups["topic"]),
        by_day=[
            DayCount(day=date.fromisoformat(d), count=n) for d, n in sorted(groups["day"].items())
        ],
        examples=[
            Example(
                day=gap.day,
                kind=gap.kind,
                language=gap.language,
                text=gap.text or "",
                answered_by=gap.answered_by,
            )
            for gap in counts.examples
        ],
        answered=counts.answered,
    )


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, - or @ would make it a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(gaps: Sequence[StoredGap]) -> str:
    """One row per gap under a header; lists joined with "; ", filters as key=value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for gap in gaps:
        filters = "; ".join(f"{k}={v}" for k, v in sorted(gap.filters.items()))
        cells = [
            gap.day.isoformat(),
            gap.kind,
            gap.language or "",
            "; ".join(gap.cities),
            "; ".join(gap.topics),
            filters,
            gap.reason or "",
            gap.text or "",
            gap.answered_by or "",
        ]
        writer.writerow([_cell(cell) for cell in cells])
    return buffer.getvalue()


def gap_report(store: GapStore, since: date | None, until: date | None) -> GapReport:
    """The report of the gaps `store` holds from `since` to `until` (both included)."""
    check_range(since, until)
    return build_report(
        store.counts(since, until, MAX_EXAMPLES),
        since=since,
        until=until,
        keeps_text=store.keep_text,
        retention_days=store.retention_days,
    )
