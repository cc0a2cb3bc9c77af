"""The record of gaps: one SQLite file under the data directory, pruned by the store itself.

A row holds the UTC day (never the time), the kind, the language, the cities and topics
detected, the filters and the gate's reason. The question's text is stored only when the store
is told to keep it, and then scrubbed first (`scrub`); such a gap may also hold the text's
vector (computed once, to compare it with the approved answers) and the approved answer that
now answers it (`answered_by`). A gap without text keeps no vector: nothing of the question.
Rows older than the retention period are deleted before every read and every write, and the
newest `max_rows` are all that is kept.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from icc_assistant.errors import GapsUnavailableError
from icc_assistant.gaps.scrub import scrub
from icc_assistant.settings import Settings
from icc_assistant.sqlite_files import ThreadConnections, open_file

GapKind = Literal["no_evidence", "thumbs_down"]
GAP_KINDS: tuple[GapKind, ...] = ("no_evidence", "thumbs_down")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('no_evidence', 'thumbs_down')),
    language TEXT,
    cities TEXT NOT NULL,
    topics TEXT NOT NULL,
    filters TEXT NOT NULL,
    reason TEXT,
    text TEXT
);
CREATE INDEX IF NOT EXISTS gaps_day ON gaps (day);
"""
GroupName = Literal["kind", "language", "day", "city", "topic"]
# How each count groups: a column, or the items of a JSON list column.
_GROUPS: dict[GroupName, str] = {
    "kind": "SELECT kind, COUNT(*) FROM gaps WHERE day BETWEEN ? AND ? GROUP BY 1",
    "language": "SELECT COALESCE(language, 'unknown'), COUNT(*) FROM gaps"
    " WHERE day BETWEEN ? AND ? GROUP BY 1",
    "day": "SELECT day, COUNT(*) FROM gaps WHERE day BETWEEN ? AND ? GROUP BY 1",
    "city": "SELECT j.value, COUNT(*) FROM gaps, json_each(gaps.cities) AS j"
    " WHERE day BETWEEN ? AND ? GROUP BY 1",
    "topic": "SELECT j.value, COUNT(*) FROM gaps, json_each(gaps.topics) AS j"
    " WHERE day BETWEEN ? AND ? GROUP BY 1",
}


class Gap(BaseModel):
    """One recorded question the material did not answer (or an answer rated down)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: GapKind
    language: str | None = None
    cities: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    filters: dict[str, str | int] = {}
    reason: str | None = None
    text: str | None = None


class StoredGap(Gap):
    """A gap as read back, with the day it was recorded and the approved answer that now
    answers it, if one does."""

    day: date
    answered_by: str | None = None


@dataclass(frozen=True)
class KeptText:
    """A gap whose text was kept, as the approved answers are compared with it."""

    id: int
    text: str
    filters: dict[str, str | int]
    vector: bytes | None


@dataclass(frozen=True)
class GapCounts:
    """How many gaps each kind, language, day, city and topic has, and the newest texts."""

    total: int
    groups: dict[GroupName, dict[str, int]]
    examples: list[StoredGap]
    answered: int = 0


def utc_day(clock: Callable[[], float]) -> date:
    """Today in UTC, by `clock`."""
    return datetime.fromtimestamp(clock(), UTC).date()


class GapStore:
    """One SQLite file; a connection per thread (sqlite_files.py), so any thread or worker can
    use it."""

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int = 90,
        keep_text: bool = False,
        max_rows: int = 100_000,
        clock: Callable[[], float] = time.time,
        timeout: float = 2.0,
    ) -> None:
        self.path = path
        self.retention_days = retention_days
        self.keep_text = keep_text
        self._max_rows = max_rows
        self._clock = clock
        self._timeout = timeout
        self._connections = ThreadConnections(path, self._open)

    @classmethod
    def from_settings(cls, settings: Settings) -> GapStore:
        return cls(
            settings.data_dir / "gaps.sqlite3",
            retention_days=settings.retention_days,
            keep_text=settings.gaps_keep_text,
            max_rows=settings.gaps_max_rows,
        )

    def add(self, gap: Gap) -> None:
        """Record one gap today; its text only if this store keeps text, scrubbed first."""
        with self._transaction("saved") as connection:
            self._insert(connection, gap)

    def _insert(self, connection: sqlite3.Connection, gap: Gap) -> int:
        text = scrub(gap.text) if self.keep_text and gap.text else None
        row = (
            utc_day(self._clock).isoformat(),
            gap.kind,
            gap.language,
            json.dumps(list(gap.cities), ensure_ascii=False),
            json.dumps(list(gap.topics), ensure_ascii=False),
            json.dumps(gap.filters, ensure_ascii=False, sort_keys=True),
            gap.reason,
            text,
        )
        cursor = connection.execute(
            "INSERT INTO gaps (day, kind, language, cities, topics, filters, reason, text)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        new_id = int(cursor.lastrowid or 0)
        self._connections.delete(
            connection, "DELETE FROM gaps WHERE id <= ?", (new_id - self._max_rows,)
        )
        return new_id

    def replace(self, earlier: int | None, gap: Gap | None) -> int | None:
        """In one transaction: delete the thumbs-down gap `earlier` (a rating now replaced) and
        record `gap` (its replacement, if it records one); returns the new gap's id."""
        with self._transaction("saved") as connection:
            if earlier is not None:
                self._connections.delete(
                    connection, "DELETE FROM gaps WHERE id = ? AND kind = 'thumbs_down'", (earlier,)
                )
            return self._insert(connection, gap) if gap is not None else None

    def gaps(self, since: date | None = None, until: date | None = None) -> list[StoredGap]:
        """The gaps recorded from `since` to `until` (both included), newest first."""
        with self._transaction("read") as connection:
            rows = connection.execute(
                "SELECT * FROM gaps WHERE day BETWEEN ? AND ? ORDER BY day DESC, id DESC",
                _span(since, until),
            ).fetchall()
        return [_stored(row) for row in rows]

    def counts(
        self, since: date | None = None, until: date | None = None, examples: int = 50
    ) -> GapCounts:
        """Counts of the gaps from `since` to `until` (both included), by SQL, so a report
        over the whole table stays quick; with the `examples` newest gaps that kept text."""
        span = _span(since, until)
        with self._transaction("read") as connection:
            (total,) = connection.execute(
                "SELECT COUNT(*) FROM gaps WHERE day BETWEEN ? AND ?", span
            ).fetchone()
            groups = {
                name: {str(key): int(n) for key, n in connection.execute(sql, span)}
                for name, sql in _GROUPS.items()
            }
            rows = connection.execute(
                "SELECT * FROM gaps WHERE day BETWEEN ? AND ? AND text IS NOT NULL"
                " ORDER BY day DESC, id DESC LIMIT ?",
                (*span, examples),
            ).fetchall()
            (answered,) = connection.execute(
                "SELECT COUNT(*) FROM gaps WHERE day BETWEEN ? AND ? AND answered_by IS NOT NULL",
                span,
            ).fetchone()
        return GapCounts(int(total), groups, [_stored(row) for row in rows], int(answered))

    def kept_texts(self, limit: int = 2000) -> list[KeptText]:
        """The newest `limit` gaps whose text was kept, with their vectors where computed."""
        with self._transaction("read") as connection:
            rows = connection.execute(
                "SELECT id, text, filters, vector FROM gaps WHERE text IS NOT NULL"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            KeptText(int(r["id"]), r["text"], json.loads(r["filters"]), r["vector"]) for r in rows
        ]

    def set_answered(self, marks: list[tuple[int, str | None, bytes | None]]) -> None:
        """For each (gap id, approved answer id or None, its text's vector): record which
        approved answer now answers it, and the vector for the next comparison."""
        with self._transaction("saved") as connection:
            connection.executemany(
                "UPDATE gaps SET answered_by = ?, vector = COALESCE(?, vector) WHERE id = ?",
                [(answered, vector, gap_id) for gap_id, answered, vector in marks],
            )

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        """A connection inside one transaction, expired rows already gone."""
        connection = self._connections.get()
        try:
            with connection:
                self._delete_expired(connection)
                yield connection
            self._connections.erase_deleted(connection)
        except sqlite3.Error as exc:
            self._connections.drop()
            raise GapsUnavailableError(
                f"The record of unanswered questions could not be {doing}: {exc}"
            ) from exc

    def _delete_expired(self, connection: sqlite3.Connection) -> None:
        oldest = utc_day(self._clock) - timedelta(days=self.retention_days)
        self._connections.delete(
            connection, "DELETE FROM gaps WHERE day < ?", (oldest.isoformat(),)
        )

    def _open(self, path: Path) -> sqlite3.Connection:
        try:
            connection = open_file(
                path,
                timeout=self._timeout,
                schema=_SCHEMA,
                migrate=_migrate,
                # Deleted rows are overwritten, so expired text does not linger in free pages;
                # WAL with NORMAL sync cannot corrupt: a power cut may lose the last gaps only.
                pragmas=("secure_delete=ON", "synchronous=NORMAL"),
            )
        except (sqlite3.Error, OSError) as exc:
            raise GapsUnavailableError(
                f"The record of unanswered questions cannot be opened: {exc}"
            ) from exc
        connection.row_factory = sqlite3.Row
        return connection


def _migrate(connection: sqlite3.Connection) -> None:
    """Add the columns a store written by an earlier version lacks."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(gaps)")}
    if "answered_by" not in columns:
        connection.execute("ALTER TABLE gaps ADD COLUMN answered_by TEXT")
    if "vector" not in columns:
        connection.execute("ALTER TABLE gaps ADD COLUMN vector BLOB")


def _span(since: date | None, until: date | None) -> tuple[str, str]:
    """The days from `since` to `until` as comparable ISO strings; None: unbounded."""
    return (
        since.isoformat() if since else "0000-00-00",
        until.isoformat() if until else "9999-99-99",
    )


def _stored(row: sqlite3.Row) -> StoredGap:
    """A row as a StoredGap; the store wrote it, so it is not validated again (fast reads)."""
    values: dict[str, Any] = dict(row)
    return StoredGap.model_construct(
        day=date.fromisoformat(values["day"]),
        kind=values["kind"],
        language=values["language"],
        cities=tuple(json.loads(values["cities"])),
        topics=tuple(json.loads(values["topics"])),
        filters=json.loads(values["filters"]),
        reason=values["reason"],
        text=values["text"],
        answered_by=values.get("answered_by"),
    )
