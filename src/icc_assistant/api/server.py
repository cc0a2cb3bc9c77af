"""`icc-assistant serve`: uvicorn in front of the app factory."""

from __future__ import annotations

import uvicorn

from icc_assistant.api.app import create_app
from icc_assistant.errors import ConfigurationError
from icc_assistant.settings import Settings


def _app_from_environment() -> object:
    """Factory for uvicorn workers: each builds its app from the environment."""
    return create_app(Settings())


def run_server(settings: Settings, *, workers: int = 1) -> None:
    """Serve until interrupted; several workers need a `chroma run` server."""
    if workers > 1 and not settings.uses_chroma_server:
        raise ConfigurationError(
            "The embedded Chroma store is not process-safe: --workers > 1 needs a `chroma run` "
            "server (set ICC_CHROMA_HOST and ICC_CHROMA_PORT), or use --workers 1."
        )
    if workers > 1:
        uvicorn.run(
            "icc_assistant.api.server:_app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level="warning",
        )
        return
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
