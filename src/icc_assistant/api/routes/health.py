"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from icc_assistant.api.routes.deps import assistant_of
from icc_assistant.api.schemas import error_responses

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", responses=error_responses(503))
async def ready(request: Request) -> dict[str, Any]:
    """Index open and consistent; model reachable or extractive mode (else 503)."""
    tiers = await asyncio.to_thread(assistant_of(request).ready)
    return {"status": "ready", **tiers}
