"""Turns at a limited resource, taken in the order they were asked for.

threading.Semaphore lets a thread that releases a permit take it again at once, before the
thread it woke gets there: under steady load a thread pool's threads keep their turns and one
request waits for seconds. Here a released turn is handed to the longest waiter, so waits stay
in arrival order.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class Turns:
    """At most `at_once` holders; the others wait, first come, first served."""

    def __init__(self, at_once: int) -> None:
        if at_once < 1:
            raise ValueError(f"at_once must be at least 1, got {at_once}")
        self._free = at_once
        self._lock = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()

    @property
    def waiting(self) -> int:
        """How many wait for a turn now."""
        with self._lock:
            return len(self._waiting)

    def __enter__(self) -> Turns:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return self
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the holder that hands its turn over
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1
