"""A run's crawl frontier: which URLs it found, which are left, and which host goes next.

Links are admitted in the order a page gives them: only the first `links_per_page` are read,
traps and malformed or out-of-scope URLs are counted and dropped, and the rest are normalised
and queued, each URL once per run. The frontier never holds more than `capacity` URLs (the
run's --max-pages: it could not visit more), so a page of a million links, each leading to more,
costs a bounded amount of memory and SQLite rows; URLs dropped for either bound are counted,
and a run that dropped any is not `complete`.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable

from icc_assistant.sync.models import SyncCounts
from icc_assistant.sync.urls import Scope, host_of, normalise_url, trap_reason

# Skipped links are counted once each; past this many, every skip counts (memory stays bounded).
MAX_REMEMBERED_SKIPS = 100_000


class Frontier:
    """The URLs of one run, queued per host; counts what it drops in `counts`."""

    def __init__(
        self, scope: Scope, counts: SyncCounts, *, capacity: int, links_per_page: int
    ) -> None:
        self._scope = scope
        self._counts = counts
        self._capacity = capacity
        self._links_per_page = links_per_page
        self._seen: set[str] = set()
        self._pending: dict[str, deque[str]] = defaultdict(deque)
        self._skipped: set[str] = set()
        self.dropped_any = False

    @property
    def found(self) -> int:
        """URLs found this run, visited or not."""
        return len(self._seen)

    def restore(self, found: Iterable[str], pending: Iterable[str]) -> None:
        """Take back a resumed run's URLs: `found` were seen, `pending` are still to visit."""
        self._seen.update(found)
        for url in pending:
            self._pending[host_of(url)].append(url)

    def admit(self, links: list[str]) -> list[str]:
        """The links a page may lead to: the first `links_per_page`, less traps and URLs that
        are malformed or outside the scope (each counted), normalised."""
        if len(links) > self._links_per_page:
            self._drop(len(links) - self._links_per_page)
            links = links[: self._links_per_page]
        kept = []
        for link in links:
            if trap_reason(link):
                self._skip("traps", link)
                continue
            normal = normalise_url(link)
            if normal is None:
                self._skip("malformed", link)
            elif not self._scope.allows(normal):
                self._skip("outside", normal)
            else:
                kept.append(normal)
        return list(dict.fromkeys(kept))

    def enqueue(self, urls: list[str]) -> list[str]:
        """Queue the URLs not seen this run, while there is room; returns them, for the
        caller to store with the page that led to them."""
        new = [url for url in dict.fromkeys(urls) if url not in self._seen]
        room = max(0, self._capacity - len(self._seen))
        if len(new) > room:
            self._drop(len(new) - room)
            new = new[:room]
        for url in new:
            self._seen.add(url)
            self._pending[host_of(url)].append(url)
        return new

    def next_url(self, ready_at: Callable[[str], float]) -> str | None:
        """The next URL of the host that may be asked soonest, or None when none is left."""
        hosts = [host for host, queue in self._pending.items() if queue]
        if not hosts:
            return None
        host = min(hosts, key=ready_at)
        return self._pending[host].popleft()

    def _skip(self, counter: str, url: str) -> None:
        if url in self._skipped:
            return
        if len(self._skipped) < MAX_REMEMBERED_SKIPS:
            self._skipped.add(url)
        setattr(self._counts, counter, getattr(self._counts, counter) + 1)

    def _drop(self, count: int) -> None:
        self._counts.dropped += count
        self.dropped_any = True
