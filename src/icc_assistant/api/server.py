"""`icc-assistant serve`: uvicorn in front of the app factory."""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI

from icc_assistant.api.app import create_app
from icc_assistant.errors import ConfigurationError, ICCAssistantError
from icc_assistant.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What every uvicorn run of the app shares.

    X-Forwarded-For is believed only from ICC_TRUSTED_PROXIES: uvicorn's default trusts it from
    loopback, which lets any client on the same host (or a proxy that passes the header
    through) pick the address the rate limits count. HTTP is parsed by h11, whose buffer for
    an incomplete request head is bounded (ICC_MAX_HEADER_BYTES); uvicorn's httptools parser
    keeps headers of any size (a 420 MB header held the server at +1.2 GB)."""
    return {
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": ",".join(settings.trusted_proxies) or None,
        "server_header": False,
        "log_level": "warning",
        "http": "h11",
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }


def start_line(settings: Settings, documents: int | None, chunks: int | None) -> str:
    """The one line `serve` prints when it listens: where, what it serves, which answers."""
    where = f"http://{settings.host}:{settings.port}"
    if settings.uses_chroma_server:
        store = f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
    else:
        store = str(settings.chroma_dir)
    served = "" if documents is None else f"{documents} documents, {chunks} chunks from "
    if settings.has_model:
        endpoint = urlsplit(str(settings.llm_base_url))
        answers = f"model {settings.llm_model} at {endpoint.hostname}:{endpoint.port or '-'}"
    else:
        answers = "extractive, no model configured (set ICC_LLM_BASE_URL for one)"
    if settings.all_admin_keys:
        console = f"admin console: {where}/admin"
    else:
        console = (
            f"admin console: {where}/admin, locked: no admin key is set (set ICC_ADMIN_KEYS, or"
            " serve --admin-key-file FILE)"
        )
    return (
        f"ICC Assistant on {where} (API docs: {where}/docs): {served}{store}; answers: "
        f"{answers}; {console}"
    )


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server, printing the start line once its socket is bound (so never for a port
    it could not take)."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, settings: Settings) -> None:
        super().__init__(config)
        self._app = app
        self._settings = settings

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if not self.started:
            return
        try:
            stats = self._app.state.assistant.store.stats()
            counts: tuple[int | None, int | None] = (stats.documents, stats.chunks)
        except ICCAssistantError:  # the index went away since start-up: /ready will say so
            counts = (None, None)
        print(start_line(self._settings, *counts), file=sys.stderr, flush=True)


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
        # Each worker opens the index on its own; this process only says where they listen.
        print(f"{start_line(settings, None, None)}; {workers} workers", file=sys.stderr, flush=True)
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
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, **options)
    server = _AnnouncingServer(config, app, settings)
    server.run()
    if not server.started:  # as uvicorn.run does: the port was taken, or start-up failed
        sys.exit(3)
