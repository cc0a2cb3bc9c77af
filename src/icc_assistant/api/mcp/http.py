"""MCP over Streamable HTTP at /mcp of the FastAPI app: stateless, JSON responses.

Requests pass the same key check as /api/chat (`require_client`) before the SDK sees them, so
a missing or unknown key is a 401 in the common error shape; each tool call is then counted
against the same per-key and per-address limits as an HTTP request.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from icc_assistant.api.errors import error_response, error_type, status_of
from icc_assistant.api.mcp.server import ICCServer
from icc_assistant.api.routes.deps import rate_limit
from icc_assistant.api.security import require_client
from icc_assistant.assistant import Assistant
from icc_assistant.errors import AccessError, PermissionDeniedError
from icc_assistant.settings import Settings

PATH = "/mcp"


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
        request = Request(scope)
        try:
            check_origin(request, self.settings)
            require_client(request)
        except AccessError as exc:
            status = status_of(exc)
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            response = error_response(request, status, error_type(exc), str(exc), headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def admit_http(request: Request | None) -> None:
    """Count a tool call or resource read against its key and address, as a request is."""
    if request is not None:
        rate_limit(request)


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
