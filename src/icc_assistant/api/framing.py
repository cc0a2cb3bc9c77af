"""No page of the service may be framed by another site's page (clickjacking).

Every response says so twice, for old browsers and new: `X-Frame-Options: DENY`, and
`frame-ancestors 'none'` in its Content-Security-Policy (added to a page's own policy, or as a
policy of its own). The chat widget needs no exception: it runs inside its host page, in a
shadow root, and is never framed; its script and modules are loaded, not framed.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FRAME_ANCESTORS = b"frame-ancestors 'none'"


class NoFraming:
    """ASGI middleware: every HTTP response forbids framing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def unframeable(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _unframeable(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, unframeable)


def _unframeable(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers, each policy forbidding framing, X-Frame-Options DENY."""
    kept: list[tuple[bytes, bytes]] = []
    has_policy = False
    for name, value in headers:
        lower = name.lower()
        if lower == b"x-frame-options":
            continue
        if lower == b"content-security-policy":
            has_policy = True
            if b"frame-ancestors" not in value:
                value = value.rstrip(b"; ") + b"; " + FRAME_ANCESTORS
        kept.append((name, value))
    if not has_policy:
        kept.append((b"content-security-policy", FRAME_ANCESTORS))
    kept.append((b"x-frame-options", b"DENY"))
    return kept
