"""POST /api/brief: an enquiry -> a briefing note (Markdown, HTML, DOCX or its JSON)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from icc_assistant.api.limits import Limits, brief_cost
from icc_assistant.api.routes.deps import answer_request, assistant_of, charge, client_access
from icc_assistant.api.schemas import ERRORS, BriefRequest
from icc_assistant.brief import FORMATS, Brief, build_brief, file_name, render_brief

router = APIRouter(
    prefix="/api", tags=["brief"], dependencies=[Depends(client_access)], responses=ERRORS
)


@router.post(
    "/brief",
    response_class=Response,
    responses={
        200: {
            "description": "The note as a file to download; with format json, its structure.",
            "content": {
                FORMATS["md"].media_type: {"schema": {"type": "string"}},
                FORMATS["html"].media_type: {"schema": {"type": "string"}},
                FORMATS["docx"].media_type: {"schema": {"type": "string", "format": "binary"}},
                "application/json": {
                    "schema": {"type": "object", "description": "The Brief structure."}
                },
            },
        }
    },
)
async def brief(body: BriefRequest, request: Request) -> Response:
    """Turn an enquiry into a briefing note in the enquirer's language: summary, practices by
    city, ICC recommendations, numbered sources with links, and the state of the material.
    A note costs several chats of the caller's rate limit (more for a long enquiry, more as
    DOCX), and notes are written a few at a time."""
    assistant = assistant_of(request)
    chat = body.as_chat()
    question = answer_request(assistant.settings, chat, request.headers.get("accept-language"))
    charge(request, brief_cost(question.question, docx=body.format == "docx"))
    filters = chat.filters.to_domain() if chat.filters else None

    def write() -> tuple[Brief, bytes]:
        note = build_brief(assistant, question, filters)
        return note, render_brief(note, body.format)

    limits: Limits = request.app.state.limits
    async with limits.heavy_work.turn():
        note, data = await asyncio.to_thread(write)
    return Response(
        content=data,
        media_type=FORMATS[body.format].media_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name(note, body.format)}"'},
    )
