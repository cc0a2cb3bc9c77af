"""The index's write lock: one writer at a time per data directory, and the name its records carry.

Every change to the index holds this lock while it writes: a document's records and its commit,
a removal, the removal of superseded or abandoned records, `ingest --rebuild`. It is a file lock
on the data directory (filelock: flock, so a writer killed with `kill -9` frees it at once), and
it excludes threads, processes and the service's workers that share the data directory: on one
machine, share it.

Writers elsewhere (another machine, or another data directory, on the same Chroma server) do not
see this lock. Each record therefore carries the name of the lock its writer held (`writer`):
a writer holding the lock knows that no other writer of its own name is between writing a
document's records and committing it, so those of its name that no document uses are abandoned;
another name's are left alone until they are old (index/orphans.py).
"""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import structlog
from filelock import FileLock, Timeout

log = structlog.get_logger(__name__)

LOCK_FILE = "index.lock"
NAME_FILE = "index.writer"


class WriteLock:
    """The data directory's index write lock (reentrant within a thread)."""

    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir
        self._lock = FileLock(data_dir / LOCK_FILE)
        self._name: str | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block, saying so when another writer makes this one wait."""
        self._dir.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            log.info("waiting for another writer of this data directory to finish",
                     lock=str(self._dir / LOCK_FILE))  # fmt: skip
            self._lock.acquire()
        try:
            yield
        finally:
            self._lock.release()

    @property
    def name(self) -> str:
        """This data directory's writer name (`<host>-<random>`, made once, kept in the data
        directory): what its records carry."""
        if self._name is None:
            with self.held():
                path = self._dir / NAME_FILE
                if not path.is_file() or not path.read_text(encoding="utf-8").strip():
                    made = f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:12]}"
                    path.write_text(made, encoding="utf-8")
                self._name = path.read_text(encoding="utf-8").strip()
        return self._name
