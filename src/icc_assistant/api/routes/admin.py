"""Feedback (public POST, admin export) and document management (admin)."""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile

from icc_assistant.api.routes.deps import assistant_of, client_access, rate_limit
from icc_assistant.api.schemas import ERRORS, FeedbackIn, FeedbackOut, error_responses
from icc_assistant.api.security import require_admin
from icc_assistant.errors import DocumentError, InvalidQuestionError, NotFoundError
from icc_assistant.index import FileResult

router = APIRouter(prefix="/api", tags=["feedback and documents"])
_SAFE_NAME = re.compile(r"[^\w.\-]+")


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackOut,
    responses=ERRORS,
    dependencies=[Depends(client_access)],
)
async def add_feedback(body: FeedbackIn, request: Request) -> FeedbackOut:
    """Thumbs up or down on an answer, with an optional reason."""
    store = request.app.state.feedback
    new_id = await asyncio.to_thread(
        store.add, body.answer_id, body.rating, body.reason, body.question
    )
    return FeedbackOut(id=new_id)


@router.get(
    "/feedback", responses=ERRORS, dependencies=[Depends(require_admin), Depends(rate_limit)]
)
async def export_feedback(request: Request) -> dict[str, Any]:
    """Every rating, newest first (admin)."""
    return {"items": await asyncio.to_thread(request.app.state.feedback.export)}


@router.post(
    "/documents",
    response_model=FileResult,
    responses=ERRORS,
    dependencies=[Depends(require_admin), Depends(rate_limit)],
)
async def upload_document(
    request: Request, file: Annotated[UploadFile, File(description="A .txt, .md, .html or .pdf")]
) -> FileResult:
    """Ingest one document (admin); the result says added, updated, unchanged or failed."""
    name = _SAFE_NAME.sub("-", Path(file.filename or "").name).strip("-.")
    if not name:
        raise InvalidQuestionError("The upload needs a file name with an extension.")
    assistant = assistant_of(request)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(await file.read())
        try:
            return await asyncio.to_thread(assistant.ingest_file, path, name)
        except DocumentError as exc:  # name the upload, not the temporary path
            raise type(exc)(str(exc).replace(str(path), name), name) from exc


@router.delete(
    "/documents/{doc_id:path}",
    status_code=204,
    responses={**ERRORS, **error_responses(404)},
    dependencies=[Depends(require_admin), Depends(rate_limit)],
)
async def delete_document(doc_id: str, request: Request) -> Response:
    """Remove a document and its chunks (admin)."""
    if not await asyncio.to_thread(assistant_of(request).delete_document, doc_id):
        raise NotFoundError(f"No document {doc_id!r} is indexed.")
    return Response(status_code=204)
