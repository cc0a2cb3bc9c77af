"""The small SQLite files (gaps, feedback, approved answers) under many writers at once."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

from icc_assistant.approved.store import ApprovedStore
from icc_assistant.feedback import FeedbackStore
from icc_assistant.gaps import Gap, GapStore

THREADS = 16


def _first_calls(root: Path, errors: multiprocessing.Queue[str]) -> None:
    """What a freshly started worker's request threads do: each opens the files and uses them."""
    approved = ApprovedStore(root / "approved.sqlite3")
    gaps = GapStore(root / "gaps.sqlite3")
    feedback = FeedbackStore(root / "feedback.sqlite3")

    def request(n: int) -> None:
        try:
            approved.served_counts()
            gaps.add(Gap(kind="no_evidence", language="en"))
            feedback.add(f"{os.getpid()}-{n}", "up")
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.put(repr(exc))

    threads = [threading.Thread(target=request, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_two_workers_opening_new_files_at_once_both_get_them(tmp_path: Path) -> None:
    """Two workers whose threads all open the same new files at once: none is refused. (A
    file being put in WAL mode, or given its schema, by one connection used to refuse the
    others at once, "database is locked", or fail a migration, "duplicate column name".)"""
    context = multiprocessing.get_context("fork")
    errors: multiprocessing.Queue[str] = context.Queue()
    for round_ in range(4):  # the race is won often: several rounds make losing it certain
        root = tmp_path / f"round-{round_}"
        workers = [context.Process(target=_first_calls, args=(root, errors)) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
            assert worker.exitcode == 0
        assert GapStore(root / "gaps.sqlite3").counts().total == 2 * THREADS
        assert len(FeedbackStore(root / "feedback.sqlite3").export()) == 2 * THREADS
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert found == []
