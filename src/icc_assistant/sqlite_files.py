"""Connections to the service's small SQLite files (gaps, feedback, approved answers), kept open.

Opening a connection costs the file's set-up (journal mode, schema, migrations), and closing
the last one on a WAL file checkpoints it with an fsync: about 20 ms a call, as much as the
rest of a refused question. So each thread keeps one connection per file, opened on first use;
a thread of another process (a forked worker) opens its own, and so does any thread once the
file has been replaced or removed (a restored backup, a test's clean-up), so that nobody writes
to an unlinked file, or made read-only (a disk remounted so, a file's mode changed): the
descriptor an open connection holds would still write, where the operator meant it not to.
A connection that failed is dropped and the next call opens a new one.

Opening sets the file up (WAL, then its schema and migrations) inside one IMMEDIATE
transaction: several workers' threads opening a new file at once wait for each other, where
statements run one by one could each hold a read lock while asking for the write lock, and
fail at once ("database is locked") rather than wait.

Closing used to checkpoint the WAL too, and so to erase from it the pages of deleted rows
(expired questions, replaced ratings): rows deleted through `delete` are now erased by a
checkpoint after their transaction commits (`erase_deleted`), and only then.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

Opener = Callable[[Path], sqlite3.Connection]
Migration = Callable[[sqlite3.Connection], None]


def open_file(
    path: Path,
    *,
    timeout: float,
    schema: str,
    migrate: Migration | None = None,
    pragmas: Sequence[str] = (),
    autocommit: bool = False,
) -> sqlite3.Connection:
    """A connection to the SQLite file at `path` (created if need be) in WAL mode, with these
    per-connection pragmas, after `schema` (run statement by statement, since a script commits
    first) and then `migrate` ran in one IMMEDIATE transaction. With `autocommit` every
    statement is its own transaction unless BEGIN says otherwise; without, Python's sqlite3
    begins one before a change (and `with connection:` commits it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        _use_wal(connection, time.monotonic() + timeout)
        for pragma in pragmas:
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("BEGIN IMMEDIATE")
        run_statements(connection, schema)
        if migrate is not None:
            migrate(connection)
        connection.execute("COMMIT")
    except BaseException:
        connection.close()
        raise
    if not autocommit:
        connection.isolation_level = "DEFERRED"
    return connection


def _use_wal(connection: sqlite3.Connection, deadline: float) -> None:
    """Put the file in WAL mode (it stays so). On a file being created, SQLite refuses the
    change at once while another connection converts it, without waiting for the busy
    timeout: so ask again until `deadline`."""
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def run_statements(connection: sqlite3.Connection, script: str) -> None:
    """Each `;`-separated statement of a schema script, in the open transaction (DDL and DML
    without semicolons in their text)."""
    for statement in script.split(";"):
        if statement.strip():
            connection.execute(statement)


@dataclass(frozen=True)
class _Open:
    connection: sqlite3.Connection
    pid: int
    file: tuple[int, int] | None  # (device, inode) of the file the connection opened


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


class ThreadConnections:
    """One open connection to `path` per thread, made by `opener` (which sets the file up)."""

    def __init__(self, path: Path, opener: Opener) -> None:
        self.path = path
        self._opener = opener
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened now if it has none, or the file is not the one it
        opened or is no longer writable."""
        held: _Open | None = getattr(self._local, "held", None)
        if held is not None:
            if (
                held.pid == os.getpid()
                and _identity(self.path) == held.file
                and os.access(self.path, os.W_OK)
            ):
                return held.connection
            self.drop()
        connection = self._opener(self.path)
        self._local.held = _Open(connection, os.getpid(), _identity(self.path))
        return connection

    def delete(
        self, connection: sqlite3.Connection, sql: str, parameters: tuple[object, ...]
    ) -> int:
        """Run a DELETE in this thread's transaction; the rows it removed are erased from the WAL
        by the next `erase_deleted`. Returns how many."""
        removed = connection.execute(sql, parameters).rowcount
        if removed > 0:
            self._local.deleted = True
        return removed

    def erase_deleted(self, connection: sqlite3.Connection) -> None:
        """After a commit: when it deleted rows, checkpoint and empty the WAL, so that no copy
        of them is left there (secure_delete already overwrites them in the main file)."""
        if getattr(self._local, "deleted", False):
            self._local.deleted = False
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def drop(self) -> None:
        """Close this thread's connection (after an error, or when done with the file)."""
        held: _Open | None = getattr(self._local, "held", None)
        self._local.held = None
        self._local.deleted = False  # rolled back
        if held is not None and held.pid == os.getpid():
            held.connection.close()
