"""Liveness, readiness and the widget's files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from icc_assistant.api.routes.deps import assistant_of
from icc_assistant.api.schemas import error_responses
from icc_assistant.errors import NotFoundError

router = APIRouter(tags=["health"])
WEB_DIR = Path(__file__).resolve().parents[4] / "web"


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", responses=error_responses(503))
async def ready(request: Request) -> dict[str, Any]:
    """Index open and consistent; model reachable or extractive mode (else 503)."""
    tiers = await asyncio.to_thread(assistant_of(request).ready)
    return {"status": "ready", **tiers}


def _web_file(name: str, media_type: str) -> FileResponse:
    path = WEB_DIR / name
    if not path.is_file():
        raise NotFoundError(f"{name} is not installed on this server.")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/widget.js", include_in_schema=False)
async def widget() -> FileResponse:
    return _web_file("widget.js", "text/javascript")


@router.get("/", include_in_schema=False)
async def demo_page() -> FileResponse:
    return _web_file("index.html", "text/html")
