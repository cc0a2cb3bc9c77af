"""Parse workers: the processes that parse documents under a time budget are capped in number,
whatever the number of parses asked for at once (issue 30)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

from icc_assistant.ingest.worker import ParseWorkers


def wait_for(path: str) -> str:
    """A parse stand-in that takes as long as the test wants: until `path` exists."""
    while not Path(path).exists():
        time.sleep(0.01)
    return path


def parse_workers() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == "icc-parse"]


def test_parses_asked_for_at_once_share_a_capped_number_of_workers(tmp_path: Path) -> None:
    """Six parses at once with a cap of two run in two worker processes, never six; all six
    finish. (Idle workers other tests left in the process's own pool are not these.)"""
    already = len(parse_workers())
    workers = ParseWorkers(max_workers=2)
    gate = str(tmp_path / "open")
    results: list[str] = []
    callers = [
        threading.Thread(target=lambda: results.append(workers.run(60, "doc", wait_for, gate)))
        for _ in range(6)
    ]
    seen: list[int] = []
    try:
        for caller in callers:
            caller.start()
        deadline = time.monotonic() + 60
        while len(parse_workers()) < already + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        seen.append(len(parse_workers()))
        Path(gate).touch()
        while any(c.is_alive() for c in callers) and time.monotonic() < deadline:
            seen.append(len(parse_workers()))
            time.sleep(0.05)
        assert len(results) == 6
        assert max(seen) == already + 2, (already, seen)
    finally:
        Path(gate).touch()
        for caller in callers:
            caller.join(60)
        workers.close()
