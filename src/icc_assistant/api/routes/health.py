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
# How long one check of the model answers /ready: a probe (or anyone) polling it cannot make
# the service call the model's /v1/models more than once per period. The index is local (or
# on the deployment's own Chroma server) and is checked on every call.
READY_SECONDS = 5.0


class ReadyCheck:
    """The model's last readiness verdict (words, or the error to raise) and when it expires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expires = 0.0
        self._model: str | ICCAssistantError = ""

    def verdict(self, assistant: Assistant) -> dict[str, str]:
        """The index checked now, the model's cached verdict, checked again once it is
        READY_SECONDS old; raises the domain error of the first tier that is not ready."""
        index = assistant.index_ready()
        with self._lock:
            if time.monotonic() >= self._expires:
                try:
                    self._model = assistant.model_ready()
                except ICCAssistantError as exc:
                    self._model = exc
                self._expires = time.monotonic() + READY_SECONDS
            model = self._model
        if isinstance(model, ICCAssistantError):
            raise model
        return {"index": index, "model": model}


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
