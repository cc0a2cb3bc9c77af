"""/api/admin/answers: the approved answers (admin key; changes only from this service's pages).

Each answer is listed with what the secretariat needs to keep it right: whether its review-by
date has passed (`overdue`), which of its sources the index no longer holds
(`missing_sources`), how often it was served and how its answers were rated.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from icc_assistant.api.routes.deps import admin_access, assistant_of
from icc_assistant.api.schemas import ERRORS, error_responses
from icc_assistant.approved import (
    ApprovedAnswer,
    ApprovedAnswers,
    ApprovedDraft,
    ApprovedImport,
    from_csv,
    from_json,
    to_csv,
    to_json,
)
from icc_assistant.errors import ICCAssistantError, InvalidRequestError
from icc_assistant.feedback import FeedbackStore

log = structlog.get_logger("icc_assistant.api")
router = APIRouter(
    prefix="/api/admin",
    tags=["approved answers"],
    dependencies=[Depends(admin_access)],
    responses={**ERRORS, **error_responses(403, 404)},
)


class Ratings(BaseModel):
    up: int = 0
    down: int = 0


class ApprovedOut(ApprovedAnswer):
    """An approved answer with what the console shows beside it."""

    overdue: bool = Field(description="Its review-by date has passed (it is still served).")
    missing_sources: list[str] = Field(description="Its doc_ids that the index no longer holds.")
    served: int = Field(description="Answers that served it, within ICC_RETENTION_DAYS.")
    ratings: Ratings = Field(description="Ratings of those answers.")


class ApprovedList(BaseModel):
    answers: list[ApprovedOut]
    total: int = Field(description="Approved answers stored, before the search.")


class ImportResult(BaseModel):
    created: int
    updated: int


def _approved(request: Request) -> ApprovedAnswers:
    approved = assistant_of(request).approved
    assert approved is not None, "the service opens the approved answers at start-up"
    return approved


def _changed(request: Request) -> None:
    """After a change: mark the gaps the approved answers now answer. A failure is logged, the
    change stands."""
    try:
        assistant_of(request).mark_answered_gaps()
    except ICCAssistantError as exc:
        log.warning("gaps not marked as answered", error=str(exc))


def _described(request: Request, answers: list[ApprovedAnswer]) -> list[ApprovedOut]:
    """The answers with their flags, served counts and ratings."""
    assistant = assistant_of(request)
    feedback: FeedbackStore = request.app.state.feedback
    ratings = feedback.approved_ratings()
    served = _approved(request).store.served_counts()
    today = _approved(request).store.today()
    with assistant.store.pinned() as catalog:
        indexed = catalog.documents.keys()
        return [
            ApprovedOut(
                **answer.model_dump(),
                overdue=answer.is_overdue(today),
                missing_sources=[
                    s.doc_id for s in answer.sources if s.doc_id and s.doc_id not in indexed
                ],
                served=served.get(answer.id, 0),
                ratings=Ratings(**ratings.get(answer.id, {})),
            )
            for answer in answers
        ]


def _found(answer: ApprovedAnswer, words: str | None) -> bool:
    if not words:
        return True
    text = " ".join((answer.question, *answer.variants, answer.answer, answer.approved_by))
    return all(word in text.casefold() for word in words.casefold().split())


@router.get(
    "/answers",
    response_model=ApprovedList,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def list_answers(
    request: Request,
    q: Annotated[str | None, Query(max_length=200, description="Words to look for.")] = None,
    active: Annotated[bool | None, Query(description="Only active (or retired) ones.")] = None,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,  # noqa: A002 - API name
) -> ApprovedList | Response:
    """The approved answers, newest first, with their flags; `q` searches their questions,
    variants, text and approver. `format=json|csv` downloads them for an import elsewhere."""

    def listed() -> ApprovedList | Response:
        stored = _approved(request).answers()
        chosen = [a for a in stored if _found(a, q) and (active is None or a.active is active)]
        if format is not None:
            return _download(chosen, format, _approved(request).store.today())
        return ApprovedList(answers=_described(request, chosen), total=len(stored))

    return await asyncio.to_thread(listed)


def _download(answers: list[ApprovedAnswer], kind: str, today: date) -> Response:
    name = f"approved-answers-{today.isoformat()}.{kind}"
    if kind == "csv":
        body, media = to_csv(answers), "text/csv; charset=utf-8"
    else:
        body, media = to_json(answers), "application/json"
    return PlainTextResponse(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/answers", status_code=201, response_model=ApprovedOut)
async def create_answer(body: ApprovedDraft, request: Request) -> ApprovedOut:
    """Store an approved answer; it is served from now on (when `active`)."""
    answer = await asyncio.to_thread(_approved(request).create, body)
    await asyncio.to_thread(_changed, request)
    return (await asyncio.to_thread(_described, request, [answer]))[0]


@router.get("/answers/{answer_id}", response_model=ApprovedOut)
async def get_answer(answer_id: str, request: Request) -> ApprovedOut:
    """One approved answer with its flags."""
    answer = await asyncio.to_thread(_approved(request).get, answer_id)
    return (await asyncio.to_thread(_described, request, [answer]))[0]


@router.put("/answers/{answer_id}", response_model=ApprovedOut)
async def update_answer(answer_id: str, body: ApprovedDraft, request: Request) -> ApprovedOut:
    """Replace an approved answer (retire it with `"active": false`)."""
    answer = await asyncio.to_thread(_approved(request).update, answer_id, body)
    await asyncio.to_thread(_changed, request)
    return (await asyncio.to_thread(_described, request, [answer]))[0]


@router.delete("/answers/{answer_id}", status_code=204)
async def delete_answer(answer_id: str, request: Request) -> Response:
    """Remove an approved answer for good (to stop serving it but keep it, retire it)."""
    await asyncio.to_thread(_approved(request).delete, answer_id)
    await asyncio.to_thread(_changed, request)
    return Response(status_code=204)


IMPORT_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "description": 'An export: {"answers": [...]}.'}
        },
        "text/csv": {"schema": {"type": "string", "description": "A CSV export."}},
    },
}


@router.post(
    "/answers/import", response_model=ImportResult, openapi_extra={"requestBody": IMPORT_BODY}
)
async def import_answers(request: Request) -> ImportResult:
    """Import an export (JSON or CSV, by Content-Type): answers with a known id are updated,
    the others created. Every answer is checked first; one bad answer imports nothing."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
        items = from_csv(text) if kind == "text/csv" else _from_json_text(text, kind)
    except UnicodeDecodeError as exc:
        raise InvalidRequestError("The import is not UTF-8 text.") from exc
    created, updated = await asyncio.to_thread(_approved(request).import_answers, items)
    await asyncio.to_thread(_changed, request)
    return ImportResult(created=created, updated=updated)


def _from_json_text(text: str, kind: str) -> list[ApprovedImport]:
    if kind != "application/json":
        raise InvalidRequestError(
            "Send an import as application/json or text/csv (its Content-Type)."
        )
    try:
        return from_json(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(f"The import is not JSON: {exc.msg}.") from exc
