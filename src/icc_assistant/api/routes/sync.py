"""POST /api/sync starts a web sync in the background; GET lists the last runs; DELETE stops the
one this service runs."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.datastructures import State

from icc_assistant.api.routes.deps import admin_access, assistant_of
from icc_assistant.api.schemas import ERRORS, error_responses
from icc_assistant.errors import NotFoundError
from icc_assistant.settings import Settings
from icc_assistant.sync import SyncJob, SyncOptions, SyncSummary, list_runs

log = structlog.get_logger(__name__)
router = APIRouter(
    prefix="/api",
    tags=["sync"],
    dependencies=[Depends(admin_access)],
    responses=ERRORS,
)
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class SyncRequest(BaseModel):
    """What to crawl; every field falls back to its ICC_SYNC_* setting."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "urls": ["https://www.coe.int/en/web/interculturalcities/good-practice"],
                    "allow": [
                        "https://www.coe.int/en/web/interculturalcities",
                        "https://rm.coe.int/",
                    ],
                    "max_pages": 500,
                    "prune": True,
                }
            ]
        },
    )

    urls: list[Url] = Field(default_factory=list, max_length=100, description="Start pages.")
    allow: list[Url] = Field(
        default_factory=list, max_length=100, description="URL prefixes to stay within."
    )
    max_pages: int | None = Field(None, ge=1, le=1_000_000, description="Most URLs to request.")
    delay: float | None = Field(None, ge=0, le=3600, description="Seconds between requests.")
    prune: bool = Field(False, description="Remove documents gone on two runs in a row.")
    dry_run: bool = Field(False, description="Fetch and compare, change nothing.")

    def to_options(self, settings: Settings) -> SyncOptions:
        return SyncOptions(
            urls=tuple(self.urls or settings.sync_urls),
            allow=tuple(self.allow or settings.sync_allow),
            max_pages=self.max_pages or settings.sync_max_pages,
            delay=settings.sync_delay if self.delay is None else self.delay,
            prune=self.prune,
            dry_run=self.dry_run,
        )


class SyncStarted(BaseModel):
    """The run that started (or resumed) in the background."""

    run_id: int
    resumed: bool = Field(description="It continues a run that was stopped before the end.")


class SyncRuns(BaseModel):
    """The newest runs first."""

    runs: list[SyncSummary]


@dataclass(frozen=True)
class _Running:
    """A run going on in a background thread of this service, and how to stop it."""

    stop: threading.Event
    thread: threading.Thread


class SyncStopping(BaseModel):
    """The run asked to stop: it ends between two requests, within the sync's deadline."""

    run_id: int


@router.post("/sync", status_code=202, response_model=SyncStarted, responses=error_responses(409))
async def start_sync(body: SyncRequest, request: Request) -> SyncStarted:
    """Start a sync of the website in the background (admin); 409 while one runs."""
    settings: Settings = request.app.state.settings
    store = assistant_of(request).store
    stop = threading.Event()
    job = await asyncio.to_thread(SyncJob, settings, store, body.to_options(settings), stop=stop)
    thread = threading.Thread(target=_run, args=(job,), name=f"icc-sync-{job.run_id}")
    runs: dict[int, _Running] = request.app.state.sync_runs
    _forget_ended(runs)
    runs[job.run_id] = _Running(stop, thread)
    thread.start()
    return SyncStarted(run_id=job.run_id, resumed=job.resumed)


@router.get("/sync", response_model=SyncRuns)
async def sync_runs(request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> SyncRuns:
    """The last sync runs, newest first, with their counts and errors (admin)."""
    runs = await asyncio.to_thread(list_runs, request.app.state.settings, limit)
    return SyncRuns(runs=runs)


@router.delete(
    "/sync", status_code=202, response_model=SyncStopping, responses=error_responses(404)
)
async def stop_sync(request: Request) -> SyncStopping:
    """Stop the sync this service is running (admin); it is recorded as interrupted, and the
    next POST with the same options resumes it. 404 when none is running here."""
    runs: dict[int, _Running] = request.app.state.sync_runs
    _forget_ended(runs)
    for run_id, running in list(runs.items()):
        if not running.stop.is_set():
            running.stop.set()
            log.info("sync run stopping", run_id=run_id)
            return SyncStopping(run_id=run_id)
    raise NotFoundError("No sync is running in this service.")


def _forget_ended(runs: dict[int, _Running]) -> None:
    """Drop the runs whose thread ended: only a running one can be stopped, and a service
    syncing every night would otherwise keep every run it ever started."""
    for run_id, running in list(runs.items()):
        if not running.thread.is_alive():
            del runs[run_id]


def _run(job: SyncJob) -> None:
    try:
        summary = job.run()
    except Exception:  # noqa: BLE001 - a background thread: the run is recorded as failed
        log.exception("sync run failed", run_id=job.run_id)
        return
    log.info(
        "sync run ended", run_id=job.run_id, status=summary.status, **summary.counts.model_dump()
    )


def stop_syncs(state: State, timeout: float = 10.0) -> None:
    """Ask running syncs to stop between two pages, and wait a little for them."""
    runs: dict[int, _Running] = state.sync_runs
    for running in runs.values():
        running.stop.set()
    for running in runs.values():
        running.thread.join(timeout)
