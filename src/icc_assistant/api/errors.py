"""Every error becomes one JSON shape, `{"error": {"type", "message", "request_id"}}`."""

from __future__ import annotations

import json
import re

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from icc_assistant import errors as domain

log = structlog.get_logger("icc_assistant.api")

STATUS: tuple[tuple[type[domain.ICCAssistantError], int], ...] = (
    (domain.InvalidQuestionError, 422),
    (domain.InvalidFilterError, 422),
    (domain.InvalidRequestError, 422),
    (domain.DocumentTooLargeError, 413),
    (domain.UnsupportedDocumentError, 415),
    (domain.DocumentError, 422),
    (domain.AuthenticationError, 401),
    (domain.PermissionDeniedError, 403),
    (domain.NotFoundError, 404),
    (domain.PayloadTooLargeError, 413),
    (domain.RateLimitedError, 429),
    (domain.SyncBusyError, 409),
    (domain.SyncError, 422),
    (domain.IndexError_, 503),
    (domain.ModelUnavailableError, 503),
    (domain.FeedbackUnavailableError, 503),
    (domain.GapsUnavailableError, 503),
    (domain.ApprovedAnswersUnavailableError, 503),
)


async def send_error(
    send: Send,
    status: int,
    kind: str,
    message: str,
    request_id: str | None,
    *,
    close: bool = False,
) -> None:
    """Answer with the common error shape from ASGI middleware, below FastAPI's handlers;
    `close` asks the client to drop the connection (its body was not read)."""
    body = json.dumps(
        {"error": {"type": kind, "message": message, "request_id": request_id}}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def error_type(exc: BaseException) -> str:
    """`InvalidQuestionError` -> `invalid_question`."""
    name = type(exc).__name__.removesuffix("Error").rstrip("_")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def error_response(
    request: Request, status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"type": kind, "message": message, "request_id": request_id_of(request)}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: domain.ICCAssistantError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, domain.ICCAssistantError)
    status = status_of(exc)
    headers = (
        {"Retry-After": str(exc.retry_after)} if isinstance(exc, domain.RateLimitedError) else None
    )
    if status >= 500:
        log.error("request failed", error=error_type(exc), detail=str(exc))
        if status == 500:
            return error_response(request, 500, "internal", "The server could not answer.")
    return error_response(request, status, error_type(exc), str(exc), headers)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg', '')}"
        for e in exc.errors()[:5]
    )
    return error_response(request, 422, "invalid_request", problems or "Invalid request.")


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(request, exc.status_code, kind, str(exc.detail), dict(exc.headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the same shape (RequestContext answers
    exceptions none of them takes)."""
    app.add_exception_handler(domain.ICCAssistantError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
