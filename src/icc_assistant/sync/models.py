"""What a sync is asked to do and what it reports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RunStatus = Literal["running", "finished", "failed", "interrupted"]


class SyncOptions(BaseModel):
    """One run's start pages, scope and limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    urls: tuple[str, ...] = Field(description="Start pages.")
    allow: tuple[str, ...] = Field((), description="URL prefixes to stay within.")
    max_pages: int = Field(description="Most URLs the run requests.")
    delay: float = Field(description="Seconds between requests to one host.")
    prune: bool = Field(False, description="Remove documents gone on two consecutive runs.")
    dry_run: bool = Field(False, description="Fetch and compare, but change nothing.")


class SyncCounts(BaseModel):
    """What a run did, URL by URL."""

    requests: int = Field(0, description="HTTP requests sent, robots.txt and retries included.")
    fetched: int = Field(0, description="Pages and PDFs answered in full (200).")
    not_modified: int = Field(0, description="Pages answered 304 to a conditional request.")
    added: int = Field(0, description="Documents new to the index.")
    updated: int = Field(0, description="Documents whose content changed.")
    unchanged: int = Field(0, description="Documents left as they were (304 or same content).")
    removed: int = Field(0, description="Documents pruned after two runs found them gone.")
    gone: int = Field(0, description="URLs answered 404 or 410.")
    lists: int = Field(0, description="List pages: their links followed, not indexed.")
    redirects: int = Field(0, description="Redirects followed.")
    robots: int = Field(0, description="URLs skipped because robots.txt disallows them.")
    traps: int = Field(0, description="Links never requested: language switch, login, print...")
    outside: int = Field(0, description="Links outside the allowed prefixes.")
    malformed: int = Field(
        0,
        description="Links and redirects that are no well-formed http(s) URL (mailto:, data:"
        "...), and pages whose charset is no text encoding of the web.",
    )
    dropped: int = Field(
        0, description="Links not queued: past the per-page link cap or the run's --max-pages."
    )
    skipped: int = Field(0, description="Responses not indexed: wrong type or too large.")
    errors: int = Field(0, description="URLs that failed after retries, or could not be read.")
    unreadable_retry: int = Field(
        0, description="Retry-After headers that were no number of seconds nor an HTTP date."
    )
    bad_validators: int = Field(
        0, description="ETag or Last-Modified values dropped: not visible ASCII, or no date."
    )
    embedded: int = Field(0, description="Texts embedded (changed text only).")


class SyncIssue(BaseModel):
    """A URL that failed, and why."""

    url: str
    message: str


class SyncSummary(BaseModel):
    """One run: its options, status and counts."""

    run_id: int
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    options: SyncOptions
    counts: SyncCounts
    errors: list[SyncIssue] = Field(
        default_factory=list, description="The first failures, with their reason."
    )
    complete: bool = Field(
        False, description="Every reachable URL was visited (no --max-pages stop)."
    )
    failure: str | None = Field(None, description="Why the run failed, when it did.")

    @property
    def reached_site(self) -> bool:
        """True when at least one page or PDF could be fetched (200 or 304)."""
        return self.counts.fetched + self.counts.not_modified > 0
