"""A hostile website: a real HTTP server on loopback that attacks the crawler visiting it.

Every page is reached from the home page `/`, which links to `/article` (an honest page) and to
whatever `state.home_links` adds. Named behaviours, set on `HostileState` before a crawl:

- `robots`: what /robots.txt is. `plain` (a small file disallowing /private), `gzip-bomb` (the
  same rules, then `robots_megabytes` MB of newlines and a final `Disallow: /`, gzip-encoded on
  the wire), `huge` (the same, not compressed), `corrupt-gzip` (says gzip, is not), `redirect`
  (302 to `robots_location`), `crawl-delay` (`Crawl-delay: crawl_delay`);
- `/drip`: a page whose status and headers come at once and whose body then drips one byte
  every `drip_seconds`, for `drip_bytes` bytes;
- `/bad-links`: an honest page that also links to URLs no parser should choke on
  (`http://[::1]:60245/x`, `http://x:99999/`, `http://a:b:c/`); `/bad-redirect` redirects to
  `http://x:99999/`;
- `/links/<n>`: a page with `link_count` links to `/links/<n>-<i>`, each the same kind of page;
- `/nested`: `nested_depth` nested elements (`<blockquote>`s, or as `nested_style` names one of
  hostile_files.NESTING: `<div/>`, `<div title="<">`...) around a paragraph and a link to /secret;
- `/slow.pdf`: `slow_pdf(pdf_operators)`, twelve pages sharing one content stream of `q Q`
  operators, cheap to send and slow to read;
- `/redirect-to?url=...`: 302 to that URL; `/private`, `/secret`: pages nobody should fetch;
- `/charset/<label>`: the article, its Content-Type naming `charset=<label>`;
  `/meta-charset/<label>`: the same, declared by `<meta charset=<label>>` instead;
- `/retry-after?value=...`: 503 with `Retry-After: <value>` (sent as Latin-1, `²` included);
- `/validators?etag=...&modified=...`: the article with that `ETag` and `Last-Modified`
  (Latin-1 bytes on the wire), answered 304 when a request sends them back.

Every request is recorded (`paths()`), with how many bytes the body sent.

    PYTHONPATH=tests python -m fakes.hostile_site --robots gzip-bomb --home-link /drip  # its URL
"""

from __future__ import annotations

import argparse
import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.hostile_files import NESTING, pdf_file

ROBOTS_MODES = (
    "plain", "gzip-bomb", "huge", "corrupt-gzip", "redirect", "crawl-delay", "wildcards"
)  # fmt: skip
BAD_LINKS = ("http://[::1]:60245/x", "http://x:99999/", "http://a:b:c/")
RULES = "User-agent: *\nDisallow: /private\n"
ARTICLE = (
    "Hostile news: the city of Oslo opened a welcome centre where newcomers meet volunteers "
    "who speak their language, and learn about schools, housing and work in the first weeks. "
    "The centre also trains civil servants to answer newcomers in plain words."
)


@dataclass
class HostileState:
    """How the site attacks, and what it served."""

    robots: str = "plain"
    robots_megabytes: int = 50
    robots_location: str = ""
    crawl_delay: float = 100_000.0
    drip_seconds: float = 0.2
    drip_bytes: int = 100
    link_count: int = 1000
    nested_depth: int = 2000
    nested_style: str = "blockquote"
    pdf_operators: int = 100_000
    home_links: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _page(title: str, body: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def _wildcard_rules() -> bytes:
    """RULES, then about 500 KB of wildcard rules, each costly to test a URL against."""
    lines = [f"Disallow: /*{i:x}*q{i % 97}*z$" for i in range(21_000)]
    return (RULES + "\n".join(lines) + "\n").encode()


def _rules_then_padding(megabytes: int) -> bytes:
    """RULES, `megabytes` MB of newlines, then a rule that forbids everything."""
    return RULES.encode() + b"\n" * (megabytes * 1_000_000) + b"User-agent: *\nDisallow: /\n"


class _Handler(BaseHTTPRequestHandler):
    state: HostileState
    protocol_version = "HTTP/1.1"
    _bomb: bytes | None = None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        parts = urlsplit(self.path)
        with self.state.lock:
            self.state.requests.append(self.path)
        try:
            self._route(parts.path, parse_qs(parts.query))
        except (BrokenPipeError, ConnectionResetError):
            return

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        if path == "/robots.txt":
            return self._robots()
        if path == "/":
            links = ["/article", *self.state.home_links]
            items = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
            return self._html(_page("Home", f"<ul>{items}</ul>"))
        if path in ("/article", "/private", "/secret"):
            return self._html(_page(path.strip("/").title(), f"<h1>{path}</h1><p>{ARTICLE}</p>"))
        if path == "/bad-links":
            links = "".join(f'<a href="{href}">elsewhere</a> ' for href in BAD_LINKS)
            return self._html(_page("Bad links", f"<p>{ARTICLE}</p><p>{links}</p>"))
        if path == "/bad-redirect":
            return self._redirect(BAD_LINKS[1])
        if path == "/redirect-to":
            return self._redirect(query["url"][0])
        if path == "/drip":
            return self._drip()
        if path.startswith("/links/"):
            return self._links(path)
        if path == "/nested":
            depth = self.state.nested_depth
            opening, closing = (part.decode() for part in NESTING[self.state.nested_style])
            inner = f'<p>{ARTICLE} <a href="/secret">more</a></p>'
            return self._html(_page("Nested", opening * depth + inner + closing * depth))
        if path.startswith(("/charset/", "/meta-charset/")):
            return self._charset(path)
        if path == "/retry-after":
            return self._retry_after(query["value"][0])
        if path == "/validators":
            return self._validators(query)
        if path == "/slow.pdf":
            return self._send(200, slow_pdf(self.state.pdf_operators), "application/pdf")
        return self._send(404, b"not found", "text/plain")

    def _robots(self) -> None:
        mode, state = self.state.robots, self.state
        if mode == "plain":
            return self._send(200, RULES.encode(), "text/plain")
        if mode == "crawl-delay":
            rules = f"{RULES}Crawl-delay: {state.crawl_delay:g}\n".encode()
            return self._send(200, rules, "text/plain")
        if mode == "redirect":
            return self._redirect(state.robots_location)
        if mode == "corrupt-gzip":
            return self._send(200, b"\x1f\x8b\x08\x00garbage", "text/plain", encoding="gzip")
        if mode == "huge":
            return self._send(200, _rules_then_padding(state.robots_megabytes), "text/plain")
        if mode == "wildcards":
            return self._send(200, _wildcard_rules(), "text/plain")
        return self._send(200, _gzipped(state.robots_megabytes), "text/plain", encoding="gzip")

    def _charset(self, path: str) -> None:
        kind, _, label = path.strip("/").partition("/")
        article = f"<h1>Charset {label}</h1><p>{ARTICLE}</p>"
        if kind == "meta-charset":
            head = f"<meta charset={label}><title>Charset {label}</title>"
            body = f"<html><head>{head}</head><body>{article}</body></html>".encode()
            return self._send(200, body, "text/html")
        return self._send(200, _page(f"Charset {label}", article), f"text/html; charset={label}")

    def _retry_after(self, value: str) -> None:
        self.send_response(503)
        self.send_header("Retry-After", value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _validators(self, query: dict[str, list[str]]) -> None:
        etag, modified = query.get("etag", [""])[0], query.get("modified", [""])[0]
        if etag and self.headers.get("If-None-Match", "") == etag:
            self.send_response(304)
            self.send_header("Content-Length", "0")
            return self.end_headers()
        body = _page("Validators", f"<h1>Validators</h1><p>{ARTICLE}</p>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if etag:
            self.send_header("ETag", etag)  # http.server writes header values as Latin-1
        if modified:
            self.send_header("Last-Modified", modified)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _links(self, path: str) -> None:
        name = path.removeprefix("/links/")
        links = "".join(
            f'<a href="/links/{name}-{i}">{i}</a> ' for i in range(self.state.link_count)
        )
        self._html(_page(f"Links {name}", f"<p>{ARTICLE}</p><p>{links}</p>"))

    def _drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(self.state.drip_bytes))
        self.end_headers()
        for _ in range(self.state.drip_bytes):
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(self.state.drip_seconds)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _html(self, data: bytes) -> None:
        self._send(200, data, "text/html; charset=utf-8")

    def _send(self, status: int, data: bytes, content_type: str, encoding: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def slow_pdf(operators: int, pages: int = 12) -> bytes:
    """A PDF of `pages` pages sharing one content stream: a line of text, then `operators`
    `q Q` pairs (save and restore the graphics state), which a text extractor walks per page."""
    content = "BT /F1 10 Tf 40 800 Td (Hostile report on intercultural policies) Tj ET "
    content += "q Q " * operators
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    font = 4 + pages
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        *[
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R"
            f" /Resources << /Font << /F1 {font} 0 R >> >> >>"
        ]
        * pages,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects)


_GZIPPED: dict[int, bytes] = {}


def _gzipped(megabytes: int) -> bytes:
    """The gzip bomb of `_rules_then_padding(megabytes)`, made once per size."""
    if megabytes not in _GZIPPED:
        data = _rules_then_padding(megabytes)
        _GZIPPED[megabytes] = gzip.compress(data, compresslevel=9, mtime=0)
    return _GZIPPED[megabytes]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # crawlers hang up on this site all the time


class HostileSite:
    """The site on a free loopback port."""

    def __init__(self, state: HostileState | None = None, host: str = "127.0.0.1") -> None:
        self.state = state or HostileState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = _Server((host, 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HostileSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def prepare(self) -> HostileSite:
        """Build the gzip bomb now rather than while a client waits for robots.txt."""
        _gzipped(self.state.robots_megabytes)
        return self

    def paths(self) -> list[str]:
        """The paths (with query) requested so far, in order."""
        with self.state.lock:
            return list(self.state.requests)


def main() -> None:
    parser = argparse.ArgumentParser(description="Hostile website")
    parser.add_argument("--robots", choices=ROBOTS_MODES, default="plain")
    parser.add_argument("--robots-megabytes", type=int, default=50)
    parser.add_argument("--home-link", action="append", default=[], help="a path / links to")
    parser.add_argument("--link-count", type=int, default=1000)
    parser.add_argument("--drip-seconds", type=float, default=0.2)
    parser.add_argument("--drip-bytes", type=int, default=100)
    parser.add_argument("--nested-depth", type=int, default=2000)
    parser.add_argument("--nested-style", choices=list(NESTING), default="blockquote")
    parser.add_argument("--pdf-operators", type=int, default=100_000)
    args = parser.parse_args()
    state = HostileState(
        robots=args.robots,
        robots_megabytes=args.robots_megabytes,
        home_links=args.home_link,
        link_count=args.link_count,
        drip_seconds=args.drip_seconds,
        drip_bytes=args.drip_bytes,
        nested_depth=args.nested_depth,
        nested_style=args.nested_style,
        pdf_operators=args.pdf_operators,
    )
    site = HostileSite(state).prepare().start()
    print(site.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
