"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from fastapi import APIRouter, Depends, Request

from icc_assistant.api.routes.deps import assistant_of, rate_limit
from icc_assistant.api.schemas import error_responses
from icc_assistant.assistant import Assistant
from icc_assistant.errors import ICCAssistantError

router = APIRouter(tags=["health"])
# How long one readiness check answers /ready: a probe (or anyone) polling it cannot make the
# service call the model's /v1/models more than once per period.
READY_SECONDS = 5.0


class ReadyCheck:
    """The last readiness verdict (tiers, or the error to raise) and when it expires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expires = 0.0
        self._verdict: dict[str, str] | ICCAssistantError = {}

    def verdict(self, assistant: Assistant) -> dict[str, str]:
        """The cached verdict, checked again once it is READY_SECONDS old."""
        with self._lock:
            if time.monotonic() >= self._expires:
                try:
                    self._verdict = assistant.ready()
                except ICCAssistantError as exc:
                    self._verdict = exc
                self._expires = time.monotonic() + READY_SECONDS
            verdict = self._verdict
        if isinstance(verdict, ICCAssistantError):
            raise verdict
        return verdict


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", responses=error_responses(503, 429), dependencies=[Depends(rate_limit)])
async def ready(request: Request) -> dict[str, Any]:
    """Index open and consistent; model reachable or extractive mode (else 503). Checked at
    most every few seconds, and counted against the caller's rate limit."""
    check: ReadyCheck = request.app.state.ready_check
    tiers = await asyncio.to_thread(check.verdict, assistant_of(request))
    return {"status": "ready", **tiers}
