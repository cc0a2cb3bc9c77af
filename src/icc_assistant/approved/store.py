"""Approved answers on disk: one SQLite file in the data directory, safe with several workers.

Each row holds an approved answer and the vectors of its question and variants (computed once,
when it is written, by the embedder named beside them). Every write is one transaction and is
checkpointed into the main file at once, so a copy of the data directory taken between two
writes holds every answer (no write waits in the `-wal` file). `ingest --rebuild` drops the
index's collections, never this file.

Which served answer came from which approved answer is kept too (`served`, as long as ratings
are), so that a rating can be counted against the approved answer it rated.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from icc_assistant.approved.model import ApprovedAnswer, ApprovedDraft
from icc_assistant.errors import ApprovedAnswersUnavailableError, NotFoundError
from icc_assistant.sqlite_files import ThreadConnections, open_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    vectors BLOB NOT NULL,
    languages TEXT NOT NULL,
    embedder TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS served (
    answer_id TEXT PRIMARY KEY,
    approved_id TEXT NOT NULL,
    day TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS served_day ON served (day);
"""


@dataclass(frozen=True)
class StoredVectors:
    """An approved answer's question vectors (one row per wording) and their languages."""

    vectors: np.ndarray
    languages: tuple[str, ...]
    embedder: str


def iso_now(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    """A random id, so that answers exported from one deployment never collide with another's."""
    return secrets.token_hex(6)


class ApprovedStore:
    """One SQLite file; a connection per thread (sqlite_files.py), so any thread or worker can
    use it."""

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int = 90,
        max_served: int = 100_000,
        clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
    ) -> None:
        self.path = path
        self._retention_days = retention_days
        self._max_served = max_served
        self._clock = clock
        self._timeout = timeout
        self._connections = ThreadConnections(path, self._open)

    def today(self) -> date:
        return datetime.fromtimestamp(self._clock(), UTC).date()

    # -- answers ---------------------------------------------------------------------------------

    def save(
        self, draft: ApprovedDraft, vectors: StoredVectors, answer_id: str | None = None
    ) -> ApprovedAnswer:
        """Write `draft` as a new answer (`answer_id` None or unknown) or over an existing one."""
        return self.save_all([(draft, vectors, answer_id)])[0]

    def save_all(
        self, items: list[tuple[ApprovedDraft, StoredVectors, str | None]]
    ) -> list[ApprovedAnswer]:
        """Write several answers in one transaction: all of them, or none."""
        answers = [self._stored(draft, answer_id) for draft, _, answer_id in items]
        rows = [
            (
                answer.id,
                answer.model_dump_json(exclude={"id", "updated_at"}),
                np.ascontiguousarray(vectors.vectors, dtype=np.float32).tobytes(),
                json.dumps(list(vectors.languages)),
                vectors.embedder,
                answer.updated_at,
            )
            for answer, (_, vectors, _) in zip(answers, items, strict=True)
        ]
        with self._writing("saved") as connection:
            connection.executemany(
                "INSERT INTO answers (id, body, vectors, languages, embedder, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body,"
                " vectors = excluded.vectors, languages = excluded.languages,"
                " embedder = excluded.embedder, updated_at = excluded.updated_at",
                rows,
            )
        return answers

    def _stored(self, draft: ApprovedDraft, answer_id: str | None) -> ApprovedAnswer:
        return ApprovedAnswer(
            **{
                **draft.model_dump(),
                "approved_at": draft.approved_at or self.today(),
                "id": answer_id or new_id(),
                "updated_at": iso_now(self._clock),
            }
        )

    def replace_vectors(self, answer_id: str, vectors: StoredVectors) -> None:
        """Store new vectors for an answer (another embedder's), leaving the answer as it is."""
        with self._writing("saved") as connection:
            connection.execute(
                "UPDATE answers SET vectors = ?, languages = ?, embedder = ? WHERE id = ?",
                (
                    np.ascontiguousarray(vectors.vectors, dtype=np.float32).tobytes(),
                    json.dumps(list(vectors.languages)),
                    vectors.embedder,
                    answer_id,
                ),
            )

    def exists(self, answer_id: str) -> bool:
        with self._reading() as connection:
            found = connection.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,))
            return found.fetchone() is not None

    def get(self, answer_id: str) -> ApprovedAnswer:
        """The answer `answer_id`, or NotFoundError."""
        with self._reading() as connection:
            row = connection.execute(
                "SELECT id, body, updated_at FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"No approved answer has the id {answer_id[:80]!r}.")
        return _answer(row)

    def answers(self) -> list[ApprovedAnswer]:
        """Every approved answer, newest first."""
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT id, body, updated_at FROM answers ORDER BY updated_at DESC, id"
            ).fetchall()
        return [_answer(row) for row in rows]

    def with_vectors(self) -> list[tuple[ApprovedAnswer, StoredVectors]]:
        """Every answer with its vectors, for matching."""
        with self._reading() as connection:
            rows = connection.execute("SELECT * FROM answers ORDER BY id").fetchall()
        return [(_answer(row), _vectors(row)) for row in rows]

    def delete(self, answer_id: str) -> None:
        """Remove an answer for good (retiring is `active: false`); NotFoundError if unknown."""
        with self._writing("deleted") as connection:
            gone = connection.execute("DELETE FROM answers WHERE id = ?", (answer_id,))
            if gone.rowcount == 0:
                raise NotFoundError(f"No approved answer has the id {answer_id[:80]!r}.")

    def stamp(self) -> tuple[object, ...]:
        """Changes whenever any process writes the file: its and its WAL's times and sizes."""
        marks: list[object] = []
        for suffix in ("", "-wal"):
            try:
                stat = os.stat(f"{self.path}{suffix}")
                marks.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
            except OSError:
                marks.append(None)
        return tuple(marks)

    # -- served answers --------------------------------------------------------------------------

    def record_served(self, answer_id: str, approved_id: str) -> None:
        """Remember that the answer `answer_id` served the approved answer `approved_id`."""
        with self._writing("recorded", checkpoint=False) as connection:
            oldest = self.today() - timedelta(days=self._retention_days)
            connection.execute("DELETE FROM served WHERE day < ?", (oldest.isoformat(),))
            connection.execute(
                "INSERT OR REPLACE INTO served (answer_id, approved_id, day) VALUES (?, ?, ?)",
                (answer_id, approved_id, self.today().isoformat()),
            )
            connection.execute(
                "DELETE FROM served WHERE rowid <= (SELECT MAX(rowid) FROM served) - ?",
                (self._max_served,),
            )

    def served_from(self, answer_id: str) -> str | None:
        """The approved answer the answer `answer_id` served, if it served one."""
        with self._reading() as connection:
            row = connection.execute(
                "SELECT approved_id FROM served WHERE answer_id = ?", (answer_id,)
            ).fetchone()
        return str(row[0]) if row else None

    def served_counts(self) -> dict[str, int]:
        """How many answers served each approved answer (within the retention period)."""
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT approved_id, COUNT(*) FROM served GROUP BY approved_id"
            ).fetchall()
        return {str(key): int(n) for key, n in rows}

    # -- connections -----------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        connection = self._connections.get()
        try:
            yield connection
        except sqlite3.Error as exc:
            self._connections.drop()
            raise ApprovedAnswersUnavailableError(
                f"The approved answers could not be read: {exc}"
            ) from exc

    @contextmanager
    def _writing(self, doing: str, *, checkpoint: bool = True) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction (other writers wait for it), then a checkpoint so that the
        main file holds the change."""
        connection = self._connections.get()
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield connection
            connection.execute("COMMIT")
            if checkpoint:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            self._connections.drop()  # closing rolls back what the failure left
            raise ApprovedAnswersUnavailableError(
                f"The approved answer could not be {doing}: {exc}"
            ) from exc
        except BaseException:
            self._connections.drop()
            raise

    def _open(self, path: Path) -> sqlite3.Connection:
        try:
            connection = open_file(
                path,
                timeout=self._timeout,
                schema=_SCHEMA,
                autocommit=True,
            )
        except (sqlite3.Error, OSError) as exc:
            raise ApprovedAnswersUnavailableError(
                f"The approved answers cannot be opened: {exc}"
            ) from exc
        connection.row_factory = sqlite3.Row
        return connection


def _answer(row: sqlite3.Row) -> ApprovedAnswer:
    """A row as an ApprovedAnswer."""
    body: dict[str, Any] = json.loads(row["body"])
    return ApprovedAnswer.model_validate({**body, "id": row["id"], "updated_at": row["updated_at"]})


def _vectors(row: sqlite3.Row) -> StoredVectors:
    languages = tuple(json.loads(row["languages"]))
    vectors = np.frombuffer(row["vectors"], dtype=np.float32).reshape(len(languages), -1)
    return StoredVectors(vectors, languages, str(row["embedder"]))
