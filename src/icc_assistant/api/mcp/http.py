"""MCP over Streamable HTTP at /mcp of the FastAPI app: stateless, JSON responses.

Requests pass the same key check as /api/chat (`require_client`) before the SDK sees them, so
a missing or unknown key is a 401 in the common error shape. Every request counts against the
same per-key and per-address limits as an HTTP request, but the handshake (initialize): a
well-formed tool call or resource read is counted by the server (over the limit it is a tool
error), anything else here (429).
A body that is not JSON or nests deeper than MAX_JSON_DEPTH, and a tool call or resource read
without the fields it needs, are counted and answered 422 before the SDK parses them; GET,
which would hold a server-sent event stream open that a stateless server never uses, is a 405.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from icc_assistant.api.errors import error_response, error_type, status_of
from icc_assistant.api.limits import REQUEST_COST
from icc_assistant.api.mcp.server import ICCServer
from icc_assistant.api.routes.deps import rate_limit
from icc_assistant.api.security import require_client
from icc_assistant.assistant import Assistant
from icc_assistant.errors import (
    ICCAssistantError,
    InvalidRequestError,
    PermissionDeniedError,
)
from icc_assistant.settings import Settings

PATH = "/mcp"
MAX_JSON_DEPTH = 64
# Messages the server admits itself, one call at a time (with the tool error shape).
_COUNTED_BY_SERVER = frozenset({"tools/call", "resources/read"})
# The handshake that opens a session: answered from memory, and a client refused it (429)
# would never get as far as the tool call the limit is there to count.
_HANDSHAKE = frozenset({"initialize", "notifications/initialized"})


def check_origin(request: Request, settings: Settings) -> None:
    """A browser may call /mcp only from an origin in ICC_CORS_ORIGINS.

    The MCP specification asks servers to validate Origin against DNS rebinding: a page whose
    name was re-pointed at this server sends its own origin, which is never a listed one.
    Clients outside browsers send no Origin.
    """
    origin = request.headers.get("origin")
    if origin is not None and origin not in settings.cors_origins:
        raise PermissionDeniedError(
            f"Origin {origin} may not call /mcp; list it in ICC_CORS_ORIGINS to allow it."
        )


class ClientGuard:
    """ASGI: admits a request to the MCP endpoint only as the chat routes would admit it."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            check_origin(request, self.settings)
            require_client(request)
            if request.method == "GET":
                await self._refuse(request, 405, "method_not_allowed", scope, receive, send)
                return
            body = await request.body() if request.method == "POST" else b""
            _admit(request, body)
        except ICCAssistantError as exc:
            status = status_of(exc)
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            response = error_response(request, status, error_type(exc), str(exc), headers)
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(
        self, request: Request, status: int, kind: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        message = "This stateless server streams no events; POST JSON-RPC messages to /mcp."
        response = error_response(request, status, kind, message, {"Allow": "POST, DELETE"})
        await response(scope, receive, send)


def _admit(request: Request, body: bytes) -> None:
    """Count the request here unless the server counts it (a well-formed call or read); a
    malformed body is counted, then refused."""
    try:
        counted_by_server = request.method == "POST" and _counted_by_server(body)
    except InvalidRequestError:
        rate_limit(request)
        raise
    if not counted_by_server:
        rate_limit(request)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` that hands the already read body to the SDK first."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counted_by_server(body: bytes) -> bool:
    """True for one well-formed tool call or resource read (and the handshake, which is not
    counted at all); InvalidRequestError (422) for a body that is not JSON or nests too deep,
    and for a malformed call or read."""
    try:
        message = json.loads(body) if body else None
    except (ValueError, RecursionError) as exc:
        raise InvalidRequestError("The body is not valid JSON.") from exc
    if _depth(message) > MAX_JSON_DEPTH:
        raise InvalidRequestError(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
    if isinstance(message, dict) and message.get("method") in _HANDSHAKE:
        if message["method"] == "initialize" and not isinstance(message.get("params"), dict):
            raise InvalidRequestError("initialize needs params with the right fields.")
        return True
    if not isinstance(message, dict) or message.get("method") not in _COUNTED_BY_SERVER:
        return False
    params = message.get("params")
    if message["method"] == "resources/read":
        well_formed = isinstance(params, dict) and isinstance(params.get("uri"), str)
    else:
        well_formed = (
            isinstance(params, dict)
            and isinstance(params.get("name"), str)
            and isinstance(params.get("arguments", {}), dict)
        )
    if not well_formed:  # refused here: the SDK would log each one with its traceback
        raise InvalidRequestError(f"{message['method']} needs params with the right fields.")
    return True


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (iteratively)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def admit_http(request: Request | None, cost: int = REQUEST_COST) -> None:
    """Count a tool call or resource read against its key and address, as a request is,
    at its cost (a question's, for the tools that take one)."""
    if request is not None:
        rate_limit(request, cost)


def mount_mcp(app: FastAPI, settings: Settings) -> ICCServer:
    """Serve MCP at /mcp; the caller runs `server.session_manager.run()` in its lifespan."""

    def assistant() -> Assistant:
        opened: Assistant = app.state.assistant
        return opened

    server = ICCServer(settings, assistant, admit_http)
    server.streamable_http_app()  # creates the session manager; its own Starlette app is unused
    manager = server.session_manager
    app.router.routes.append(Route(PATH, ClientGuard(manager.handle_request, settings)))
    return server
