"""One sync run: crawl from the start pages, hand pages and PDFs to the ingest, remember.

Each URL is visited once per run, in the order found, the next one from whichever host may be
asked soonest. A page's document is committed to the index before the page is marked done (in
the same SQLite transaction that records its validators and links), so a run killed at any
point resumes without fetching again what it committed. A page answering 304 is unchanged; a
page answering 200 whose text is what was indexed is unchanged too (sites embed per-request
tokens in their HTML); anything else is parsed and put into the index, which re-embeds only the
text that changed.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import structlog

from icc_assistant import __version__
from icc_assistant.documents import ParsedDocument
from icc_assistant.errors import (
    DocumentError,
    EmptyDocumentError,
    ICCAssistantError,
    SyncBusyError,
    SyncError,
)
from icc_assistant.index import FileResult, IndexStore
from icc_assistant.ingest import parse_document
from icc_assistant.ingest.loaders import TextLimits
from icc_assistant.ingest.worker import WORKERS
from icc_assistant.settings import Settings
from icc_assistant.sync.body import UndecodableBodyError, decode_html
from icc_assistant.sync.fetcher import (
    FetchConfig,
    FetchCounts,
    Fetched,
    Fetcher,
    FetchStoppedError,
)
from icc_assistant.sync.frontier import Frontier
from icc_assistant.sync.guard import PrivateHosts, literal_address, refusal
from icc_assistant.sync.links import PageRead, read_page
from icc_assistant.sync.links import text_hash as hash_text
from icc_assistant.sync.models import (
    RunStatus,
    SyncCounts,
    SyncIssue,
    SyncOptions,
    SyncSummary,
)
from icc_assistant.sync.state import PageRecord, RunRecord, SyncState, now
from icc_assistant.sync.urls import Scope, normalise_url, origin_of, trap_reason, variant_key

log = structlog.get_logger(__name__)

PUBLISH_SECONDS = 60.0  # how often a long run shows readers what it committed
GONE_RUNS = 2  # consecutive runs a page must be gone before --prune removes it
MAX_ISSUES = 50


def user_agent(settings: Settings) -> str:
    """`icc-assistant/<version> (+<contact>)`: who is asking, and how to reach them."""
    contact = f" (+{settings.sync_contact})" if settings.sync_contact else ""
    return f"icc-assistant/{__version__}{contact}"


class DocumentSink(Protocol):
    """Where documents go: the index (IndexStore.batch()) or, in a dry run, a comparison."""

    embedded: int

    def committed(self, doc_id: str) -> str | None: ...

    def put(self, doc: ParsedDocument) -> FileResult: ...

    def remove(self, doc_id: str) -> bool: ...

    def publish(self) -> None: ...


class _Preview:
    """A dry run's sink: says what would happen to each document and changes nothing."""

    def __init__(self, committed: dict[str, str]) -> None:
        self._active = committed
        self.embedded = 0

    def committed(self, doc_id: str) -> str | None:
        return self._active.get(doc_id)

    def put(self, doc: ParsedDocument) -> FileResult:
        known = self._active.get(doc.meta.doc_id)
        status = "unchanged" if known == doc.meta.content_hash else "updated" if known else "added"
        self._active[doc.meta.doc_id] = doc.meta.content_hash
        return FileResult(source=doc.meta.source, doc_id=doc.meta.doc_id, status=status)

    def remove(self, doc_id: str) -> bool:
        return self._active.pop(doc_id, None) is not None

    def publish(self) -> None:
        return None


@dataclass(frozen=True)
class SyncProgress:
    """Where a run is: URLs visited of those found so far, and the counts."""

    visited: int
    found: int
    url: str
    counts: SyncCounts


class _Stopped(Exception):
    """The run was asked to stop (service shutting down)."""


class SyncLock:
    """An exclusive lock on the data directory's sync state (flock: a killed holder frees it)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise SyncBusyError(
                f"Another sync is running on {self._path.parent}; wait for it to finish."
            ) from exc
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def is_held_elsewhere(self) -> bool:
        """True while some sync (in this process or another) holds the lock."""
        try:
            self.acquire()
        except SyncBusyError:
            return True
        self.release()
        return False


def check_options(options: SyncOptions, private: PrivateHosts | None = None) -> Scope:
    """The run's scope; a SyncError names a start page that cannot be crawled (a host given
    as a loopback or private address is refused here too, unless `private` lists it; names
    are checked when they are resolved, at each request)."""
    if not options.urls:
        raise SyncError("No start pages: give URLs (icc-assistant sync URL...) or ICC_SYNC_URLS.")
    for url in options.urls:
        if normalise_url(url) is None:
            raise SyncError(f"{url!r} is not a well-formed http(s) URL.")
    scope = Scope.of(list(options.urls), list(options.allow))
    if not scope.prefixes:
        raise SyncError("No usable --allow prefix: each must be an http(s) URL.")
    for url in options.urls:
        normal = normalise_url(url) or url
        if trap_reason(url):
            raise SyncError(f"{url} is a {trap_reason(url)}, not a page to start from.")
        if not scope.allows(normal):
            raise SyncError(f"{url} lies outside the allowed prefixes {list(scope.prefixes)}.")
        _check_address(normal, private or PrivateHosts())
    return scope


def _check_address(url: str, private: PrivateHosts) -> None:
    origin = origin_of(url)
    address = literal_address(origin[1]) if origin else None
    if origin and address is not None:
        reason = refusal(origin[1], origin[2], address, private)
        if reason:
            raise SyncError(f"{url}: {reason}.")


class SyncJob:
    """A run prepared (lock held, run recorded or resumed); `run()` does it and frees the lock."""

    def __init__(
        self,
        settings: Settings,
        store: IndexStore,
        options: SyncOptions,
        *,
        stop: threading.Event | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._options = options
        self._scope = check_options(options, PrivateHosts.parse(settings.sync_private_hosts))
        self._stop = stop or threading.Event()
        self._lock = SyncLock(settings.sync_dir / "lock")
        self._lock.acquire()
        try:
            path = settings.sync_dir / "state.sqlite3"
            self._state = SyncState.open(path, scratch=options.dry_run)
            self.run_id, self.resumed = self._start_or_resume()
            record = self._state.run(self.run_id)
        except BaseException:
            self._lock.release()
            raise
        self._started_at = record.started_at
        self._counts = SyncCounts.model_validate(record.counts)
        self._issues = [SyncIssue.model_validate(i) for i in record.errors]
        self._fetcher = Fetcher(
            self._fetch_config(), stop=self._stop, in_scope=self._scope.covers_origin
        )
        self._frontier = Frontier(
            self._scope,
            self._counts,
            capacity=options.max_pages,
            links_per_page=settings.sync_max_links_per_page,
        )
        self._visited = 0
        self._failure: str | None = None
        self._embedded_before = self._counts.embedded
        self._fetched_before = FetchCounts(
            self._counts.requests, self._counts.unreadable_retry, self._counts.bad_validators
        )

    # -- the run -----------------------------------------------------------------------------------

    def run(self, on_progress: Callable[[SyncProgress], None] | None = None) -> SyncSummary:
        """Crawl, index, prune; returns the summary. The lock is freed whatever happens."""
        status: RunStatus = "failed"
        complete = False
        try:
            with self._sink() as sink:
                self._load_frontier(sink)
                complete = self._crawl(sink, on_progress) and not self._frontier.dropped_any
                if complete:  # pages no longer linked: still there, changed, or gone?
                    unlinked = self._state.documents_not_checked(self.run_id)
                    in_scope = [url for url in unlinked if self._scope.allows(url)]
                    self._state.add_to_frontier(self.run_id, self._frontier.enqueue(in_scope))
                    complete = self._crawl(sink, on_progress) and not self._frontier.dropped_any
                self._prune(sink)
            status = "finished"
        except (_Stopped, FetchStoppedError, KeyboardInterrupt):
            status = "interrupted"
            if not self._stop.is_set():
                raise
        except Exception as exc:  # the run fails; the record says why, the caller sees it too
            self._failure = f"{type(exc).__name__}: {exc}"[:500]
            raise
        finally:
            self._close(status, complete)
        return self.summary(status, complete)

    def summary(self, status: RunStatus = "running", complete: bool = False) -> SyncSummary:
        """The run as it stands."""
        return SyncSummary(
            run_id=self.run_id,
            status=status,
            started_at=self._started_at,
            finished_at=None if status == "running" else now(),
            options=self._options,
            counts=self._counts,
            errors=self._issues,
            complete=complete,
            failure=self._failure,
        )

    def _close(self, status: RunStatus, complete: bool) -> None:
        try:
            self._save_progress()
            self._state.end_run(self.run_id, status, complete=complete, failure=self._failure)
        finally:
            try:
                self._fetcher.close()
                self._state.close()
            finally:
                self._lock.release()

    @contextmanager
    def _sink(self) -> Iterator[DocumentSink]:
        if self._options.dry_run:
            committed = {d: m.content_hash for d, m in self._store.catalog.documents.items()}
            yield _Preview(committed)
            return
        with self._store.batch() as batch:
            yield batch

    def _start_or_resume(self) -> tuple[int, bool]:
        wanted = json.loads(self._options.model_dump_json())
        last = self._state.runs(limit=1)
        if last and last[0].status != "finished" and last[0].options == wanted:
            return last[0].id, True
        run_id = self._state.start_run(wanted)
        starts = [normalise_url(url) for url in self._options.urls]
        self._state.add_to_frontier(run_id, [url for url in starts if url])
        return run_id, False

    def _fetch_config(self) -> FetchConfig:
        settings = self._settings
        return FetchConfig(
            user_agent=user_agent(settings),
            delay=self._options.delay,
            timeout=settings.sync_timeout,
            retries=settings.sync_retries,
            backoff=settings.sync_backoff,
            max_bytes=settings.max_file_bytes,
            max_crawl_delay=settings.sync_max_crawl_delay,
            private_hosts=PrivateHosts.parse(settings.sync_private_hosts),
        )

    # -- the frontier ------------------------------------------------------------------------------

    def _load_frontier(self, sink: DocumentSink) -> None:
        """The run's URLs; a page recorded but not marked done (killed between its index commit
        and the mark) is done if the index holds what was recorded, else fetched again whole."""
        found, pending = self._state.frontier(self.run_id)
        self._visited = len(found) - len(pending)
        waiting = []
        for url in pending:
            page = self._state.page(url)
            if page is not None and page.checked_run == self.run_id:
                if page.doc_id is None or sink.committed(page.doc_id) == page.content_hash:
                    self._state.mark_done(self.run_id, url)
                    self._visited += 1
                    continue
                self._state.forget_validators(url)
            waiting.append(url)
        self._frontier.restore(found, waiting)

    def _crawl(
        self, sink: DocumentSink, on_progress: Callable[[SyncProgress], None] | None
    ) -> bool:
        """Visit URLs until none is left (True) or --max-pages is reached (False)."""
        published = time.monotonic()
        while (url := self._frontier.next_url(self._fetcher.ready_at)) is not None:
            if self._stop.is_set():
                raise _Stopped
            if self._visited >= self._options.max_pages:
                return False
            self._visit_safely(url, sink)
            self._visited += 1
            self._count_fetches()
            self._counts.embedded = self._embedded_before + sink.embedded
            self._save_progress()
            if time.monotonic() - published > PUBLISH_SECONDS:
                sink.publish()
                published = time.monotonic()
            if on_progress is not None:
                on_progress(SyncProgress(self._visited, self._frontier.found, url, self._counts))
        return True

    def _count_fetches(self) -> None:
        before, now = self._fetched_before, self._fetcher.counts
        self._counts.requests = before.requests + now.requests
        self._counts.unreadable_retry = before.unreadable_retry + now.unreadable_retry
        self._counts.bad_validators = before.bad_validators + now.bad_validators

    def _save_progress(self) -> None:
        issues = [i.model_dump() for i in self._issues]
        self._state.save_progress(self.run_id, self._counts.model_dump(), issues)

    # -- one URL -----------------------------------------------------------------------------------

    def _visit_safely(self, url: str, sink: DocumentSink) -> None:
        """Visit one URL; a failure no check foresaw (a bug met by an odd response) is logged
        with its trace and recorded as that URL's error, and the run goes on, so that no page
        can end this run and every later one. The index or the state failing still ends it."""
        try:
            self._visit(url, sink)
        except (ICCAssistantError, sqlite3.Error, _Stopped, FetchStoppedError):
            raise  # the index, the embedder or the state failing, or a stop: not this URL's
        except Exception as exc:  # noqa: BLE001 - logged with its trace and recorded
            log.exception("sync could not visit a URL", url=url)
            self._note_error(url, f"internal error ({type(exc).__name__}); see the log")
            self._state.record(self.run_id, replace(self._state.page(url) or PageRecord(url),
                                                    checked_run=self.run_id))  # fmt: skip

    def _visit(self, url: str, sink: DocumentSink) -> None:
        page = self._state.page(url)
        if page is not None and page.redirect_to:  # a permanent redirect, seen on a past run
            self._counts.redirects += 1
            found = self._frontier.enqueue(self._frontier.admit([page.redirect_to]))
            self._state.record(self.run_id, replace(page, checked_run=self.run_id), found=found)
            return
        fetched = self._fetcher.fetch(url, *self._validators(page, sink))
        if fetched.kind == "ok":
            self._counts.fetched += 1
            self._take(fetched, page, sink)
        elif fetched.kind == "not_modified" and page is not None:
            self._unchanged(fetched, page)
        elif fetched.kind == "redirect":
            self._redirected(fetched, page)
        elif fetched.kind == "gone":
            self._gone(fetched, page)
        elif fetched.kind == "robots":
            self._counts.robots += 1
            self._state.mark_done(self.run_id, url)
        else:
            self._failed(fetched, page)

    def _validators(
        self, page: PageRecord | None, sink: DocumentSink
    ) -> tuple[str | None, str | None]:
        """The validators to send: none when the index lost the page's document (a rebuild
        or a deletion), since a 304 would then leave it out."""
        if page is None or (page.doc_id and sink.committed(page.doc_id) != page.content_hash):
            return None, None
        return page.etag, page.last_modified

    def _unchanged(self, fetched: Fetched, page: PageRecord) -> None:
        self._counts.not_modified += 1
        if page.doc_id:
            self._counts.unchanged += 1
        else:
            self._counts.lists += 1
        found = self._frontier.enqueue(self._frontier.admit(list(page.links)))
        checked = replace(
            page,
            etag=fetched.etag or page.etag,
            last_modified=fetched.last_modified or page.last_modified,
            status=fetched.status,
            checked_run=self.run_id,
            missing=0,
        )
        self._state.record(self.run_id, checked, found=found)

    def _redirected(self, fetched: Fetched, page: PageRecord | None) -> None:
        """Schedule the target like any link; an indexed page that now redirects counts as
        gone (the target is indexed under its own URL)."""
        self._counts.redirects += 1
        targets = self._frontier.admit([fetched.location] if fetched.location else [])
        found = self._frontier.enqueue(targets)
        record = self._missing(page or PageRecord(fetched.url), fetched)
        if fetched.permanent and targets:
            record = replace(record, redirect_to=targets[0])
        self._state.record(self.run_id, record, found=found)

    def _gone(self, fetched: Fetched, page: PageRecord | None) -> None:
        self._counts.gone += 1
        self._state.record(self.run_id, self._missing(page or PageRecord(fetched.url), fetched))

    def _missing(self, page: PageRecord, fetched: Fetched) -> PageRecord:
        """The page, found missing once more this run (counted once per run)."""
        again = page.checked_run != self.run_id
        return replace(
            page,
            status=fetched.status,
            checked_run=self.run_id,
            missing=page.missing + 1 if again else page.missing,
        )

    def _failed(self, fetched: Fetched, page: PageRecord | None) -> None:
        if fetched.kind in ("too_large", "wrong_type"):
            self._counts.skipped += 1
        else:
            message = fetched.message or f"HTTP {fetched.status}"
            self._counts.errors += 1
            if len(self._issues) < MAX_ISSUES:
                self._issues.append(SyncIssue(url=fetched.url, message=message))
            log.warning("sync could not fetch", url=fetched.url, reason=message)
        record = replace(page or PageRecord(fetched.url), status=fetched.status)
        self._state.record(self.run_id, replace(record, checked_run=self.run_id))

    def _take(self, fetched: Fetched, page: PageRecord | None, sink: DocumentSink) -> None:
        """A page or PDF answered in full: follow its links, index it if it changed. Reading
        a page has the same time budget as parsing a document."""
        url, body, index, found, links = fetched.url, fetched.body, True, [], []
        hashed = None
        if fetched.suffix == ".html":
            try:
                html = decode_html(fetched.content_type, fetched.body)
            except UndecodableBodyError as exc:
                self._unreadable(fetched, page, f"{url}: {exc}", counter="malformed")
                return
            try:
                read = self._read_page(html, url)
            except DocumentError as exc:
                self._unreadable(fetched, page, str(exc))
                return
            links = self._frontier.admit(list(read.links.links))
            found = self._frontier.enqueue(links)
            body, index = html.encode("utf-8"), read.links.index and not read.links.is_hub
            hashed = read.text_hash
        record = PageRecord(
            url,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            links=tuple(links),
            status=fetched.status,
            checked_run=self.run_id,
        )
        if not index:
            self._counts.lists += 1
            self._state.record(self.run_id, record, found=found)
            return
        text_hash = hashed or hash_text(body, fetched.suffix)
        if (
            page is not None
            and page.text_hash == text_hash
            and page.content_hash
            and sink.committed(url) == page.content_hash
        ):
            self._counts.unchanged += 1
            same = replace(record, doc_id=url, text_hash=text_hash, content_hash=page.content_hash)
            self._state.record(self.run_id, same, found=found)
            return
        self._index(fetched, body, record, text_hash, found, page, sink)

    def _index(
        self,
        fetched: Fetched,
        body: bytes,
        record: PageRecord,
        text_hash: str,
        found: list[str],
        page: PageRecord | None,
        sink: DocumentSink,
    ) -> None:
        url = fetched.url
        try:
            doc = self._parse(fetched, body)
        except EmptyDocumentError:
            self._counts.lists += 1
            self._state.record(self.run_id, record, found=found)
            return
        except DocumentError as exc:
            self._note_error(url, str(exc))
            if page is not None:  # the indexed version stays, and so does its record
                record = replace(record, doc_id=page.doc_id, content_hash=page.content_hash)
            self._state.record(self.run_id, record, found=found)
            return
        indexed = replace(
            record, doc_id=url, text_hash=text_hash, content_hash=doc.meta.content_hash
        )
        self._state.record(self.run_id, indexed, found=found, done=False)
        result = sink.put(doc)
        setattr(self._counts, result.status, getattr(self._counts, result.status) + 1)
        self._state.mark_done(self.run_id, url)

    def _read_page(self, html: str, url: str) -> PageRead:
        seconds = self._settings.max_parse_seconds
        return WORKERS.run(seconds, url, read_page, html, url)

    def _unreadable(
        self, fetched: Fetched, page: PageRecord | None, message: str, counter: str = "errors"
    ) -> None:
        """A page that could not be read (counted as `counter`); an indexed version stays."""
        self._note_error(fetched.url, message, counter)
        record = replace(page or PageRecord(fetched.url), status=fetched.status)
        self._state.record(self.run_id, replace(record, checked_run=self.run_id))

    def _note_error(self, url: str, message: str, counter: str = "errors") -> None:
        setattr(self._counts, counter, getattr(self._counts, counter) + 1)
        if len(self._issues) < MAX_ISSUES:
            self._issues.append(SyncIssue(url=url, message=message))

    def _parse(self, fetched: Fetched, body: bytes) -> ParsedDocument:
        url = fetched.url
        overrides = {
            "url": url,
            "variant_key": variant_key(url),
            "fetched_at": now(),
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
        }
        return parse_document(
            body,
            suffix=fetched.suffix,
            source=url,
            doc_id=url,
            overrides=overrides,
            hashed_extra=url.encode(),
            limits=TextLimits.from_settings(self._settings),
        )

    def _prune(self, sink: DocumentSink) -> None:
        """With --prune, remove documents whose page was gone on GONE_RUNS runs in a row."""
        if not self._options.prune:
            return
        for page in self._state.gone_documents(GONE_RUNS):
            if page.doc_id and sink.remove(page.doc_id):
                self._counts.removed += 1
            self._state.forget(page.url)


def list_runs(settings: Settings, limit: int = 20) -> list[SyncSummary]:
    """The newest runs first; a run that never finished while no sync holds the lock was
    killed, and is reported interrupted (the next sync with its options resumes it)."""
    path = settings.sync_dir / "state.sqlite3"
    if not path.exists():
        return []
    state = SyncState.open(path)
    try:
        records = state.runs(limit)
    finally:
        state.close()
    running = SyncLock(settings.sync_dir / "lock").is_held_elsewhere()
    return [_summary_of(record, running and i == 0) for i, record in enumerate(records)]


def _summary_of(record: RunRecord, running: bool) -> SyncSummary:
    status = record.status
    if status == "running" and not running:
        status = "interrupted"
    return SyncSummary(
        run_id=record.id,
        status=status,
        started_at=record.started_at,
        finished_at=record.finished_at,
        options=SyncOptions.model_validate(record.options),
        counts=SyncCounts.model_validate(record.counts),
        errors=[SyncIssue.model_validate(i) for i in record.errors],
        complete=record.complete,
        failure=record.failure,
    )
