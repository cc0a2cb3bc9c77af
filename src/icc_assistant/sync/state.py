"""What sync remembers between runs, in SQLite under the data directory.

- `pages`: per URL, the document it gave, its HTTP validators (for conditional requests), a hash
  of its text, its in-scope links (so a page answering 304 still leads to its links), a
  permanent redirect, and how many consecutive runs found it gone (404/410).
- `runs`: each run's options, counts, errors and status.
- `frontier`: the newest run's URLs and which are done, so a run killed at any point resumes
  where it stopped. A page is marked done in the same transaction that records what it gave,
  after its document was committed to the index. A finished run's frontier is deleted, as are
  older runs' when a new one starts, and only the newest KEPT_RUNS runs are kept.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    doc_id TEXT,
    etag TEXT,
    last_modified TEXT,
    text_hash TEXT,
    content_hash TEXT,
    links TEXT NOT NULL DEFAULT '[]',
    redirect_to TEXT,
    status INTEGER,
    checked_run INTEGER,
    missing INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    options TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    errors TEXT NOT NULL DEFAULT '[]',
    complete INTEGER NOT NULL DEFAULT 0,
    failure TEXT
);
CREATE TABLE IF NOT EXISTS frontier (
    run_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, url)
);
"""

KEPT_RUNS = 100  # runs listed by `GET /api/sync` and `sync --runs`; older ones are deleted


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class PageRecord:
    """What the last visit of one URL gave."""

    url: str
    doc_id: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    text_hash: str | None = None
    content_hash: str | None = None
    links: tuple[str, ...] = ()
    redirect_to: str | None = None
    status: int | None = None
    checked_run: int | None = None
    missing: int = 0


@dataclass(frozen=True)
class RunRecord:
    """One run as stored."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    options: dict[str, Any]
    counts: dict[str, int]
    errors: list[dict[str, str]]
    complete: bool
    failure: str | None = None


class SyncState:
    """The SQLite state; one connection, used from one thread at a time."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._db.row_factory = sqlite3.Row
        self._db.executescript(SCHEMA)
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(runs)")}
        if "failure" not in columns:  # a state written before runs recorded why they failed
            self._db.execute("ALTER TABLE runs ADD COLUMN failure TEXT")

    @classmethod
    def open(cls, path: Path, *, scratch: bool = False) -> SyncState:
        """The state at `path`; with `scratch`, an in-memory copy that is never written back
        (dry runs)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # A run is prepared on one thread and done on another (the API's background thread),
        # never on two at once.
        connection = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        if not scratch:
            return cls(connection)
        memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        connection.backup(memory)
        connection.close()
        return cls(memory)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    # -- runs --------------------------------------------------------------------------------------

    def unfinished_run(self) -> RunRecord | None:
        """The newest run that never finished (killed), if any."""
        row = self._db.execute(
            "SELECT * FROM runs WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return _run(row) if row else None

    def start_run(self, options: dict[str, Any]) -> int:
        """Record a new run; returns its id. Older runs' frontiers go (only the newest run
        is ever resumed), and runs past the newest KEPT_RUNS are forgotten."""
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs (started_at, status, options) VALUES (?, 'running', ?)",
                (now().isoformat(), json.dumps(options, sort_keys=True)),
            )
            run_id = int(cursor.lastrowid or 0)
            self._db.execute("DELETE FROM frontier WHERE run_id != ?", (run_id,))
            self._db.execute("DELETE FROM runs WHERE id <= ?", (run_id - KEPT_RUNS,))
        return run_id

    def end_run(
        self, run_id: int, status: str, *, complete: bool = False, failure: str | None = None
    ) -> None:
        """Mark a run finished, failed (with why) or interrupted; a finished run's frontier
        goes, as it will never be resumed."""
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, complete = ?, failure = ?"
                " WHERE id = ?",
                (now().isoformat(), status, int(complete), failure, run_id),
            )
            if status == "finished":
                self._db.execute("DELETE FROM frontier WHERE run_id = ?", (run_id,))

    def save_progress(
        self, run_id: int, counts: dict[str, int], errors: list[dict[str, str]]
    ) -> None:
        """Store the run's counts and errors so far."""
        self._db.execute(
            "UPDATE runs SET counts = ?, errors = ? WHERE id = ?",
            (json.dumps(counts), json.dumps(errors), run_id),
        )

    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The newest runs first."""
        rows = self._db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [_run(row) for row in rows]

    def run(self, run_id: int) -> RunRecord:
        """One run."""
        return _run(self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone())

    # -- frontier ----------------------------------------------------------------------------------

    def frontier(self, run_id: int) -> tuple[list[str], list[str]]:
        """(every URL of the run's frontier, those not done yet), in the order they were found."""
        rows = self._db.execute(
            "SELECT url, done FROM frontier WHERE run_id = ? ORDER BY rowid", (run_id,)
        ).fetchall()
        return [r["url"] for r in rows], [r["url"] for r in rows if not r["done"]]

    def add_to_frontier(self, run_id: int, urls: Iterable[str]) -> None:
        """Add URLs to the run's frontier (ones already there are ignored)."""
        self._db.executemany(
            "INSERT OR IGNORE INTO frontier (run_id, url) VALUES (?, ?)",
            [(run_id, url) for url in urls],
        )

    def done_count(self, run_id: int) -> int:
        """How many URLs of the run were visited."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM frontier WHERE run_id = ? AND done = 1", (run_id,)
        ).fetchone()
        return int(row[0])

    # -- pages -------------------------------------------------------------------------------------

    def page(self, url: str) -> PageRecord | None:
        """What the last visit of `url` gave, if it was ever visited."""
        row = self._db.execute("SELECT * FROM pages WHERE url = ?", (url,)).fetchone()
        return _page(row) if row else None

    def record(
        self,
        run_id: int,
        page: PageRecord,
        *,
        found: Iterable[str] = (),
        done: bool = True,
    ) -> None:
        """In one transaction: store the page, add the URLs it led to to the frontier, and
        (with `done`) mark it visited."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO pages (url, doc_id, etag, last_modified, text_hash,"
                " content_hash, links, redirect_to, status, checked_run, missing)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    page.url, page.doc_id, page.etag, page.last_modified, page.text_hash,
                    page.content_hash, json.dumps(list(page.links)), page.redirect_to,
                    page.status, page.checked_run, page.missing,
                ),
            )  # fmt: skip
            self.add_to_frontier(run_id, found)
            if done:
                self.mark_done(run_id, page.url)

    def mark_done(self, run_id: int, url: str) -> None:
        """Mark a frontier URL visited."""
        self._db.execute("UPDATE frontier SET done = 1 WHERE run_id = ? AND url = ?", (run_id, url))

    def forget_validators(self, url: str) -> None:
        """Drop a page's validators, so its next request fetches it whole."""
        self._db.execute("UPDATE pages SET etag = NULL, last_modified = NULL WHERE url = ?", (url,))

    def documents_not_checked(self, run_id: int) -> list[str]:
        """URLs of indexed pages this run has not visited (unlinked since, or gone)."""
        rows = self._db.execute(
            "SELECT url FROM pages WHERE doc_id IS NOT NULL"
            " AND (checked_run IS NULL OR checked_run != ?) ORDER BY url",
            (run_id,),
        )
        return [r["url"] for r in rows]

    def gone_documents(self, min_runs: int) -> list[PageRecord]:
        """Indexed pages found gone on at least `min_runs` consecutive runs."""
        rows = self._db.execute(
            "SELECT * FROM pages WHERE doc_id IS NOT NULL AND missing >= ? ORDER BY url",
            (min_runs,),
        )
        return [_page(r) for r in rows]

    def forget(self, url: str) -> None:
        """Remove a page's record (after its document was pruned)."""
        self._db.execute("DELETE FROM pages WHERE url = ?", (url,))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT, or ROLLBACK when the block fails (the connection autocommits)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _page(row: sqlite3.Row) -> PageRecord:
    values = dict(row)
    values["links"] = tuple(json.loads(values["links"] or "[]"))
    return PageRecord(**values)


def _run(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else None,
        status=row["status"],
        options=json.loads(row["options"]),
        counts=json.loads(row["counts"]),
        errors=json.loads(row["errors"]),
        complete=bool(row["complete"]),
        failure=row["failure"],
    )


def read_runs(path: Path, limit: int = 20) -> list[RunRecord]:
    """The newest runs, read through a connection of their own (for the API)."""
    if not path.exists():
        return []
    state = SyncState.open(path)
    try:
        return state.runs(limit)
    finally:
        state.close()
