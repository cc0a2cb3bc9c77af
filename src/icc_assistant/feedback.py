"""Thumbs up/down on answers, kept in a SQLite database under the data directory."""

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

    def __init__(self, path: Path, timeout: float = 2.0) -> None:
        self.path = path
        self._timeout = timeout

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
            return int(cursor.lastrowid or 0)
        except sqlite3.Error as exc:
            raise FeedbackUnavailableError(
                f"Feedback could not be saved ({exc}); the answer itself is unaffected."
            ) from exc
        finally:
            connection.close()

    def export(self) -> list[dict[str, Any]]:
        """Every rating, newest first."""
        connection = self._connect()
        connection.row_factory = sqlite3.Row
        try:
            rows = connection.execute("SELECT * FROM feedback ORDER BY id DESC").fetchall()
        except sqlite3.Error as exc:
            raise FeedbackUnavailableError(f"Feedback could not be read: {exc}") from exc
        finally:
            connection.close()
        return [dict(row) for row in rows]
