"""A fake OpenAI-compatible chat server: a real HTTP server on loopback speaking the protocol.

Its replies are derived from the request (it names the language the system prompt asked for
and cites the first two numbered passages it was given; asked to translate an approved answer,
it gives the text between the <approved_answer> tags back under a "[<language>]" line, and in
mode nocite without its [n] markers), it records every request, and it can
be told to fail: `mode` is one of ok, error (HTTP 500), slow (sleeps `delay` s first),
malformed (invalid JSON / SSE), drop (closes a stream half-way), stall (streams a little then
sleeps `delay` s, to see a client disconnect), nocite (answers without citations),
html (answers with an HTML payload), unknown_cite (cites passage 99 too).

It also serves `POST /v1/embeddings` (deterministic vectors of `embedding_dimension` derived from
each input; the next `embedding_failures` calls answer `embedding_status` instead, and mode
`malformed` garbles them), and speaks Azure OpenAI's dialect under `/openai/` (deployments,
`api-version` query, `api-key` header: a request without them gets 401, as from Azure). Every GET
is recorded too, with its headers.

    python tests/fakes/fake_openai.py --port 0     # prints its base URL, serves until killed
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MODES = (
    "ok", "error", "slow", "malformed", "drop", "stall", "nocite", "html", "unknown_cite",
    "self_standing",
)  # fmt: skip


@dataclass
class FakeState:
    """What the server was told to do and what it saw."""

    mode: str = "ok"
    delay: float = 5.0
    chunk_delay: float = 0.0  # seconds between streamed chunks
    requests: list[dict[str, Any]] = field(default_factory=list)
    gets: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    embedding_calls: int = 0
    embedding_failures: int = 0
    embedding_status: int = 503
    embedding_dimension: int = 384
    disconnects: int = 0
    completed_streams: int = 0

    def reset(self, mode: str = "ok", delay: float = 5.0) -> None:
        """Back to a clean state in `mode`."""
        assert mode in MODES, mode
        self.mode, self.delay, self.chunk_delay = mode, delay, 0.0
        self.requests.clear()
        self.gets.clear()
        self.embedding_calls = self.embedding_failures = 0
        self.embedding_status, self.embedding_dimension = 503, 384
        self.disconnects = self.completed_streams = 0


def reply_for(body: dict[str, Any], mode: str) -> str:
    """The assistant text for a request: derived from what the request contained."""
    messages = body.get("messages", [])
    text = "\n".join(str(m.get("content", "")) for m in messages)
    if "Reply with JSON only" in text:
        question = re.findall(r"Last question: (.*)", text)
        last = question[-1].strip() if question else ""
        if mode == "self_standing":  # the model judges the question to stand on its own
            return json.dumps({"uses_history": False, "standalone": last, "english": last})
        return json.dumps({"standalone": f"{last} (standalone)", "english": "standalone query"})
    approved = re.search(
        r"into ([A-Z][a-z]+)\..*<approved_answer>\n(.*)\n</approved_answer>", text, re.DOTALL
    )
    if approved:
        body = approved.group(2)
        if mode == "nocite":
            body = re.sub(r"\[\d+\]", "", body)
        return f"[{approved.group(1)}]\n{body}"
    language = re.search(r"Answer in ([A-Z][a-z]+)", text)
    name = language.group(1) if language else "unknown"
    passages = re.findall(r"^\[(\d+)\] (.*)$", text, flags=re.MULTILINE)
    if mode == "nocite" or not passages:
        return f"Answer in {name} without sources."
    cites = " ".join(f"Passage {n} is from {src[:40]} [{n}]." for n, src in passages[:2])
    if mode == "html":
        cites += ' <img src=x onerror="alert(1)"> <script>alert(2)</script>'
    if mode == "unknown_cite":
        cites += " And a claim about nothing [99]."
    return f"Answer in {name}: {cites}"


class _Handler(BaseHTTPRequestHandler):
    state: FakeState
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _azure_refused(self) -> bool:
        """Under /openai/ (Azure), refuse requests lacking api-version or api-key, as Azure does."""
        parts = urlsplit(self.path)
        if not parts.path.startswith("/openai/"):
            return False
        if "api-version" in parse_qs(parts.query) and self.headers.get("api-key"):
            return False
        self._send(401, b'{"error": {"code": "401", "message": "Access denied"}}')
        return True

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.state.gets.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        if self._azure_refused():
            return
        if urlsplit(self.path).path.rstrip("/") in ("/v1/models", "/openai/models"):
            models = {
                "object": "list",
                "data": [
                    {"id": "fake-model", "object": "model", "created": 0, "owned_by": "tests"}
                ],
            }
            self._send(200, json.dumps(models).encode())
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.state.requests.append(body)
        mode = self.state.mode
        if self._azure_refused():
            return
        if urlsplit(self.path).path.rstrip("/").endswith("/embeddings"):
            self._embeddings(body)
            return
        if not urlsplit(self.path).path.rstrip("/").endswith("/chat/completions"):
            self._send(404, b'{"error": {"message": "not found"}}')
            return
        if mode == "error":
            self._send(500, b'{"error": {"message": "internal error", "type": "server_error"}}')
            return
        if mode == "slow":
            time.sleep(self.state.delay)
        text = reply_for(body, mode)
        if body.get("stream"):
            self._stream(body, text, mode)
        elif mode == "malformed":
            self._send(200, b'{"id": "x", "choices": [{"message": ')
        else:
            self._send(200, json.dumps(_completion(body, text)).encode())

    def _embeddings(self, body: dict[str, Any]) -> None:
        state = self.state
        state.embedding_calls += 1
        if state.embedding_failures > 0:
            state.embedding_failures -= 1
            self._send(state.embedding_status, b'{"error": {"message": "busy"}}')
            return
        if state.mode == "malformed":
            self._send(200, b'{"data": [{"index": 0, "embedding": ')
            return
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": _vector(t, state.embedding_dimension)}
            for i, t in enumerate(texts)
        ]
        self._send(200, json.dumps({"object": "list", "data": data}).encode())

    def _stream(self, body: dict[str, Any], text: str, mode: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        pieces = re.findall(r"\S+\s*", text)
        try:
            for index, piece in enumerate(pieces):
                if mode == "drop" and index == len(pieces) // 2:
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                if mode == "stall" and index == 2:
                    self._stall()
                payload = b"data: {not json\n\n" if mode == "malformed" else _sse(body, piece)
                self.wfile.write(payload)
                self.wfile.flush()
                time.sleep(self.state.chunk_delay)
            self.wfile.write(_sse(body, "", finish=True) + b"data: [DONE]\n\n")
            self.wfile.flush()
            self.state.completed_streams += 1
        except (BrokenPipeError, ConnectionResetError):
            self.state.disconnects += 1
        self.close_connection = True

    def _stall(self) -> None:
        """Keep writing keep-alive comments while waiting, so a gone client is noticed."""
        deadline = time.monotonic() + self.state.delay
        while time.monotonic() < deadline:
            self.wfile.write(b": waiting\n\n")
            self.wfile.flush()
            time.sleep(0.1)


def _vector(text: str, dimension: int) -> list[float]:
    """A deterministic vector for `text`: the same text always gets the same one."""
    seed = hashlib.sha256(text.encode()).digest()
    return [((seed[i % 32] + i) % 17 - 8) / 8.0 for i in range(dimension)]


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _sse(body: dict[str, Any], piece: str, finish: bool = False) -> bytes:
    chunk = {
        "id": "chatcmpl-stream",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "delta": {} if finish else {"content": piece},
                "finish_reason": "stop" if finish else None,
            }
        ],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


class FakeOpenAIServer:
    """The fake server running in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = FakeState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL to give an OpenAI client (ends in /v1)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible chat server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", default="ok", choices=MODES)
    args = parser.parse_args()
    server = FakeOpenAIServer(args.host, args.port)
    server.state.mode = args.mode
    print(server.url, flush=True)
    server._server.serve_forever()


if __name__ == "__main__":
    main()
