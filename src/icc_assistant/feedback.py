"""Thumbs up/down on answers, kept in a SQLite database under the data directory.

The table keeps the newest `max_rows` ratings (older ones are deleted as new ones come), so
with the request's own length limits its size is bounded; the export is read a page at a time.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Literal

from icc_assistant.errors import FeedbackUnavailableError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    reason TEXT,
    question TEXT,
    created_at REAL NOT NULL
)
"""


class FeedbackStore:
    """One SQLite file; a connection per call, so any thread or worker can use it."""

    def __init__(self, path: Path, timeout: float = 2.0, max_rows: int = 100_000) -> None:
        self.path = path
        self._timeout = timeout
        self._max_rows = max_rows

    def _connect(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=self._timeout)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            if connection is not None:
                connection.close()
            raise FeedbackUnavailableError(
                f"The feedback database cannot be opened: {exc}"
            ) from exc
        return connection

    def add(
        self,
        answer_id: str,
        rating: Literal["up", "down"],
        reason: str | None = None,
        question: str | None = None,
    ) -> int:
        """Store one rating; returns its id."""
        connection = self._connect()
        try:
            with connection:
                cursor = connection.execute(
                    "INSERT INTO feedback (answer_id, rating, reason, question, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (answer_id, rating, reason, question, time.time()),
                )
                new_id = int(cursor.lastrowid or 0)
                connection.execute("DELETE FROM feedback WHERE id <= ?", (new_id - self._max_rows,))
            return new_id
        except sqlite3.Error as exc:
            raise FeedbackUnavailableError(
                f"Feedback could not be saved ({exc}); the answer itself is unaffected."
            ) from exc
        finally:
            connection.close()

    def export(self, limit: int = 1000, before: int | None = None) -> list[dict[str, Any]]:
        """Up to `limit` ratings, newest first, older than id `before` when it is given."""
        connection = self._connect()
        connection.row_factory = sqlite3.Row
        try:
            rows = connection.execute(
                "SELECT * FROM feedback WHERE id < ? ORDER BY id DESC LIMIT ?",
                (before if before is not None else 2**63 - 1, limit),
            ).fetchall()
        except sqlite3.Error as exc:
            raise FeedbackUnavailableError(f"Feedback could not be read: {exc}") from exc
        finally:
            connection.close()
        return [dict(row) for row in rows]
