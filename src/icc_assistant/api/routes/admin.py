"""Feedback (public POST, admin export) and document management (admin)."""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from icc_assistant.api.routes.deps import admin_access, assistant_of, client_access
from icc_assistant.api.schemas import ERRORS, FeedbackIn, FeedbackOut, error_responses
from icc_assistant.errors import DocumentError, InvalidRequestError, NotFoundError
from icc_assistant.feedback import FeedbackStore
from icc_assistant.index import FileResult

router = APIRouter(prefix="/api", tags=["feedback and documents"])
_SAFE_NAME = re.compile(r"[^\w.\-]+")
MAX_NAME_CHARS = 200


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackOut,
    responses=ERRORS,
    dependencies=[Depends(client_access)],
)
async def add_feedback(body: FeedbackIn, request: Request) -> FeedbackOut:
    """Thumbs up or down on an answer this service gave (its `answer_id`), with an optional
    reason; a rating "down" is also recorded as a gap (GET /api/admin/gaps). An answer has one
    rating: a later one replaces it, and its gap."""
    assistant = assistant_of(request)
    answer_id = body.answer_id.removeprefix("chatcmpl-")  # /v1 names answers by completion id
    if not assistant.answer_ids.is_genuine(answer_id):
        raise InvalidRequestError(
            "Unknown answer id: rate an answer by the `answer_id` this service gave it."
        )
    gap = None
    if body.rating == "down":
        gap = await asyncio.to_thread(assistant.thumbs_down_gap, _question(body.question))

    def replace_gap(earlier: int | None) -> int | None:
        return assistant.replace_gap(earlier, gap)

    store: FeedbackStore = request.app.state.feedback
    approved_id = None
    if assistant.approved is not None:  # the approved answer it served, to count its ratings
        approved_id = await asyncio.to_thread(assistant.approved.store.served_from, answer_id)
    new_id = await asyncio.to_thread(
        store.add, answer_id, body.rating, body.reason, body.question, replace_gap, approved_id
    )
    return FeedbackOut(id=new_id)


def _question(text: str | None) -> str | None:
    """The rated question, if the rating carried one with words in it."""
    if text is None or not any(ch.isalnum() for ch in text):
        return None
    return text.strip()


@router.get("/feedback", responses=ERRORS, dependencies=[Depends(admin_access)])
async def export_feedback(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Ratings, newest first, a page at a time (admin): `next_before` is the `before` of the
    next page, null on the last."""
    items = await asyncio.to_thread(request.app.state.feedback.export, limit, before)
    next_before = items[-1]["id"] if len(items) == limit else None
    return {"items": items, "next_before": next_before}


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "A .txt, .md, .html or .pdf",
                    }
                },
            }
        }
    },
}


async def _uploaded_file(request: Request) -> UploadFile:
    """The multipart `file` part; read only after the admin check passed."""
    try:
        form = await request.form(max_files=1, max_fields=8)
    except StarletteHTTPException as exc:  # a malformed multipart body
        raise InvalidRequestError(f"The upload is not valid multipart data: {exc.detail}") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidRequestError("The upload needs a multipart part named `file`.")
    return upload


def _safe_name(filename: str | None) -> str:
    name = _SAFE_NAME.sub("-", Path(filename or "").name).strip("-.")
    if not name:
        raise InvalidRequestError("The upload needs a file name with an extension.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidRequestError(
            f"The file name has {len(name)} characters; the limit is {MAX_NAME_CHARS}."
        )
    return name


@router.post(
    "/documents",
    response_model=FileResult,
    responses={**ERRORS, **error_responses(403, 415)},
    dependencies=[Depends(admin_access)],
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_document(request: Request) -> FileResult:
    """Ingest one document (admin); the result says added, updated, unchanged or failed."""
    upload = await _uploaded_file(request)
    name = _safe_name(upload.filename)
    assistant = assistant_of(request)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(await upload.read())
        try:
            return await asyncio.to_thread(assistant.ingest_file, path, name)
        except DocumentError as exc:  # name the upload, not the temporary path
            raise type(exc)(str(exc).replace(str(path), name), name) from exc


@router.delete(
    "/documents/{doc_id:path}",
    status_code=204,
    responses={**ERRORS, **error_responses(404)},
    dependencies=[Depends(admin_access)],
)
async def delete_document(doc_id: str, request: Request) -> Response:
    """Remove a document and its chunks (admin)."""
    if not await asyncio.to_thread(assistant_of(request).delete_document, doc_id):
        raise NotFoundError(f"No document {doc_id!r} is indexed.")
    return Response(status_code=204)
