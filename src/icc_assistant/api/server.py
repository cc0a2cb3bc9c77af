"""`icc-assistant serve`: uvicorn in front of the app factory."""

from __future__ import annotations

import os
from typing import Any

import uvicorn

from icc_assistant.api.app import create_app
from icc_assistant.errors import ConfigurationError
from icc_assistant.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What every uvicorn run of the app shares.

    X-Forwarded-For is believed only from ICC_TRUSTED_PROXIES: uvicorn's default trusts it from
    loopback, which lets any client on the same host (or a proxy that passes the header
    through) pick the address the rate limits count."""
    return {
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": ",".join(settings.trusted_proxies) or None,
        "server_header": False,
        "log_level": "warning",
    }


def _app_from_environment() -> object:
    """Factory for uvicorn workers: each builds its app from the environment `run_server` set."""
    return create_app(Settings())


def run_server(settings: Settings, *, workers: int = 1) -> None:
    """Serve until interrupted; several workers need a `chroma run` server."""
    if workers > 1 and not settings.uses_chroma_server:
        raise ConfigurationError(
            "The embedded Chroma store is not process-safe: --workers > 1 needs a `chroma run` "
            "server (set ICC_CHROMA_HOST and ICC_CHROMA_PORT), or use --workers 1."
        )
    options = uvicorn_options(settings)
    if workers > 1:
        # Workers rebuild their settings from the environment: hand them these, command-line
        # options (--data-dir, --port) included.
        os.environ.update(settings.to_environment())
        uvicorn.run(
            "icc_assistant.api.server:_app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            **options,
        )
        return
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, **options)
