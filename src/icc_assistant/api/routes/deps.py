"""Dependencies shared by the routers: the assistant, rate limiting, request checks."""

from __future__ import annotations

from fastapi import Request

from icc_assistant.answer import AnswerRequest
from icc_assistant.api.limits import Limits
from icc_assistant.api.schemas import ChatRequest
from icc_assistant.api.security import (
    client_address,
    is_known,
    key_identity,
    presented_key,
    require_admin,
    require_client,
    require_same_site,
)
from icc_assistant.assistant import Assistant
from icc_assistant.errors import InvalidQuestionError
from icc_assistant.language import language_from_hints
from icc_assistant.settings import Settings


def assistant_of(request: Request) -> Assistant:
    """The process's Assistant (opened at start-up)."""
    assistant: Assistant = request.app.state.assistant
    return assistant


def _count_address(request: Request) -> None:
    limits: Limits = request.app.state.limits
    limits.requests.check(f"ip:{client_address(request)}")


def _count_key(request: Request, key: str | None) -> None:
    if key is not None:
        limits: Limits = request.app.state.limits
        limits.requests.check(key_identity(key))


def rate_limit(request: Request) -> None:
    """Count the request against its address, and against its key when the key is valid."""
    _count_address(request)
    settings: Settings = request.app.state.settings
    key = presented_key(request)
    if key is not None and is_known(key, settings.api_keys + settings.admin_keys):
        _count_key(request, key)


def client_access(request: Request) -> None:
    """What every chat and search route needs: address limit, then key check, then key limit.

    The address is counted first, so requests with wrong keys are limited like any other."""
    _count_address(request)
    _count_key(request, require_client(request))


def admin_access(request: Request) -> None:
    """What every admin route needs: address limit, same-site origin, admin key check, then
    the key's limit."""
    _count_address(request)
    require_same_site(request)
    require_admin(request)
    _count_key(request, presented_key(request))


def accepted_languages(header: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (q=0 left out)."""
    weighted = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = params.strip().removeprefix("q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def answer_request(
    settings: Settings, body: ChatRequest, accept_language: str | None = None
) -> AnswerRequest:
    """The domain request, after the configured question and history limits.

    The answer language is the `language` asked for; else, for a question too short to tell
    its own, the caller's `language_hint`, then its Accept-Language; else the question's."""
    question = body.question.strip()
    if not question:
        raise InvalidQuestionError("The question is empty: type what you want to know.")
    if not any(ch.isalnum() for ch in question):  # only emoji, punctuation or invisible marks
        raise InvalidQuestionError("The question has no words: type what you want to know.")
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
    hints = [body.language_hint, *accepted_languages(accept_language)]
    return AnswerRequest(
        question=question,
        history=tuple(t.to_domain() for t in body.history),
        language=body.language or language_from_hints(question, hints),
    )
