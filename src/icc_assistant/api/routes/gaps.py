"""GET /api/admin/gaps: what members asked that the material did not answer (admin)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from icc_assistant.api.routes.deps import admin_access
from icc_assistant.api.schemas import ERRORS, error_responses
from icc_assistant.gaps import GapReport, GapStore, check_range, gap_report, parse_day, to_csv

router = APIRouter(prefix="/api/admin", tags=["feedback and documents"])

DayParam = Annotated[
    str | None,
    Query(max_length=40, description="First (since) or last (until) day, YYYY-MM-DD, UTC."),
]


@router.get(
    "/gaps",
    response_model=GapReport,
    responses={
        **ERRORS,
        **error_responses(403),
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    },
    dependencies=[Depends(admin_access)],
)
async def report_gaps(
    request: Request,
    since: DayParam = None,
    until: DayParam = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",  # noqa: A002 - the API's name
) -> GapReport | PlainTextResponse:
    """Unanswered questions and answers rated down, by kind, language, city, topic and day,
    with examples where text is kept (ICC_GAPS_KEEP_TEXT); `format=csv`: one row per gap."""
    first, last = parse_day(since, "since"), parse_day(until, "until")
    store: GapStore = request.app.state.gaps
    if format == "csv":
        check_range(first, last)
        rows = await asyncio.to_thread(store.gaps, first, last)
        return PlainTextResponse(
            to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="gaps.csv"'},
        )
    return await asyncio.to_thread(gap_report, store, first, last)
