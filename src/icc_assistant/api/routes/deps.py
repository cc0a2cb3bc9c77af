"""Dependencies shared by the routers: the assistant, rate limiting, request checks."""

from __future__ import annotations

from fastapi import Request

from icc_assistant.answer import AnswerRequest
from icc_assistant.api.schemas import ChatRequest
from icc_assistant.api.security import presented_key, require_client
from icc_assistant.assistant import Assistant
from icc_assistant.errors import InvalidQuestionError
from icc_assistant.settings import Settings


def assistant_of(request: Request) -> Assistant:
    """The process's Assistant (opened at start-up)."""
    assistant: Assistant = request.app.state.assistant
    return assistant


def rate_limit(request: Request) -> None:
    """Count the request against its key and its address."""
    limiter = request.app.state.limiter
    key = presented_key(request)
    if key is not None:
        limiter.check(f"key:{key}")
    client = request.client.host if request.client else "unknown"
    limiter.check(f"ip:{client}")


def client_access(request: Request) -> None:
    """Key check, then rate limit: what every chat and search route needs."""
    require_client(request)
    rate_limit(request)


def answer_request(settings: Settings, body: ChatRequest) -> AnswerRequest:
    """The domain request, after the configured question and history limits."""
    question = body.question.strip()
    if not question:
        raise InvalidQuestionError("The question is empty: type what you want to know.")
    if len(question) > settings.max_question_chars:
        raise InvalidQuestionError(
            f"The question has {len(question)} characters; the limit is "
            f"{settings.max_question_chars}."
        )
    if len(body.history) > settings.max_history_turns:
        raise InvalidQuestionError(
            f"The history has {len(body.history)} turns; the limit is {settings.max_history_turns}."
        )
    if sum(len(t.content) for t in body.history) > settings.max_history_chars:
        raise InvalidQuestionError(
            f"The history is over {settings.max_history_chars} characters; send fewer turns."
        )
    return AnswerRequest(
        question=question,
        history=tuple(t.to_domain() for t in body.history),
        language=body.language,
    )
