"""Rate limits per key and per client address, and the request body size limit."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from icc_assistant.api.errors import send_error
from icc_assistant.errors import RateLimitedError
from icc_assistant.settings import Settings

WINDOW = 60.0
MAX_IDENTITIES = 100_000


class RateLimiter:
    """A sliding one-minute window of event times per identity (key or address).

    The table forgets an identity a minute after its last event and never holds more than
    `max_identities` (the least recently seen go first), so a flood of addresses costs bounded
    memory and every operation stays O(1) amortised under the lock."""

    def __init__(
        self,
        per_minute: int,
        *,
        what: str = "requests",
        max_identities: int = MAX_IDENTITIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.what = what
        self.max_identities = max_identities
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Identities currently remembered."""
        with self._lock:
            self._forget(self._clock())
            return len(self._hits)

    def check(self, identity: str) -> None:
        """Count an event; raise RateLimitedError if the identity is over the limit."""
        with self._lock:
            now = self._clock()
            hits = self._recent(identity, now)
            self._refuse_if_full(hits, now)
            hits.append(now)

    def refuse_if_over(self, identity: str) -> None:
        """Raise RateLimitedError if the identity is at the limit; count nothing."""
        with self._lock:
            now = self._clock()
            self._refuse_if_full(self._recent(identity, now, create=False), now)

    def count(self, identity: str) -> None:
        """Count an event without refusing it (a failed login, say)."""
        with self._lock:
            now = self._clock()
            self._recent(identity, now).append(now)

    def _recent(self, identity: str, now: float, create: bool = True) -> deque[float]:
        self._forget(now)
        hits = self._hits.get(identity)
        if hits is None:
            if not create:
                return deque()
            hits = self._hits[identity] = deque()
            while len(self._hits) > self.max_identities:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(identity)
        while hits and now - hits[0] > WINDOW:
            hits.popleft()
        return hits

    def _forget(self, now: float) -> None:
        """Drop identities whose last event left the window (the oldest are at the front)."""
        while self._hits:
            oldest = next(iter(self._hits.values()))
            if oldest and now - oldest[-1] <= WINDOW:
                return
            self._hits.popitem(last=False)

    def _refuse_if_full(self, hits: deque[float], now: float) -> None:
        if len(hits) >= self.per_minute:
            retry = max(1, math.ceil(WINDOW - (now - hits[0])))
            raise RateLimitedError(
                f"Too many {self.what}: {self.per_minute} a minute; retry in {retry} s.", retry
            )


@dataclass(frozen=True)
class Limits:
    """The service's limiters: requests, failed key checks and widget tokens, per identity."""

    requests: RateLimiter
    auth_failures: RateLimiter
    widget_tokens: RateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            requests=RateLimiter(settings.rate_limit_per_minute),
            auth_failures=RateLimiter(settings.auth_failures_per_minute, what="failed key checks"),
            widget_tokens=RateLimiter(settings.widget_tokens_per_minute, what="widget tokens"),
        )


class BodySizeLimit:
    """ASGI middleware: refuse bodies over the limit with 413, declared or streamed.

    A streamed (chunked) body that grows past the limit is answered with 413 at once; the app
    then sees the client as gone, and whatever it tries to answer is dropped."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_max_bytes if scope["path"] == "/api/documents" else self.max_bytes
        message = f"The request body is over the {limit:,}-byte limit."
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, message)
            return
        seen = 0
        refused = started = False

        async def limited() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            received = await receive()
            if received["type"] == "http.request":
                seen += len(received.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        await _refuse(scope, send, message)
                    return {"type": "http.disconnect"}
            return received

        async def unless_refused(sent: Message) -> None:
            nonlocal started
            if not refused:
                started = started or sent["type"] == "http.response.start"
                await send(sent)

        await self.app(scope, limited, unless_refused)


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    """Answer 413 in the common error shape without reading the body."""
    request_id = scope.get("state", {}).get("request_id")
    await send_error(send, 413, "payload_too_large", message, request_id, close=True)
