"""A real HTTP proxy in front of a `chroma run` server that holds one chosen request until the
test lets it through (or drops it): how a test stops a writer at an exact point of its protocol
(the upsert that commits a document, the one that publishes a generation) without touching the
writer's code. Everything else is forwarded as it came, and every request is recorded.

    proxy = PausingProxy(chroma_port, hold=upserting(["bilbao.txt"])).start()
    # a writer with ICC_CHROMA_PORT=proxy.port ...
    assert proxy.paused.wait(120)   # it sent that request and waits for the answer
    proxy.release()                 # now the request reaches Chroma (or proxy.drop())
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Hold = Callable[[str, str, bytes], bool]
# Hop-by-hop headers, and those httpx sets again itself.
_NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


def upserting(ids: list[str]) -> Hold:
    """Hold the upsert whose record ids are exactly `ids` (a document's commit is the upsert of
    its one record, named by its doc_id; a publish upserts `__index__`)."""

    def matches(method: str, path: str, body: bytes) -> bool:
        if method != "POST" or not path.endswith("/upsert"):
            return False
        try:
            return bool(json.loads(body).get("ids") == ids)
        except ValueError:
            return False

    return matches


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: PausingProxy

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        return None

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.proxy.requests.append((self.command, self.path))
        if self.proxy.should_hold(self.command, self.path, body) and not self.proxy.wait():
            self.close_connection = True  # dropped: the writer never gets an answer
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
        answer = self.proxy.client.request(self.command, self.path, headers=headers, content=body)
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in _NOT_FORWARDED | {"content-encoding"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay  # noqa: N815 - the base's names


class PausingProxy:
    """Forwards to 127.0.0.1:`upstream`; holds the first request `hold` matches."""

    def __init__(self, upstream: int, hold: Hold) -> None:
        self._hold = hold
        self._held = False
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._forward = True
        self.paused = threading.Event()
        self.requests: list[tuple[str, str]] = []
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{upstream}", timeout=None)
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> PausingProxy:
        self._thread.start()
        return self

    def should_hold(self, method: str, path: str, body: bytes) -> bool:
        """True for the first request `hold` matches: that one is held."""
        with self._lock:
            if self._held or not self._hold(method, path, body):
                return False
            self._held = True
            return True

    def wait(self) -> bool:
        """Say the request is held, wait for the test; True to forward it."""
        self.paused.set()
        self._released.wait()
        return self._forward

    def release(self) -> None:
        """Let the held request through to Chroma."""
        self._released.set()

    def drop(self) -> None:
        """Close the held request's connection without forwarding it."""
        self._forward = False
        self._released.set()

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self.client.close()
