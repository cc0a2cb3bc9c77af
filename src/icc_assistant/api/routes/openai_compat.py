"""An OpenAI-compatible API (/v1) so the openai client and LangChain's ChatOpenAI just work.

Citations survive three ways: extra `citations` and `evidence` fields (the quoted sentences by
document, answer.evidence), a final chunk carrying them before `[DONE]` when streaming, and a
readable "Sources" list at the end of the content.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from icc_assistant.answer import AnswerDoneEvent, TokenEvent
from icc_assistant.answer.messages import message
from icc_assistant.api.errors import error_type
from icc_assistant.api.limits import question_cost
from icc_assistant.api.pacing import joined_tokens
from icc_assistant.api.routes.chat import event_stream
from icc_assistant.api.routes.deps import answer_request, assistant_of, charge, client_access
from icc_assistant.api.schemas import (
    ERRORS,
    MOST_SYSTEM_MESSAGES,
    ChatRequest,
    OpenAIChatRequest,
    TurnIn,
)
from icc_assistant.assistant import MetaEvent
from icc_assistant.documents import Answer, Citation
from icc_assistant.errors import ICCAssistantError, InvalidQuestionError

router = APIRouter(
    prefix="/v1",
    tags=["openai-compatible"],
    dependencies=[Depends(client_access)],
    responses=ERRORS,
)
log = structlog.get_logger("icc_assistant.api")


def sources_text(citations: Sequence[Citation]) -> str:
    """The readable list appended to the content."""
    if not citations:
        return ""
    lines = ["", "", "Sources:"]
    for c in citations:
        where = ", ".join(str(x) for x in (c.city, c.country, c.year) if x)
        parts = [c.title, where, c.section, c.url or c.source]
        lines.append(f"[{c.number}] " + " - ".join(p for p in parts if p))
    return "\n".join(lines)


def reviewed_text(answer: Answer) -> str:
    """For an approved answer, the line saying when the secretariat reviewed it (a client of
    this API sees only the content)."""
    if answer.approved is None:
        return ""
    day = answer.approved.approved_at.isoformat()
    return f"\n\n_{message(answer.language, 'approved_reviewed', date=day)}_"


def _approved(answer: Answer) -> dict[str, Any] | None:
    return answer.approved.model_dump(mode="json") if answer.approved else None


def to_chat_request(body: OpenAIChatRequest) -> ChatRequest:
    """The last user message is the question; earlier user/assistant turns are history."""
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if len(body.messages) - len(turns) > MOST_SYSTEM_MESSAGES:
        raise InvalidQuestionError(
            f"Send at most {MOST_SYSTEM_MESSAGES} messages besides the user's and the assistant's"
            " (system, developer, tool)."
        )
    if not turns or turns[-1].role != "user":
        raise InvalidQuestionError("The last message must be the user's question.")
    try:
        history = [TurnIn(role=m.role, content=m.text()) for m in turns[:-1]]
        return ChatRequest(question=turns[-1].text(), history=history)
    except ValidationError as exc:  # a message over the parser's ceiling
        raise InvalidQuestionError(_too_long(exc)) from exc


def _too_long(exc: ValidationError) -> str:
    """What was wrong, without the rejected text (pydantic would quote it)."""
    where = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:3])
    return f"A message is too long or malformed ({where}); send shorter messages."


def _cite(citations: Sequence[Citation]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in citations]


def _evidence(answer: Answer) -> list[dict[str, Any]]:
    return [g.model_dump(mode="json") for g in answer.evidence]


def completion(answer: Answer, profile: str) -> dict[str, Any]:
    """A chat.completion object with the answer, its Sources list and citations."""
    return {
        "id": f"chatcmpl-{answer.answer_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": profile,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": answer.text + reviewed_text(answer) + sources_text(answer.citations),
                },
                "finish_reason": "stop",
            }
        ],
        "usage": answer.usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": _cite(answer.citations),
        "evidence": _evidence(answer),
        "answer": {
            "answer_id": answer.answer_id,
            "status": answer.status,
            "language": answer.language,
            "model": answer.model,
            "notice": answer.notice,
            "approved": _approved(answer),
        },
    }


@router.get("/models")
async def models(request: Request) -> dict[str, Any]:
    """The assistant profile, as the one model this API serves."""
    profile = assistant_of(request).settings.profile
    return {
        "object": "list",
        "data": [{"id": profile, "object": "model", "created": 0, "owned_by": "icc"}],
    }


@router.post(
    "/chat/completions",
    response_model=None,
    responses={
        200: {
            "description": "A chat completion, or chunks as Server-Sent Events with stream=true",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                **event_stream(None),
            },
        },
    },
)
async def chat_completions(body: OpenAIChatRequest, request: Request) -> Any:
    """Chat completion over the ICC material, streamed or not."""
    assistant = assistant_of(request)
    question = answer_request(
        assistant.settings, to_chat_request(body), request.headers.get("accept-language")
    ).model_copy(update={"max_tokens": body.token_limit})
    charge(request, question_cost(question.question))
    profile = assistant.settings.profile
    if not body.stream:
        answer = await asyncio.to_thread(assistant.ask, question)
        return completion(answer, profile)
    retrieval = await asyncio.to_thread(assistant.retrieve_for, question, None)

    async def chunks() -> AsyncIterator[str]:
        chunk_id = f"chatcmpl-{uuid.uuid4().hex}"
        try:
            async for event in joined_tokens(assistant.stream_retrieved(question, retrieval)):
                if isinstance(event, MetaEvent):  # first: the chunks carry the answer's id
                    chunk_id = f"chatcmpl-{event.answer_id}"
                elif isinstance(event, TokenEvent):
                    yield _chunk(chunk_id, profile, {"content": event.text})
                elif isinstance(event, AnswerDoneEvent):
                    answer = event.answer
                    closing = reviewed_text(answer) + sources_text(answer.citations)
                    yield _chunk(chunk_id, profile, {"content": closing})
                    yield _chunk(
                        chunk_id,
                        profile,
                        {},
                        finish="stop",
                        citations=_cite(answer.citations),
                        evidence=_evidence(answer),
                        approved=_approved(answer),
                    )
        except ICCAssistantError as exc:
            error = {"error": {"type": error_type(exc), "message": str(exc)}}
            yield f"data: {json.dumps(error)}\n\n"
        except Exception:  # noqa: BLE001 - logged, never shown
            log.exception("stream failed")
            yield f"data: {json.dumps({'error': {'type': 'internal', 'message': 'failed'}})}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(
        chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


def _chunk(
    chunk_id: str,
    profile: str,
    delta: dict[str, Any],
    finish: str | None = None,
    citations: list[dict[str, Any]] | None = None,
    evidence: list[dict[str, Any]] | None = None,
    approved: dict[str, Any] | None = None,
) -> str:
    body: dict[str, Any] = {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": profile,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if citations is not None:
        body["citations"] = citations
    if evidence is not None:
        body["evidence"] = evidence
    if approved is not None:
        body["approved"] = approved
    return f"data: {json.dumps(body)}\n\n"
