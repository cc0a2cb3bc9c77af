"""Short-lived signed tokens that let the public widget use an API closed by ICC_API_KEYS.

A page in ICC_CORS_ORIGINS asks `POST /api/widget/token`; its browser sends the page's origin,
and the token names that origin and the caller's address, signed and valid ICC_WIDGET_TOKEN_TTL
seconds. A request with the token must come from the same address and, when it carries an
Origin (every cross-site browser request does), from the same origin; the origin must still be
listed. A script on another site cannot obtain one (its browser sends that site's origin), and a
token copied elsewhere is useless from another address. A client outside a browser can claim any
origin, so the path is public by design: what bounds it are the per-address limits on tokens,
requests and failed checks (README, "Security").
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from icc_assistant.errors import AuthenticationError, PermissionDeniedError
from icc_assistant.settings import Settings
from icc_assistant.signing import load_secret


def _address_digest(address: str) -> str:
    return hashlib.sha256(address.encode("utf-8", "surrogateescape")).hexdigest()[:16]


class WidgetTokens:
    """Issues and checks widget tokens for the configured origins."""

    def __init__(self, secret: str, ttl: int, origins: list[str]) -> None:
        self.ttl = ttl
        self._origins = frozenset(origins)
        self._serializer = URLSafeTimedSerializer(secret, salt="icc-assistant widget token")

    @classmethod
    def from_settings(cls, settings: Settings) -> WidgetTokens:
        return cls(load_secret(settings), settings.widget_token_ttl, settings.cors_origins)

    def issue(self, origin: str | None, address: str) -> str:
        """A token for a page of `origin`, used from `address`; the origin must be listed."""
        if origin is None or origin not in self._origins:
            raise PermissionDeniedError(
                f"The origin {origin or '(none)'} may not use the widget; its administrator can "
                "add it to ICC_CORS_ORIGINS."
            )
        return str(self._serializer.dumps({"o": origin, "a": _address_digest(address)}))

    def verify(self, token: str, *, origin: str | None, address: str) -> None:
        """Raise AuthenticationError unless the token is genuine, fresh and used as issued."""
        try:
            data = self._serializer.loads(token, max_age=self.ttl)
        except SignatureExpired as exc:
            raise AuthenticationError("The widget token has expired; get a new one.") from exc
        except BadSignature as exc:
            raise AuthenticationError("The widget token is not valid.") from exc
        if not isinstance(data, dict) or not isinstance(data.get("o"), str):
            raise AuthenticationError("The widget token is malformed.")
        if data["o"] not in self._origins:
            raise AuthenticationError("The widget token's origin is no longer allowed.")
        if origin is not None and origin != data["o"]:
            raise AuthenticationError("The widget token belongs to another origin.")
        if data.get("a") != _address_digest(address):
            raise AuthenticationError("The widget token was issued to another address.")
