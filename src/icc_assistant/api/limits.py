"""Rate limits in cost units, shared by every worker, and the request body size limit.

A client (an address, an IPv6 /64, a key) has a budget of ICC_RATE_LIMIT_PER_MINUTE cost units
that refills evenly over a minute. A request costs what its work costs the service, in units of
about one short chat (bench/limits.py measures them): a question costs more the longer it is,
since embedding it does, and a briefing note several chats, a Word file more. Heavy work (the
notes) also runs a few at a time (`HeavyWork`), so a client who may still afford notes cannot
take every core from the chats of others.

Budgets live in one SQLite file (ICC_RATE_LIMIT_STORE, else ICC_DATA_DIR/limits.sqlite3), so the
workers of `serve --workers N`, and services sharing the data directory, count together. Each
budget is one row: the time its spending is paid back (the generic cell rate algorithm), so a
request is one short write transaction, and a row whose debt is paid is deleted; at most
`max_identities` rows are kept (those paid back soonest go first). Why not a library: `limits`
keeps shared counters only in Redis, Memcached or MongoDB (a server to run beside the service),
and pyrate-limiter's SQLite bucket keeps one table per identity and a row per unit of cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from icc_assistant.api.errors import send_error
from icc_assistant.errors import RateLimitedError
from icc_assistant.settings import Settings

log = structlog.get_logger("icc_assistant.api")

WINDOW = 60.0  # seconds a whole budget takes to refill
MAX_IDENTITIES = 100_000
# How often (in writes) rows whose debt is paid are swept out, and the table held to its size.
SWEEP_EVERY = 500
# Seconds a check waits for another worker's write before letting the request through: a limiter
# that cannot count must not take the service down with it.
STORE_TIMEOUT = 1.0

# Cost units. One unit is about what a short chat costs the service (a query embedding and a
# search); bench/limits.py prints the CPU seconds each kind of request costs beside its units.
REQUEST_COST = 1  # every request, counted at the door, before its body is read
# Embedding a question costs more than linearly in its length: a 2,000-character question
# costs about fourteen short ones.
QUESTION_CHARS_PER_UNIT = 150
BRIEF_FACTOR = 2  # a briefing note searches twice (practices, then recommendations)
DOCX_COST = 2  # a Word file: python-docx building the document
# Briefing notes written at once per process: half the cores, so chats keep the rest.
HEAVY_SLOTS = max(1, (os.cpu_count() or 2) // 2)


def question_cost(text: str) -> int:
    """What answering a question of this length costs, in units."""
    return REQUEST_COST + len(text) // QUESTION_CHARS_PER_UNIT


def brief_cost(question: str, docx: bool) -> int:
    """What writing a briefing note costs, in units."""
    return BRIEF_FACTOR * question_cost(question) + (DOCX_COST if docx else 0)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS budgets (
    bucket TEXT NOT NULL,
    identity TEXT NOT NULL,
    paid_at REAL NOT NULL,
    PRIMARY KEY (bucket, identity)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS budgets_paid ON budgets (paid_at);
"""


class BudgetStore:
    """The SQLite file of budgets; one connection per process, used under a lock.

    `path` None keeps the budgets in memory, for this process alone."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        max_identities: int = MAX_IDENTITIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_identities = max_identities
        self.clock = clock
        self._lock = threading.Lock()
        self._writes = 0
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        target = str(path) if path is not None else ":memory:"
        self._db = sqlite3.connect(
            target, timeout=STORE_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")  # a crash may forget some spending: fine
        self._db.executescript(_SCHEMA)

    @classmethod
    def from_settings(cls, settings: Settings) -> BudgetStore:
        return cls(settings.rate_limit_store or settings.data_dir / "limits.sqlite3")

    def spend(
        self, bucket: str, identity: str, cost: float, *, refuse: bool = True, record: bool = True
    ) -> float:
        """Spend `cost` seconds of `identity`'s WINDOW; returns 0, or, when `refuse` and the
        window would overflow (then nothing is spent), the seconds until it would not. Without
        `record` nothing is spent either way: a look."""
        with self._lock:
            try:
                return self._spend(bucket, identity, cost, refuse, record)
            except sqlite3.Error as exc:
                log.warning("rate limit not counted", error=str(exc))
                return 0.0

    def count(self, bucket: str) -> int:
        """Identities of `bucket` whose spending is not yet paid back."""
        with self._lock:
            self._sweep(self.clock())
            row = self._db.execute("SELECT COUNT(*) FROM budgets WHERE bucket = ?", (bucket,))
            return int(row.fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def _spend(self, bucket: str, identity: str, cost: float, refuse: bool, record: bool) -> float:
        now = self.clock()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute(
                "SELECT paid_at FROM budgets WHERE bucket = ? AND identity = ?", (bucket, identity)
            ).fetchone()
            paid_at = max(row[0] if row else now, now) + cost
            over = paid_at - now - WINDOW
            if refuse and over > 1e-9:
                self._db.execute("COMMIT")
                return over
            paid_at = min(paid_at, now + WINDOW)  # spending past the budget: a minute's debt
            if record:
                self._db.execute(
                    "INSERT OR REPLACE INTO budgets (bucket, identity, paid_at) VALUES (?, ?, ?)",
                    (bucket, identity, paid_at),
                )
                self._writes += 1
                if self._writes % SWEEP_EVERY == 0:
                    self._sweep(now)
            self._db.execute("COMMIT")
            return 0.0
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _sweep(self, now: float) -> None:
        """Forget paid-back budgets, and hold the table to `max_identities` rows."""
        self._db.execute("DELETE FROM budgets WHERE paid_at <= ?", (now,))
        (rows,) = self._db.execute("SELECT COUNT(*) FROM budgets").fetchone()
        if rows > self.max_identities:
            self._db.execute(
                "DELETE FROM budgets WHERE (bucket, identity) IN (SELECT bucket, identity"
                " FROM budgets ORDER BY paid_at LIMIT ?)",
                (rows - self.max_identities,),
            )


class RateLimiter:
    """A budget of `per_minute` units per identity (an address, a /64, a key), refilling
    evenly over a minute, in one bucket of a BudgetStore (its own in-memory one by default)."""

    def __init__(
        self,
        per_minute: int,
        *,
        what: str = "requests",
        store: BudgetStore | None = None,
        bucket: str | None = None,
        max_identities: int = MAX_IDENTITIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self.what = what
        self._store = store or BudgetStore(max_identities=max_identities, clock=clock)
        self._bucket = bucket or what

    def __len__(self) -> int:
        """Identities currently remembered (their budget is not whole)."""
        return self._store.count(self._bucket)

    def check(self, identity: str, cost: int = 1) -> None:
        """Spend `cost` units; raise RateLimitedError, spending nothing, when the identity's
        budget does not hold them (a cost over the whole budget spends all of it)."""
        self._refuse(self._store.spend(self._bucket, identity, self._seconds(cost)))

    def refuse_if_over(self, identity: str) -> None:
        """Raise RateLimitedError if one more unit would not fit; spend nothing."""
        self._refuse(self._store.spend(self._bucket, identity, self._seconds(1), record=False))

    def count(self, identity: str, cost: int = 1) -> None:
        """Spend `cost` units without refusing (a failed key check, say)."""
        self._store.spend(self._bucket, identity, self._seconds(cost), refuse=False)

    def _refuse(self, over: float) -> None:
        if over > 0:
            retry = max(1, math.ceil(over))
            raise RateLimitedError(
                f"Too many {self.what}: {self.per_minute} a minute; retry in {retry} s.", retry
            )

    def _seconds(self, cost: int) -> float:
        return min(cost, self.per_minute) * WINDOW / self.per_minute


@dataclass(frozen=True)
class Limits:
    """The service's limiters, over one shared store: request costs, failed key checks and
    widget tokens, per identity."""

    requests: RateLimiter
    auth_failures: RateLimiter
    widget_tokens: RateLimiter
    heavy_work: HeavyWork

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        store = BudgetStore.from_settings(settings)
        return cls(
            requests=RateLimiter(settings.rate_limit_per_minute, store=store),
            auth_failures=RateLimiter(
                settings.auth_failures_per_minute, what="failed key checks", store=store
            ),
            widget_tokens=RateLimiter(
                settings.widget_tokens_per_minute, what="widget tokens", store=store
            ),
            heavy_work=HeavyWork(HEAVY_SLOTS),
        )


class HeavyWork:
    """At most `slots` pieces of heavy work (briefing notes) at once in this process; the
    others wait their turn, so the rest of the cores stay with light requests."""

    def __init__(self, slots: int) -> None:
        self._slots = asyncio.Semaphore(slots)

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._slots:
            yield


class BodySizeLimit:
    """ASGI middleware: refuse bodies over the limit with 413, declared or streamed.

    A streamed (chunked) body that grows past the limit is answered with 413 at once; the app
    then sees the client as gone, and whatever it tries to answer is dropped."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_max_bytes if scope["path"] == "/api/documents" else self.max_bytes
        message = f"The request body is over the {limit:,}-byte limit."
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, message)
            return
        seen = 0
        refused = started = False

        async def limited() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            received = await receive()
            if received["type"] == "http.request":
                seen += len(received.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        await _refuse(scope, send, message)
                    return {"type": "http.disconnect"}
            return received

        async def unless_refused(sent: Message) -> None:
            nonlocal started
            if not refused:
                started = started or sent["type"] == "http.response.start"
                await send(sent)

        await self.app(scope, limited, unless_refused)


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    """Answer 413 in the common error shape without reading the body."""
    request_id = scope.get("state", {}).get("request_id")
    await send_error(send, 413, "payload_too_large", message, request_id, close=True)
