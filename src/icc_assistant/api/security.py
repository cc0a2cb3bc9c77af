"""Who may call what: API keys by scope, widget tokens for public pages, failed-check limits.

- Admin routes need a key from ICC_ADMIN_KEYS; a browser may send admin changes only from this
  service's own origin or ICC_CORS_ORIGINS (routes/deps.check_origin).
- Chat and search are open while ICC_API_KEYS is empty; else they need a key from
  ICC_API_KEYS (or an admin key), or a widget token (see `widget_tokens`).
- Every address may fail ICC_AUTH_FAILURES_PER_MINUTE key checks a minute; past that it gets
  429 before its key is even looked at. An IPv6 address counts as its /64 (`client_identity`):
  one subscriber usually holds a whole /64.

Keys are compared as UTF-8 bytes in constant time, so any header byte is just a wrong key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable

from fastapi import Request

from icc_assistant.api.limits import Limits
from icc_assistant.api.widget_tokens import WidgetTokens
from icc_assistant.errors import AuthenticationError, PermissionDeniedError
from icc_assistant.settings import Settings

WIDGET_TOKEN_HEADER = "x-widget-token"


def presented_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer <key>` or `X-API-Key`."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def client_address(request: Request) -> str:
    """The peer address (uvicorn rewrites it from X-Forwarded-For only for trusted proxies)."""
    return request.client.host if request.client else "unknown"


def client_identity(request: Request) -> str:
    """How the limits name the caller's address: `ip:<IPv4>`, or `ip:<prefix>/64` for IPv6
    (an IPv4-mapped one is its IPv4 address)."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return f"ip:{parsed.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((parsed, 64), strict=False)}"
    return f"ip:{parsed}"


def key_identity(key: str) -> str:
    """How the rate limiter names a key, without keeping the key itself."""
    return "key:" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def is_known(key: str, keys: list[str]) -> bool:
    """True if `key` is one of `keys`; constant time per key, any byte sequence allowed."""
    presented = key.encode("utf-8", "surrogateescape")
    found = False
    for candidate in keys:
        found |= hmac.compare_digest(presented, candidate.encode("utf-8"))
    return found


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


def _checked(request: Request, check: Callable[[Request, Settings], str | None]) -> str | None:
    """Run a key check under the failed-check limit of the caller's address."""
    address = client_identity(request)
    failures = _limits(request).auth_failures
    failures.refuse_if_over(address)
    try:
        return check(request, _settings(request))
    except (AuthenticationError, PermissionDeniedError):
        failures.count(address)
        raise


# Said to whoever is refused an admin route: where an admin key comes from.
ADMIN_KEY_HINT = (
    "Admin routes and the console take a key listed in ICC_ADMIN_KEYS or in the file given to"
    " `icc-assistant serve --admin-key-file`; whoever runs the service sets them."
)
NO_ADMIN_KEY = (
    "No admin key is set on this service, so admin routes and the console stay locked. To set"
    " one, start it with ICC_ADMIN_KEYS=<a long random key> or `icc-assistant serve"
    " --admin-key-file FILE` (one key a line)."
)


def _admin_key(request: Request, settings: Settings) -> str:
    key = presented_key(request)
    if not settings.all_admin_keys:
        raise AuthenticationError(NO_ADMIN_KEY)
    if key is None:
        raise AuthenticationError("This route needs an admin API key (Authorization: Bearer).")
    if not is_known(key, settings.all_admin_keys):
        if is_known(key, settings.api_keys):
            raise PermissionDeniedError("This key may chat and search, not administer.")
        raise AuthenticationError(f"Unknown API key. {ADMIN_KEY_HINT}")
    return key


def _client_key(request: Request, settings: Settings) -> str | None:
    if not settings.api_keys:
        return None
    key = presented_key(request)
    if key is not None:
        if is_known(key, settings.api_keys) or is_known(key, settings.all_admin_keys):
            return key
        raise AuthenticationError("Unknown API key.")
    token = request.headers.get(WIDGET_TOKEN_HEADER)
    if token:
        tokens: WidgetTokens = request.app.state.widget_tokens
        tokens.verify(token, origin=request.headers.get("origin"), address=client_address(request))
        return None
    raise AuthenticationError(
        "This API needs a key (Authorization: Bearer <key>) or, from a web page, a widget "
        "token (X-Widget-Token) from POST /api/widget/token."
    )


def require_admin(request: Request) -> None:
    """Admin routes need a key from ICC_ADMIN_KEYS (failed checks are limited per address)."""
    _checked(request, _admin_key)


def require_client(request: Request) -> str | None:
    """Chat and search: the valid key presented, or None (open API or widget token)."""
    return _checked(request, _client_key)
