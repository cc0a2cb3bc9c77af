"""Polite HTTP: one request at a time, a pause per host, robots.txt, retries, size and type limits.

Requests go out one after another from one thread, so no host ever sees two at once. After each
response the host rests `delay` seconds (the larger of the configured delay and robots.txt's
Crawl-delay, which is capped at `max_crawl_delay`), doubled after each 429 or 503 it sends. A
request answered 429 or 5xx, or timed out, is tried again after `backoff` seconds, doubling each
time, or after the Retry-After the server asked for. Every request must be over within
DEADLINE_FACTOR times the timeout, and connects only where `guard` allows. Redirects of pages
are not followed here: the caller schedules their target like any link, so that it passes the
same scope, trap and robots.txt checks; robots.txt's own redirects are followed only within the
scope. Cookies are never kept and no credentials are sent.

Every response field is read as hostile input: a redirect to `mailto:` is handed on to be counted
as a malformed link, a Retry-After that is no number of seconds nor an HTTP date is counted and
the usual backoff applies, and validators (ETag, Last-Modified) that are not visible ASCII are
counted and dropped, so they are never stored nor sent back.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin

import httpx
import structlog

from icc_assistant.sync.body import ACCEPT_ENCODING, UndecodableBodyError, read_body
from icc_assistant.sync.guard import (
    AddressRefusedError,
    Deadline,
    DeadlineExceededError,
    GuardedTransport,
    PrivateHosts,
)
from icc_assistant.sync.robots import RobotsRules
from icc_assistant.sync.urls import host_of

log = structlog.get_logger(__name__)

FetchKind = Literal[
    "ok", "not_modified", "gone", "redirect", "error", "robots", "too_large", "wrong_type"
]
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
_MAYBE_PDF = frozenset({"application/octet-stream", "binary/octet-stream", "application/download"})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SLOW_DOWN_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER = 120.0
MAX_PENALTY = 8.0
ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.1"
# A request's whole exchange (connect, headers, body) must end within this many timeouts.
DEADLINE_FACTOR = 3.0
# RFC 9309 2.5: a crawler parses at least the first 500 KiB of robots.txt, and may ignore the rest.
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_REDIRECTS = 5
# A validator sent back as sent (RFC 9110 8.8: ETag is visible ASCII; Last-Modified an HTTP
# date). Anything else (obs-text bytes, controls) is dropped rather than stored and resent.
_VISIBLE_ASCII = re.compile(r"[\x20-\x7e]{1,1000}")


@dataclass(frozen=True)
class FetchConfig:
    """How to behave on the network."""

    user_agent: str
    delay: float = 1.0
    timeout: float = 20.0
    retries: int = 3
    backoff: float = 2.0
    max_bytes: int = 20_000_000
    max_crawl_delay: float = 60.0
    private_hosts: PrivateHosts = PrivateHosts()

    @property
    def deadline(self) -> float:
        """Seconds one request may take in all."""
        return DEADLINE_FACTOR * self.timeout


@dataclass(frozen=True)
class Fetched:
    """What one URL gave. `kind` ok carries `body` and `suffix` (.html or .pdf)."""

    url: str
    kind: FetchKind
    status: int | None = None
    body: bytes = b""
    suffix: str = ""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None
    permanent: bool = False
    message: str = ""


class _Retryable(Exception):
    """A response or transport failure worth another try."""

    def __init__(self, message: str, status: int | None = None, wait: float | None = None):
        super().__init__(message)
        self.status = status
        self.wait = wait


class FetchStoppedError(Exception):
    """The fetcher was asked to stop while it waited for a host's turn."""


class _Refused(Exception):
    """A request that must not be tried again: a refused address, a deadline passed."""


class _DeadlinePassed(_Refused):
    """The request went on past its total deadline."""


class _UnfollowableRedirect(Exception):
    """A redirect whose Location httpx cannot even make a request of (`mailto:`, `data:`)."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(f"HTTP {status} to {location[:200]}")
        self.status = status
        self.location = location


@dataclass
class FetchCounts:
    """What the fetcher met, over its life: requests sent, and response fields it dropped."""

    requests: int = 0
    unreadable_retry: int = 0
    bad_validators: int = 0


@dataclass
class _Host:
    robots: RobotsRules | None = None
    next_at: float = 0.0
    penalty: float = 1.0


def _anywhere(url: str) -> bool:
    return True


@dataclass
class Fetcher:
    """Fetches URLs politely; `counts.requests` counts every request sent (robots.txt
    included). `in_scope` says where robots.txt may redirect to."""

    config: FetchConfig
    stop: threading.Event = field(default_factory=threading.Event)
    in_scope: Callable[[str], bool] = _anywhere
    counts: FetchCounts = field(default_factory=FetchCounts)
    _hosts: dict[str, _Host] = field(default_factory=dict)
    _client: httpx.Client | None = None
    _deadline: Deadline = field(default_factory=Deadline)
    _answered: tuple[int, str | None] | None = None

    def __post_init__(self) -> None:
        refuse_all = http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
        no_cookies = http.cookiejar.CookieJar(refuse_all)
        self._client = httpx.Client(
            headers={
                "User-Agent": self.config.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            timeout=self.config.timeout,
            follow_redirects=False,
            cookies=no_cookies,
            trust_env=False,
            transport=GuardedTransport(self.config.private_hosts, self._deadline),
            event_hooks={"response": [self._note_answer]},
        )

    def _note_answer(self, response: httpx.Response) -> None:
        """Remember the status and Location of the answer: httpx prepares the request a
        redirect leads to even when it does not follow it, and fails for `mailto:` targets."""
        self._answered = (response.status_code, response.headers.get("location"))

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()

    def ready_at(self, url: str) -> float:
        """When (time.monotonic) the URL's host may next be asked."""
        return self._host(url).next_at

    def robots(self, url: str) -> RobotsRules:
        """The robots.txt rules of the URL's host, fetched on first use."""
        host = self._host(url)
        if host.robots is None:
            host.robots = self._fetch_robots(host_of(url))
            self._rest(url, None)  # the Crawl-delay it may set counts from its own request
        return host.robots

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET `url` (conditionally when validators are given), after robots.txt and the host's
        pause; retried on 429/5xx and timeouts."""
        try:
            if not self.robots(url).allows(url):
                return Fetched(url, "robots", message="disallowed by robots.txt")
            return self._fetch(url, etag, last_modified)
        except _Refused as exc:
            return Fetched(url, "error", message=str(exc))

    def _fetch(self, url: str, etag: str | None, last_modified: str | None) -> Fetched:
        headers = {}
        if etag and _VISIBLE_ASCII.fullmatch(etag):
            headers["If-None-Match"] = etag
        if last_modified and _VISIBLE_ASCII.fullmatch(last_modified):
            headers["If-Modified-Since"] = last_modified
        for attempt in range(self.config.retries + 1):
            try:
                return self._get(url, headers)
            except _Retryable as exc:
                if attempt == self.config.retries or (exc.wait or 0) > MAX_RETRY_AFTER:
                    return Fetched(url, "error", status=exc.status, message=str(exc))
                pause = exc.wait if exc.wait is not None else self.config.backoff * 2**attempt
                log.info("retrying", url=url, reason=str(exc), pause=pause)
                self._host(url).next_at = max(self._host(url).next_at, time.monotonic() + pause)
        raise AssertionError("unreachable")  # the loop always returns

    # -- internals ------------------------------------------------------------------------------

    def _host(self, url: str) -> _Host:
        return self._hosts.setdefault(host_of(url), _Host())

    def _wait_turn(self, url: str) -> None:
        pause = self._host(url).next_at - time.monotonic()
        if pause > 0 and self.stop.wait(pause):
            raise FetchStoppedError(url)

    def _rest(self, url: str, status: int | None) -> None:
        host = self._host(url)
        if status in _SLOW_DOWN_STATUSES:
            host.penalty = min(host.penalty * 2, MAX_PENALTY)
        robots_delay = host.robots.delay() if host.robots else 0.0
        delay = max(self.config.delay, min(robots_delay, self.config.max_crawl_delay))
        host.next_at = time.monotonic() + delay * host.penalty

    @contextmanager
    def _request(self, url: str, headers: dict[str, str] | None = None) -> Iterator[httpx.Response]:
        """One streamed GET within the deadline; refused addresses and passed deadlines
        raise _Refused."""
        self._wait_turn(url)
        self.counts.requests += 1
        self._deadline.start(self.config.deadline)
        self._answered = None
        try:
            assert self._client is not None
            with self._client.stream("GET", url, headers=headers) as response:
                yield response
        except AddressRefusedError as exc:
            raise _Refused(str(exc)) from exc
        except DeadlineExceededError as exc:
            raise _DeadlinePassed(str(exc)) from exc
        except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
            answered = self._answered
            if answered is None or answered[1] is None or not 300 <= answered[0] < 400:
                raise
            raise _UnfollowableRedirect(answered[0], answered[1]) from exc
        finally:
            self._deadline.clear()

    def _fetch_robots(self, origin: str) -> RobotsRules:
        url = f"{origin}/robots.txt"
        for _ in range(ROBOTS_REDIRECTS):  # robots.txt may redirect (to https, to www.)
            try:
                with self._request(url) as response:
                    if not (response.is_redirect and "location" in response.headers):
                        return _robots_rules(url, response)
                    target = _joined(url, response.headers["location"])
            except _UnfollowableRedirect as exc:
                target = exc.location
            except (httpx.HTTPError, _DeadlinePassed) as exc:  # a refused address: an error
                log.warning("robots.txt unreachable", url=url, error=str(exc) or type(exc).__name__)
                return RobotsRules.from_response(None, "")
            finally:
                self._rest(url, None)
            if not self.in_scope(target):
                log.warning("robots.txt redirects out of the scope", url=url, target=target)
                return RobotsRules.from_response(None, "")
            url = target
        return RobotsRules.from_response(None, "")

    def _get(self, url: str, headers: dict[str, str]) -> Fetched:
        status: int | None = None
        try:
            with self._request(url, headers) as response:
                status = response.status_code
                return self._read(url, response)
        except _UnfollowableRedirect as exc:
            status = exc.status
            return Fetched(url, "redirect", status, location=exc.location)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"no answer within {self.config.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"network error ({type(exc).__name__})") from exc
        finally:
            self._rest(url, status)

    def _read(self, url: str, response: httpx.Response) -> Fetched:
        status = response.status_code
        if status == 304:
            etag, modified = self._validators(response)
            return Fetched(url, "not_modified", status, etag=etag, last_modified=modified)
        if response.is_redirect:
            location = response.headers.get("location")
            target = _joined(url, location) if location else None
            return Fetched(url, "redirect", status, location=target, permanent=status in (301, 308))
        if status in (404, 410):
            return Fetched(url, "gone", status, message=f"HTTP {status}")
        if status in _RETRY_STATUSES:
            raise _Retryable(f"HTTP {status}", status, self._retry_after(response))
        if not 200 <= status < 300 or status == 204:
            return Fetched(url, "error", status, message=f"HTTP {status}")
        return self._body(url, response)

    def _body(self, url: str, response: httpx.Response) -> Fetched:
        content_type = response.headers.get("content-type", "")
        media = content_type.split(";")[0].strip().lower()
        status = response.status_code
        if media not in PAGE_TYPES | PDF_TYPES | _MAYBE_PDF:
            return Fetched(url, "wrong_type", status, message=f"type {media or 'unknown'}")
        limit = self.config.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            return Fetched(url, "too_large", status, message=f"{int(declared):,} bytes")
        try:
            read = read_body(response, limit)
        except UndecodableBodyError as exc:
            return Fetched(url, "error", status, message=str(exc))
        if read.truncated:
            return Fetched(url, "too_large", status, message=f"over {limit:,} bytes")
        body = read.data
        is_pdf = media in PDF_TYPES or body[:5] == b"%PDF-"
        if media in _MAYBE_PDF and not is_pdf:
            return Fetched(url, "wrong_type", status, message=f"type {media}")
        suffix = ".pdf" if is_pdf else ".html"
        etag, modified = self._validators(response)
        return Fetched(url, "ok", status, body, suffix, content_type, etag, modified)

    def _validators(self, response: httpx.Response) -> tuple[str | None, str | None]:
        """The response's ETag and Last-Modified; one that is not visible ASCII (or, for
        Last-Modified, no HTTP date) is counted and left out."""
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        if etag is not None and not _VISIBLE_ASCII.fullmatch(etag):
            self.counts.bad_validators += 1
            etag = None
        if modified is not None and _http_date(modified) is None:
            self.counts.bad_validators += 1
            modified = None
        return etag, modified

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Seconds the server's Retry-After asks for (a number or an HTTP date), if any; one
        that is neither is counted and ignored."""
        value = response.headers.get("retry-after", "").strip()
        if not value:
            return None
        if value.isascii() and value.isdigit():
            return float(value)
        when = _http_date(value)
        if when is None:
            self.counts.unreadable_retry += 1
            log.info("unreadable Retry-After ignored", url=str(response.url), value=value[:40])
            return None
        return max(0.0, when - time.time())


def _robots_rules(url: str, response: httpx.Response) -> RobotsRules:
    """Rules from a robots.txt answer: its first ROBOTS_MAX_BYTES decoded bytes (to the last
    whole line) are parsed, as RFC 9309 allows; a body that cannot be decoded counts as
    unreachable."""
    if not 200 <= response.status_code < 300:
        return RobotsRules.from_response(response.status_code, "")
    try:
        read = read_body(response, ROBOTS_MAX_BYTES)
    except UndecodableBodyError as exc:
        log.warning("robots.txt undecodable", url=url, error=str(exc))
        return RobotsRules.from_response(None, "")
    data = read.data
    if read.truncated:
        log.warning("robots.txt over the limit; its start is read", url=url, limit=ROBOTS_MAX_BYTES)
        data = data[: data.rfind(b"\n") + 1]
    return RobotsRules.from_response(response.status_code, data.decode("utf-8", "replace"))


def _joined(base: str, location: str) -> str:
    """`location` resolved against `base` as the URL standard does; one that is no http(s)
    URL (`mailto:`, `data:`) comes back as it is, for the caller's checks to refuse."""
    try:
        return urljoin(base, location.strip())
    except ValueError:  # urllib's verdict on a malformed host or port
        return location


def _http_date(value: str) -> float | None:
    """The POSIX time of an HTTP date (RFC 9110 5.6.7), or None for anything else."""
    if not _VISIBLE_ASCII.fullmatch(value):
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
