"""Polite HTTP: one request at a time, a pause per host, robots.txt, retries, size and type limits.

Requests go out one after another from one thread, so no host ever sees two at once. After each
response the host rests `delay` seconds (the larger of the configured delay and robots.txt's
Crawl-delay), doubled after each 429 or 503 it sends. A request answered 429 or 5xx, or timed
out, is tried again after `backoff` seconds, doubling each time, or after the Retry-After the
server asked for. Redirects are not followed here: the caller schedules their target like any
link, so that it passes the same scope, trap and robots.txt checks. Cookies are never kept and
no credentials are sent.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

import httpx
import structlog

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


@dataclass(frozen=True)
class FetchConfig:
    """How to behave on the network."""

    user_agent: str
    delay: float = 1.0
    timeout: float = 20.0
    retries: int = 3
    backoff: float = 2.0
    max_bytes: int = 20_000_000


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


@dataclass
class _Host:
    robots: RobotsRules | None = None
    next_at: float = 0.0
    penalty: float = 1.0


@dataclass
class Fetcher:
    """Fetches URLs politely; `requests` counts every request sent (robots.txt included)."""

    config: FetchConfig
    stop: threading.Event = field(default_factory=threading.Event)
    requests: int = 0
    _hosts: dict[str, _Host] = field(default_factory=dict)
    _client: httpx.Client | None = None

    def __post_init__(self) -> None:
        refuse_all = http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
        no_cookies = http.cookiejar.CookieJar(refuse_all)
        self._client = httpx.Client(
            headers={"User-Agent": self.config.user_agent, "Accept": ACCEPT},
            timeout=self.config.timeout,
            follow_redirects=False,
            cookies=no_cookies,
        )

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
        if not self.robots(url).allows(url):
            return Fetched(url, "robots", message="disallowed by robots.txt")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
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
        if pause > 0:
            self.stop.wait(pause)

    def _rest(self, url: str, status: int | None) -> None:
        host = self._host(url)
        if status in _SLOW_DOWN_STATUSES:
            host.penalty = min(host.penalty * 2, MAX_PENALTY)
        robots_delay = host.robots.delay() if host.robots else 0.0
        host.next_at = time.monotonic() + max(self.config.delay, robots_delay) * host.penalty

    def _fetch_robots(self, origin: str) -> RobotsRules:
        url = f"{origin}/robots.txt"
        for _ in range(5):  # robots.txt may redirect (to https, to www.)
            self._wait_turn(url)
            self.requests += 1
            try:
                assert self._client is not None
                response = self._client.get(url)
            except httpx.HTTPError as exc:
                log.warning("robots.txt unreachable", url=url, error=type(exc).__name__)
                return RobotsRules.from_response(None, "")
            finally:
                self._rest(url, None)
            if response.is_redirect and "location" in response.headers:
                url = str(response.url.join(response.headers["location"]))
                continue
            return RobotsRules.from_response(response.status_code, response.text)
        return RobotsRules.from_response(None, "")

    def _get(self, url: str, headers: dict[str, str]) -> Fetched:
        self._wait_turn(url)
        self.requests += 1
        status: int | None = None
        try:
            assert self._client is not None
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                return self._read(url, response)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"no answer within {self.config.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"network error ({type(exc).__name__})") from exc
        finally:
            self._rest(url, status)

    def _read(self, url: str, response: httpx.Response) -> Fetched:
        status = response.status_code
        if status == 304:
            etag, modified = _validators(response)
            return Fetched(url, "not_modified", status, etag=etag, last_modified=modified)
        if response.is_redirect:
            location = response.headers.get("location")
            target = str(response.url.join(location)) if location else None
            return Fetched(url, "redirect", status, location=target, permanent=status in (301, 308))
        if status in (404, 410):
            return Fetched(url, "gone", status, message=f"HTTP {status}")
        if status in _RETRY_STATUSES:
            raise _Retryable(f"HTTP {status}", status, _retry_after(response))
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
        if declared.isdigit() and int(declared) > limit:
            return Fetched(url, "too_large", status, message=f"{int(declared):,} bytes")
        body = bytearray()
        for piece in response.iter_bytes():
            body.extend(piece)
            if len(body) > limit:
                return Fetched(url, "too_large", status, message=f"over {limit:,} bytes")
        is_pdf = media in PDF_TYPES or bytes(body[:5]) == b"%PDF-"
        if media in _MAYBE_PDF and not is_pdf:
            return Fetched(url, "wrong_type", status, message=f"type {media}")
        suffix = ".pdf" if is_pdf else ".html"
        etag, modified = _validators(response)
        return Fetched(url, "ok", status, bytes(body), suffix, content_type, etag, modified)


def _validators(response: httpx.Response) -> tuple[str | None, str | None]:
    """The response's ETag and Last-Modified."""
    return response.headers.get("etag"), response.headers.get("last-modified")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the server's Retry-After asks for (a number or an HTTP date), if any."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
