"""Rate limits per key and per client address, and the request body size limit."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import defaultdict, deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from icc_assistant.errors import PayloadTooLargeError, RateLimitedError

WINDOW = 60.0
UNLIMITED_PATHS = ("/health", "/ready", "/docs", "/openapi.json", "/widget.js", "/favicon.ico")


class RateLimiter:
    """A sliding one-minute window of request times per identity (key or address)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, identity: str) -> None:
        """Count a request; raise RateLimitedError over the limit."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits[identity]
            while hits and now - hits[0] > WINDOW:
                hits.popleft()
            if len(hits) >= self.per_minute:
                retry = max(1, math.ceil(WINDOW - (now - hits[0])))
                raise RateLimitedError(
                    f"Too many requests: {self.per_minute} a minute; retry in {retry} s.", retry
                )
            hits.append(now)
            if len(self._hits) > 100_000:  # bound memory under a flood of addresses
                for key in [k for k, v in self._hits.items() if not v][:50_000]:
                    del self._hits[key]


class BodySizeLimit:
    """ASGI middleware: refuse bodies over the limit (413), declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_max_bytes if scope["path"] == "/api/documents" else self.max_bytes
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, f"The request body is over the {limit:,}-byte limit.")
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLargeError(
                        f"The request body is over the {limit:,}-byte limit."
                    )
            return message

        await self.app(scope, limited, send)


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    """Answer 413 in the common error shape without reading the body."""
    request_id = scope.get("state", {}).get("request_id")
    body = json.dumps(
        {"error": {"type": "payload_too_large", "message": message, "request_id": request_id}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
