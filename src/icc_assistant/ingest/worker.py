"""Parsing under a time budget, in worker processes that can be stopped.

A hostile document can make a parser work for minutes on a megabyte (a PDF whose pages share
one content stream of `q Q` operators, markup nested thousands deep), and no parser checks a
clock. So a parse with a budget runs in a worker process; when the budget is spent the worker
is killed and the document refused. Workers are started with `spawn` (the service's threads
make `fork` unsafe) and reused: the first parse pays for the start (about a second, not counted
in its budget), the next only for sending the bytes and receiving the parsed document. At most
MAX_WORKERS run at once (each holds the parser's data, some hundred megabytes); a parse asked
for while all are busy waits for one, and its budget starts when a worker has it.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from icc_assistant.errors import DocumentTooLargeError, UnreadableDocumentError

T = TypeVar("T")
MAX_IDLE_WORKERS = 2
# Parses at once: one per core; more only share the cores and multiply the memory.
MAX_WORKERS = max(2, os.cpu_count() or 2)
# A new worker's start, its loading of the parser's data and its import of the parser, before
# the call it was sent is unpickled: not the document's doing, so not counted in its budget.
START_SECONDS = 60.0
_STARTED = "started"
_CONTEXT = multiprocessing.get_context("spawn")


def _prepare() -> None:
    """Load what every parse needs (the language detector, the gazetteer's places) before the
    first document's budget starts: that cost is the worker's, not the document's."""
    from icc_assistant import gazetteer, language

    language.warm_up()
    gazetteer.warm_up(small=True)


def _serve(conn: Connection) -> None:
    """A worker's loop: call what it is sent, send back the result or the exception."""
    _prepare()
    while True:
        try:
            function, args, kwargs = conn.recv()
        except (EOFError, OSError):  # the parent closed the pipe or died
            return
        conn.send(_STARTED)  # the budget runs from here
        try:
            reply: tuple[bool, Any] = (True, function(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - sent back and raised in the parent
            reply = (False, exc)
        try:
            conn.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError):
            conn.send((False, UnreadableDocumentError(f"the parser failed: {reply[1]!r}")))


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self) -> None:
        self._conn, child = _CONTEXT.Pipe()
        self._process = _CONTEXT.Process(
            target=_serve, args=(child,), daemon=True, name="icc-parse"
        )
        self._process.start()
        child.close()

    def call(self, seconds: float, function: Callable[..., Any], args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> tuple[bool, Any] | None:  # fmt: skip
        """(ok, result or exception), or None when `seconds` passed first, counted from when
        the worker has the call (so a new worker's start is not)."""
        self._conn.send((function, args, kwargs))
        if not self._conn.poll(START_SECONDS) or self._conn.recv() != _STARTED:
            return None
        if not self._conn.poll(seconds):
            return None
        reply: tuple[bool, Any] = self._conn.recv()
        return reply

    def stop(self) -> None:
        self._process.kill()
        self._process.join()
        self._conn.close()


class ParseWorkers:
    """At most `max_workers` workers at once; idle ones kept for reuse (at most
    MAX_IDLE_WORKERS). A caller takes an idle worker or starts one, or waits for a turn."""

    def __init__(self, max_workers: int = MAX_WORKERS) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._turns = threading.BoundedSemaphore(max_workers)

    def run(self, seconds: float, source: str, function: Callable[..., T], /, *args: Any,
            **kwargs: Any) -> T:  # fmt: skip
        """`function(*args, **kwargs)` in a worker; DocumentTooLargeError naming `source`
        when it takes over `seconds`. Its own exceptions are raised here."""
        with self._turns:
            return self._run(seconds, source, function, args, kwargs)

    def _run(self, seconds: float, source: str, function: Callable[..., T],
             args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:  # fmt: skip
        worker = self._take()
        try:
            reply = worker.call(seconds, function, args, kwargs)
        except BaseException:
            worker.stop()
            raise
        if reply is None:
            worker.stop()
            raise DocumentTooLargeError(
                f"{source} takes over {seconds:g} s to parse (ICC_MAX_PARSE_SECONDS): a "
                "document built to be slow, or one to split or re-save.",
                source,
            )
        self._give_back(worker)
        ok, value = reply
        if not ok:
            raise value
        result: T = value
        return result

    def close(self) -> None:
        """Stop the idle workers (busy ones stop when their caller is done)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def _take(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Worker()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_WORKERS:
                self._idle.append(worker)
                return
        worker.stop()


WORKERS = ParseWorkers()
atexit.register(WORKERS.close)
