"""Thumbs up/down on answers, kept in a SQLite database under the data directory.

An answer has one rating: a later one replaces it (a new row, so the export lists it as the
newest), and with it the gap a rating "down" recorded, so that replaying one answer id cannot
record one gap per replay. The table keeps the newest `max_rows` ratings (older ones are deleted
as new ones come) and nothing older than `retention_days` (deleted before every read and
write), so with the request's own length limits its size is bounded; the export is read a page
at a time. The question a rating may carry is stored only when the operator keeps question
text (ICC_GAPS_KEEP_TEXT), scrubbed of contact details like the reason. A rating of an answer
that served an approved answer keeps that answer's id, so the console shows its ratings.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from icc_assistant.errors import FeedbackUnavailableError
from icc_assistant.gaps.scrub import scrub
from icc_assistant.sqlite_files import ThreadConnections, open_file, run_statements

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    reason TEXT,
    question TEXT,
    created_at REAL NOT NULL,
    gap_id INTEGER,
    approved_id TEXT
);
CREATE INDEX IF NOT EXISTS feedback_age ON feedback (created_at);
"""
# Version 1: one rating per answer (older databases may hold several: the newest is kept), and
# the id of the gap a rating "down" recorded.
_MIGRATION = """
DELETE FROM feedback WHERE id NOT IN (SELECT MAX(id) FROM feedback GROUP BY answer_id);
CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
PRAGMA user_version = 1;
"""
# Version 2: the approved answer a rated answer served.
_MIGRATION_2 = """
CREATE INDEX IF NOT EXISTS feedback_approved ON feedback (approved_id);
PRAGMA user_version = 2;
"""
DAY_SECONDS = 86_400
# Given the gap id the answer's previous rating recorded (or None), record this rating's gap
# (deleting that one) and return its id (or None). Runs inside the rating's transaction.
ReplaceGap = Callable[[int | None], int | None]


def iso_utc(timestamp: float) -> str:
    """`1796241183.2` -> `2026-12-02T19:53:03Z`."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FeedbackStore:
    """One SQLite file; a connection per thread (sqlite_files.py), so any thread or worker can
    use it."""

    def __init__(
        self,
        path: Path,
        timeout: float = 2.0,
        max_rows: int = 100_000,
        *,
        retention_days: int = 90,
        keep_question: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._timeout = timeout
        self._max_rows = max_rows
        self.retention_days = retention_days
        self.keep_question = keep_question
        self._clock = clock
        self._connections = ThreadConnections(path, self._open)

    def _open(self, path: Path) -> sqlite3.Connection:
        try:
            return open_file(
                path,
                timeout=self._timeout,
                schema=_SCHEMA,
                migrate=_migrate,
                # Deleted rows are overwritten, so expired text does not linger in free pages.
                pragmas=("secure_delete=ON",),
            )
        except (sqlite3.Error, OSError) as exc:
            raise FeedbackUnavailableError(
                f"The feedback database cannot be opened: {exc}"
            ) from exc

    def _delete_expired(self, connection: sqlite3.Connection) -> None:
        oldest = self._clock() - self.retention_days * DAY_SECONDS
        self._connections.delete(connection, "DELETE FROM feedback WHERE created_at < ?", (oldest,))

    def add(
        self,
        answer_id: str,
        rating: Literal["up", "down"],
        reason: str | None = None,
        question: str | None = None,
        replace_gap: ReplaceGap | None = None,
        approved_id: str | None = None,
    ) -> int:
        """Store the answer's rating, replacing any earlier one; returns its id. Within the
        same transaction (so two ratings of one answer never both record a gap),
        `replace_gap` swaps the earlier rating's gap for this one's. `approved_id`: the approved
        answer the rated answer served."""
        kept = scrub(question) if self.keep_question and question else None
        connection = self._connections.get()
        try:
            connection.execute("BEGIN IMMEDIATE")
            self._delete_expired(connection)
            earlier = connection.execute(
                "SELECT gap_id FROM feedback WHERE answer_id = ?", (answer_id,)
            ).fetchone()
            earlier_gap = earlier[0] if earlier else None
            gap_id = replace_gap(earlier_gap) if replace_gap else earlier_gap
            self._connections.delete(
                connection, "DELETE FROM feedback WHERE answer_id = ?", (answer_id,)
            )
            cursor = connection.execute(
                "INSERT INTO feedback"
                " (answer_id, rating, reason, question, created_at, gap_id, approved_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    rating,
                    scrub(reason) if reason else None,
                    kept,
                    self._clock(),
                    gap_id,
                    approved_id,
                ),
            )
            new_id = int(cursor.lastrowid or 0)
            self._connections.delete(
                connection, "DELETE FROM feedback WHERE id <= ?", (new_id - self._max_rows,)
            )
            connection.execute("COMMIT")
            self._connections.erase_deleted(connection)
            return new_id
        except sqlite3.Error as exc:
            self._connections.drop()  # closing rolls back what the failure left
            raise FeedbackUnavailableError(
                f"Feedback could not be saved ({exc}); the answer itself is unaffected."
            ) from exc
        except BaseException:  # replace_gap failed: roll back, keep no half transaction
            self._connections.drop()
            raise

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, expired ratings already gone."""
        connection = self._connections.get()
        try:
            with connection:
                self._delete_expired(connection)
                yield connection
            self._connections.erase_deleted(connection)
        except sqlite3.Error as exc:
            self._connections.drop()
            raise FeedbackUnavailableError(f"Feedback could not be read: {exc}") from exc

    def export(self, limit: int = 1000, before: int | None = None) -> list[dict[str, Any]]:
        """Up to `limit` ratings, newest first, older than id `before` when it is given;
        `created_at` as ISO 8601 UTC."""
        with self._reading() as connection:
            reading = connection.cursor()
            reading.row_factory = sqlite3.Row
            rows = reading.execute(
                "SELECT * FROM feedback WHERE id < ? ORDER BY id DESC LIMIT ?",
                (before if before is not None else 2**63 - 1, limit),
            ).fetchall()
        return [_exported(row) for row in rows]

    def approved_ratings(self) -> dict[str, dict[str, int]]:
        """Ratings of answers that served approved answers: {approved id: {"up": n, "down": n}}."""
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT approved_id, rating, COUNT(*) FROM feedback"
                " WHERE approved_id IS NOT NULL GROUP BY approved_id, rating"
            ).fetchall()
        counts: dict[str, dict[str, int]] = {}
        for approved_id, rating, n in rows:
            counts.setdefault(str(approved_id), {"up": 0, "down": 0})[str(rating)] = int(n)
        return counts


def _exported(row: sqlite3.Row) -> dict[str, Any]:
    """A rating as the export shows it: ISO time, and not the gap it links to."""
    item = dict(row)
    item.pop("gap_id", None)
    item.pop("approved_id", None)
    return {**item, "created_at": iso_utc(row["created_at"])}


def _migrate(connection: sqlite3.Connection) -> None:
    """Bring a database written by an earlier version to the current schema."""
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version >= 2:
        return
    columns = {row[1] for row in connection.execute("PRAGMA table_info(feedback)")}
    if "gap_id" not in columns:
        connection.execute("ALTER TABLE feedback ADD COLUMN gap_id INTEGER")
    if "approved_id" not in columns:
        connection.execute("ALTER TABLE feedback ADD COLUMN approved_id TEXT")
    if version < 1:
        run_statements(connection, _MIGRATION)
    run_statements(connection, _MIGRATION_2)
