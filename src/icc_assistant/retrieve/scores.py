"""The ICC Index results the index holds (ingest/describe.py), looked up by city, indicator
and year: what GET /api/scores, `icc-assistant scores` and the MCP tool `icc_scores` return.

A city matches by any of its names (gazetteer aliases: "Lisboa" finds Lisbon's rows); an
indicator by its id or any of its published names ("education", "éducation", "rank").
"""

from __future__ import annotations

from collections.abc import Iterable

from icc_assistant import gazetteer
from icc_assistant.documents import ScoreRow
from icc_assistant.errors import InvalidFilterError
from icc_assistant.ingest import indicators


def indicator_id(text: str) -> str:
    """The indicator id `text` names (an id or a published name); InvalidFilterError if none."""
    wanted = text.strip()
    if wanted in indicators.by_id():
        return wanted
    found = indicators.named(wanted, whole=True)
    if found is None:
        known = ", ".join(i.id for i in indicators.indicators())
        raise InvalidFilterError(f"Unknown indicator {text!r}; use one of: {known}.")
    return found


def find_scores(
    rows: Iterable[ScoreRow],
    *,
    city: str | None = None,
    indicator: str | None = None,
    year: int | None = None,
) -> list[ScoreRow]:
    """The rows the filters allow, by city, then year (latest first), then indicator order."""
    wanted = indicator_id(indicator) if indicator else None
    found = [
        row
        for row in rows
        if (city is None or _same_city(city, row.city))
        and (wanted is None or row.indicator == wanted)
        and (year is None or row.year == year)
    ]
    order = {item.id: n for n, item in enumerate(indicators.indicators())}
    return sorted(
        found,
        key=lambda r: (r.city or "", -(r.year or 0), order.get(r.indicator, len(order)), r.doc_id),
    )


def _same_city(wanted: str, city: str | None) -> bool:
    if not city:
        return False
    return wanted.casefold() == city.casefold() or gazetteer.same_city(wanted, city)
