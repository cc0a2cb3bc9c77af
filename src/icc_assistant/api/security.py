"""API keys by scope, and which browser origins may use the API without one."""

from __future__ import annotations

import hmac

from fastapi import Request

from icc_assistant.errors import AuthenticationError, PermissionDeniedError
from icc_assistant.settings import Settings


def presented_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer <key>` or `X-API-Key`."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def _known(key: str, keys: list[str]) -> bool:
    return any(hmac.compare_digest(key, k) for k in keys)


def require_admin(request: Request) -> None:
    """Admin routes need a key from ICC_ADMIN_KEYS."""
    settings: Settings = request.app.state.settings
    key = presented_key(request)
    if key is None:
        raise AuthenticationError("This route needs an admin API key (Authorization: Bearer).")
    if not _known(key, settings.admin_keys):
        if _known(key, settings.api_keys):
            raise PermissionDeniedError("This key may chat and search, not administer.")
        raise AuthenticationError("Unknown API key.")


def require_client(request: Request) -> None:
    """Chat and search: open when ICC_API_KEYS is empty; else a key, or an allowed origin.

    The public widget cannot hold a secret, so a browser request from an origin in
    ICC_CORS_ORIGINS (or from this server's own pages) is let through, rate-limited by
    address like every other client.
    """
    settings: Settings = request.app.state.settings
    if not settings.api_keys:
        return
    key = presented_key(request)
    if key is not None:
        if _known(key, settings.api_keys) or _known(key, settings.admin_keys):
            return
        raise AuthenticationError("Unknown API key.")
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin and (origin in settings.cors_origins or origin == own):
        return
    raise AuthenticationError("This API needs a key (Authorization: Bearer <key>).")
