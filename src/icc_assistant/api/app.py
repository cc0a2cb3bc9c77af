"""The FastAPI app factory: one Settings in, routes, limits and error shape wired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from icc_assistant import __version__, gazetteer, language
from icc_assistant.api.docs_pages import DocsPagesPolicy
from icc_assistant.api.errors import install_error_handlers
from icc_assistant.api.framing import NoFraming
from icc_assistant.api.limits import BodySizeLimit, Limits
from icc_assistant.api.logging import RequestContext, configure_logging
from icc_assistant.api.mcp import mount_mcp
from icc_assistant.api.openapi_limits import install_limits
from icc_assistant.api.routes import (
    admin,
    answers,
    brief,
    chat,
    console,
    gaps,
    health,
    library,
    openai_compat,
    sync,
    widget,
)
from icc_assistant.api.widget_tokens import WidgetTokens
from icc_assistant.assistant import Assistant
from icc_assistant.feedback import FeedbackStore
from icc_assistant.gaps import GapStore
from icc_assistant.index.calibration import off_topic_reference
from icc_assistant.settings import Settings

DESCRIPTION = """Multilingual, cited answers over Intercultural Cities (ICC) material.

Ask in any language; answers come in that language with numbered citations to ICC
good-practice pages and Index reports. Every error has the shape
`{"error": {"type", "message", "request_id"}}`."""


def create_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The app; opens the index (unless an Assistant is given) when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "assistant", None) is None:
            app.state.assistant = Assistant.open(settings)
        language.warm_up()
        gazetteer.warm_up(languages=list(language.SUPPORTED_LANGUAGES))
        off_topic_reference(app.state.assistant.embedder)  # the gate's probes, read once
        async with app.state.mcp.session_manager.run():
            yield
        sync.stop_syncs(app.state)

    configure_logging(settings)
    # /docs and /redoc load Swagger UI and ReDoc from the package, not from a CDN: they work
    # offline and send nothing to third parties.
    app = FastAPIOffline(
        title="ICC Assistant", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.limits = Limits.from_settings(settings)
    app.state.widget_tokens = WidgetTokens.from_settings(settings)
    app.state.feedback = FeedbackStore(
        settings.data_dir / "feedback.sqlite3",
        max_rows=settings.feedback_max_rows,
        retention_days=settings.retention_days,
        keep_question=settings.gaps_keep_text,
    )
    app.state.gaps = GapStore.from_settings(settings)
    app.state.sync_runs = {}
    app.state.ready_check = health.ReadyCheck()
    routers = (
        chat, openai_compat, library, admin, answers, gaps, sync, health, widget, brief, console
    )  # fmt: skip
    for module in routers:
        app.include_router(module.router)
    app.state.mcp = mount_mcp(app, settings)
    install_limits(app, settings)
    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        # No DELETE (nor PUT, PATCH): every public route is GET or POST; the DELETE routes
        # (documents, sync) are admin routes, meant for the same-origin admin console, so a
        # preflight from another origin is refused for them.
        allow_methods=["GET", "POST"],
        allow_headers=[
            "Content-Type",
            "Authorization",
            "X-API-Key",
            "X-Request-ID",
            "X-Widget-Token",
        ],
        # Content-Disposition: a widget on another origin downloads briefing notes from
        # POST /api/brief and needs the file name.
        expose_headers=["Content-Disposition", "Retry-After", "X-Request-ID"],
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_max_bytes=settings.max_file_bytes + 65_536,
    )
    app.add_middleware(DocsPagesPolicy, paths=frozenset({"/docs", "/redoc"}))
    app.add_middleware(NoFraming)  # outside the docs' policy, to extend it
    app.add_middleware(RequestContext)
    return app
