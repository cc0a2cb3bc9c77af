"""Dependencies shared by the routers: the assistant, rate limiting, request checks."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Query, Request

from icc_assistant.answer import AnswerRequest
from icc_assistant.api.limits import REQUEST_COST, Limits
from icc_assistant.api.schemas import ChatRequest, FiltersIn
from icc_assistant.api.security import (
    client_identity,
    is_known,
    key_identity,
    presented_key,
    require_admin,
    require_client,
)
from icc_assistant.assistant import Assistant
from icc_assistant.documents import DocType, Filters
from icc_assistant.errors import InvalidQuestionError, PermissionDeniedError
from icc_assistant.language import language_from_hints
from icc_assistant.settings import Settings


def assistant_of(request: Request) -> Assistant:
    """The process's Assistant (opened at start-up)."""
    assistant: Assistant = request.app.state.assistant
    return assistant


def _count_address(request: Request, cost: int = REQUEST_COST) -> None:
    limits: Limits = request.app.state.limits
    limits.requests.check(client_identity(request), cost)


def _count_key(request: Request, key: str | None, cost: int = REQUEST_COST) -> None:
    if key is not None:
        limits: Limits = request.app.state.limits
        limits.requests.check(key_identity(key), cost)


def _valid_key(request: Request) -> str | None:
    settings: Settings = request.app.state.settings
    key = presented_key(request)
    if key is not None and is_known(key, settings.api_keys + settings.all_admin_keys):
        return key
    return None


def rate_limit(request: Request, cost: int = REQUEST_COST) -> None:
    """Count the request's cost against its address, and against its key when the key is
    valid."""
    _count_address(request, cost)
    _count_key(request, _valid_key(request), cost)


def charge(request: Request, cost: int) -> None:
    """Count what a request costs beyond the unit every request paid at the door, once its
    body says (a long question, a briefing note); 429 when the budget does not hold it. A
    cost over the whole budget spends all of it."""
    limits: Limits = request.app.state.limits
    extra = min(cost, limits.requests.per_minute) - REQUEST_COST
    if extra > 0:
        rate_limit(request, extra)


def client_access(request: Request) -> None:
    """What every chat and search route needs: address limit, then key check, then key limit.

    The address is counted first, so requests with wrong keys are limited like any other."""
    _count_address(request)
    _count_key(request, require_client(request))


# Methods that only read: a page on another site gains nothing by making a browser send them.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, netloc: str) -> str | None:
    """`scheme://host:port`, lower case, the port always written; None if it is no origin."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    extra = parts.path or parts.query or parts.fragment or parts.username or parts.password
    if not parts.hostname or port is None or extra:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


def _own_origin(request: Request) -> str | None:
    return _origin(request.url.scheme, request.headers.get("host", ""))


def check_origin(request: Request) -> None:
    """Refuse a state-changing request a browser sent from a foreign page.

    The admin console keeps its key in sessionStorage, so a page on another site cannot read
    it; this is the second wall. A browser names the page's origin in `Origin`; a request
    that carries one must come from this service's own origin (scheme, host and port of the
    request) or from ICC_CORS_ORIGINS. Requests without `Origin` (curl, scripts) pass."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is None:
        return
    scheme, _, netloc = origin.strip().partition("://")
    claimed = _origin(scheme.lower(), netloc) if netloc else None
    settings: Settings = request.app.state.settings
    allowed = {_own_origin(request)} | {
        _origin(*o.lower().split("://", 1)) for o in settings.cors_origins
    }
    if claimed is None or claimed not in allowed:
        raise PermissionDeniedError(
            f"Admin changes are refused from the web page at {origin[:200]!r}: only this "
            "service's own origin and ICC_CORS_ORIGINS may send them from a browser."
        )


def admin_access(request: Request) -> None:
    """What every admin route needs: address limit, the Origin check for changes, admin key
    check, then the key's limit."""
    _count_address(request)
    check_origin(request)
    require_admin(request)
    _count_key(request, presented_key(request))


def query_filters(
    city: Annotated[str | None, Query(max_length=100)] = None,
    country: Annotated[str | None, Query(max_length=100)] = None,
    year_from: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    year_to: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    doc_type: Annotated[DocType | None, Query()] = None,
    topic: Annotated[str | None, Query(max_length=100)] = None,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
) -> Filters:
    """The filter query parameters every library route takes, as the body's `filters` are
    checked (FiltersIn); values the index does not know (a city, year_from after year_to)
    are refused where the documents are matched, as InvalidFilterError (422)."""
    return FiltersIn(
        city=city,
        country=country,
        year_from=year_from,
        year_to=year_to,
        doc_type=doc_type,
        topic=topic,
        language=language,
    ).to_domain()


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
