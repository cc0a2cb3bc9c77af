"""Structured logs (structlog) with a request id on every line; questions stay out of INFO.

No line shows a configured key or secret, nor the local variables of a traceback: exceptions
are rendered as plain tracebacks (a rich traceback with locals once printed every key in the
settings and took seconds per request), then every string is scrubbed of the secrets.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from icc_assistant.api.errors import send_error
from icc_assistant.settings import Settings

log = structlog.get_logger("icc_assistant.api")

REDACTED = "[redacted]"
# A client's X-Request-ID is kept only if it looks like an id: no spaces, quotes or `=` that
# would make a log line say something the server did not.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Credentials in header-like text, whatever their value: "Bearer x", "api-key: x", "X-API-Key=x".
_CREDENTIAL = re.compile(r"(?i)(bearer\s+|api[-_]key['\"]?\s*[:=]\s*['\"]?)[^\s'\",;]+")


class SecretRedactor:
    """A structlog processor that replaces configured secrets and credentials in every value."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """`text` with every secret and credential replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _CREDENTIAL.sub(lambda m: m.group(1) + REDACTED, text)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self.redact(repr(value))

    def __call__(
        self, logger: Any, method: str, event_dict: structlog.types.EventDict
    ) -> structlog.types.EventDict:
        return {key: self._clean(value) for key, value in event_dict.items()}


# A library's log message is cut here: the MCP SDK logs every request it cannot validate with
# dozens of validation errors, and a client can send thousands.
MAX_LIBRARY_MESSAGE = 500


class _RedactingRecords:
    """A log record factory whose records carry their message (and traceback) already
    scrubbed and cut short: libraries that log through the standard library (the MCP SDK logs
    the requests it cannot validate) never reach structlog's processors."""

    def __init__(self, make: Callable[..., logging.LogRecord], redactor: SecretRedactor) -> None:
        self.make = make
        self.redactor = redactor

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format
            message = f"{record.msg} {record.args!r}"
        if len(message) > MAX_LIBRARY_MESSAGE:
            message = f"{message[:MAX_LIBRARY_MESSAGE]}... ({len(message):,} characters)"
        record.msg, record.args = self.redactor.redact(message), None
        if record.exc_info:
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text, record.exc_info = self.redactor.redact(text.rstrip()), None
        return record


def _redact_standard_logging(redactor: SecretRedactor) -> None:
    """Install (or replace) the redacting record factory."""
    make = logging.getLogRecordFactory()
    if isinstance(make, _RedactingRecords):
        make = make.make
    logging.setLogRecordFactory(_RedactingRecords(make, redactor))


def configure_logging(settings: Settings) -> None:
    """Console or JSON lines, at the configured level, never showing secrets or locals."""
    _redact_standard_logging(SecretRedactor(settings.secret_values))
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,  # a plain traceback: no local variables
            SecretRedactor(settings.secret_values),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(settings.log_level)
        ),
        cache_logger_on_first_use=False,
    )


class RequestContext:
    """ASGI middleware: a request id (from X-Request-ID or new), bound to logs and echoed.

    It is also the last line of defence: an exception no handler took is logged once (plain
    traceback, secrets scrubbed) and answered with the common 500 shape, instead of reaching
    the server, which would log it again with the request's headers in reach."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # noqa: BLE001 - logged here, answered in the common shape
            log.exception("unexpected error", path=scope["path"])
            if not response_started:
                await _internal_error(send_with_id, request_id)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.clear_contextvars()


async def _internal_error(send: Send, request_id: str) -> None:
    await send_error(send, 500, "internal", "The server could not answer.", request_id)
