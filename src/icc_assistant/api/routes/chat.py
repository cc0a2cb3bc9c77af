"""POST /api/chat (JSON) and POST /api/chat/stream (Server-Sent Events)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import structlog
from fastapi import APIRouter, Depends, Request
from sse_starlette.sse import EventSourceResponse

from icc_assistant.answer import AnswerDoneEvent, AnswerRequest, TokenEvent
from icc_assistant.api.errors import error_type
from icc_assistant.api.limits import question_cost
from icc_assistant.api.pacing import joined_tokens
from icc_assistant.api.routes.deps import answer_request, assistant_of, charge, client_access
from icc_assistant.api.schemas import ERRORS, ChatRequest
from icc_assistant.assistant import Assistant, MetaEvent
from icc_assistant.documents import Answer, RetrievalResult
from icc_assistant.errors import ICCAssistantError

router = APIRouter(
    prefix="/api", tags=["chat"], dependencies=[Depends(client_access)], responses=ERRORS
)
log = structlog.get_logger("icc_assistant.api")


def event_stream(events: list[str] | None) -> dict[str, Any]:
    """OpenAPI content of a Server-Sent Events response; (3.1) its schema is one event's."""
    name: dict[str, Any] = {"type": "string", "enum": events} if events else {"type": "string"}
    event = {
        "type": "object",
        "required": ["data"],
        "properties": {"event": name, "data": {"type": "string"}, "id": {"type": "string"}},
    }
    return {"text/event-stream": {"schema": event}}


@router.post("/chat", response_model=Answer)
async def chat(body: ChatRequest, request: Request) -> Answer:
    """Answer a question with numbered citations."""
    assistant = assistant_of(request)
    question = answer_request(assistant.settings, body, request.headers.get("accept-language"))
    charge(request, question_cost(question.question))
    filters = body.filters.to_domain() if body.filters else None
    return await asyncio.to_thread(assistant.ask, question, filters=filters)


@router.post(
    "/chat/stream",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "Server-Sent Events; each data field is a JSON object",
            "content": event_stream(["meta", "token", "citations", "done", "error"]),
        },
    },
)
async def chat_stream(body: ChatRequest, request: Request) -> EventSourceResponse:
    """The same answer as Server-Sent Events: meta, token..., citations, done (or error)."""
    assistant = assistant_of(request)
    question = answer_request(assistant.settings, body, request.headers.get("accept-language"))
    charge(request, question_cost(question.question))
    filters = body.filters.to_domain() if body.filters else None
    retrieval = await asyncio.to_thread(assistant.retrieve_for, question, filters)
    return EventSourceResponse(sse_events(assistant, question, retrieval), ping=10)


def _done(answer: Answer) -> dict[str, Any]:
    return {
        "answer_id": answer.answer_id,
        "status": answer.status,
        "model": answer.model,
        "notice": answer.notice,
        "language": answer.language,
        "approved": answer.approved.model_dump(mode="json") if answer.approved else None,
    }


async def sse_events(
    assistant: Assistant, question: AnswerRequest, retrieval: RetrievalResult
) -> AsyncIterator[dict[str, str]]:
    """The answer's events as SSE messages; a failure becomes an `error` event."""
    try:
        async for event in joined_tokens(assistant.stream_retrieved(question, retrieval)):
            if isinstance(event, MetaEvent):
                yield {"event": "meta", "data": event.model_dump_json(exclude={"kind"})}
            elif isinstance(event, TokenEvent):
                yield {"event": "token", "data": json.dumps({"text": event.text})}
            elif isinstance(event, AnswerDoneEvent):
                answer = event.answer
                citations = [c.model_dump(mode="json") for c in answer.citations]
                evidence = [g.model_dump(mode="json") for g in answer.evidence]
                data = {"citations": citations, "evidence": evidence}
                yield {"event": "citations", "data": json.dumps(data)}
                yield {"event": "done", "data": json.dumps(_done(event.answer))}
    except ICCAssistantError as exc:
        yield {"event": "error", "data": json.dumps({"type": error_type(exc), "message": str(exc)})}
    except Exception:  # noqa: BLE001 - logged, never shown
        log.exception("stream failed")
        yield {
            "event": "error",
            "data": json.dumps({"type": "internal", "message": "The answer failed."}),
        }
