"""Attacks from the security pass, replayed against real servers on loopback: keys, widget
tokens, failed-login and per-address limits, logs that must not show secrets."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from itsdangerous import URLSafeTimedSerializer

from fixtures.cli_server import ServeProcess
from fixtures.live_server import Serve, ServerThread
from fixtures.timeouts import HTTP_TIMEOUT, wait_until
from icc_assistant.api.limits import WINDOW, RateLimiter
from icc_assistant.api.logging import configure_logging
from icc_assistant.settings import Settings

CITY = "https://city.example"
ADMIN, CLIENT = "adm-5b2f9c7e41d8", "cli-0e6a3d9b72c5"
LLM_KEY, EMBEDDINGS_KEY = "sk-llm-93c1f0a7be24", "sk-emb-47d2e8c6a019"


def client_from(address: str) -> httpx.Client:
    """An HTTP client whose connections come from `address` (any 127.x address is loopback)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"type", "message", "request_id"}
    return error


@pytest.fixture
def closed(serve: Serve) -> str:
    """A server with client and admin keys and one allowed widget origin."""
    return serve(
        api_keys=[CLIENT], admin_keys=[ADMIN], cors_origins=[CITY], rate_limit_per_minute=1000
    )


def token_for(url: str, origin: str, client: httpx.Client | None = None) -> str:
    response = (client or httpx).post(f"{url}/api/widget/token", headers={"Origin": origin})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


# -- finding 1: a non-ASCII key, and secrets in logs ------------------------------------------


def test_non_ascii_keys_are_401_and_the_log_shows_no_secret(
    serve_process: Callable[..., ServeProcess],
) -> None:
    """Keys with bytes outside ASCII are wrong keys (401), and no log line shows a secret."""
    server = serve_process(
        ICC_ADMIN_KEYS=ADMIN, ICC_API_KEYS=CLIENT, ICC_CORS_ORIGINS=CITY,
        ICC_LLM_API_KEY=LLM_KEY, ICC_EMBEDDINGS_API_KEY=EMBEDDINGS_KEY,
        ICC_AUTH_FAILURES_PER_MINUTE="100",
    )  # fmt: skip
    attacks = [
        ("POST", "/api/feedback", {"X-API-Key": b"\xe9"}),
        ("POST", "/api/chat", {"Authorization": b"Bearer \xff\xfe"}),
        ("GET", "/api/feedback", {"Authorization": b"Bearer caf\xc3\xa9"}),
        ("GET", "/api/facets", {"X-Widget-Token": b"\xe9.\xe9"}),
        ("POST", "/api/documents", {"X-API-Key": b"\x80" * 40}),
    ]
    for method, path, headers in attacks:
        response = httpx.request(
            method, f"{server.url}{path}", headers=headers, json={}, timeout=HTTP_TIMEOUT
        )
        assert error_of(response, 401)["type"] == "authentication", (path, response.text)
    log = server.output()
    for secret in (ADMIN, CLIENT, LLM_KEY, EMBEDDINGS_KEY):
        assert secret not in log
    assert "Traceback" not in log and len(log) < 20_000


def test_an_exception_log_has_no_locals_and_no_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    """A logged exception is a plain traceback, with configured keys and bearer tokens redacted."""
    configure_logging(Settings(admin_keys=[ADMIN], llm_api_key=LLM_KEY))

    def fail(header: str) -> None:
        secret_local = ADMIN  # noqa: F841 - a local a locals-dumping traceback would show
        raise ValueError(f"bad header {header} near {LLM_KEY}")

    try:
        fail("Authorization: Bearer some-bearer-token-77")
    except ValueError:
        structlog.get_logger("test").exception("failed")
    out = capsys.readouterr().out
    assert "ValueError: bad header" in out and "Traceback" in out
    assert ADMIN not in out and LLM_KEY not in out and "some-bearer-token-77" not in out
    assert "secret_local" not in out


# -- finding 2: the widget's public path -----------------------------------------------------


def test_an_origin_header_alone_does_not_open_the_api(closed: str) -> None:
    """An allowed Origin, or an Origin equal to a forged Host, no longer replaces the key."""
    error_of(httpx.get(f"{closed}/api/facets", headers={"Origin": CITY}, timeout=HTTP_TIMEOUT), 401)
    forged = {"Host": "attacker.test", "Origin": "http://attacker.test"}
    error_of(httpx.get(f"{closed}/api/facets", headers=forged, timeout=HTTP_TIMEOUT), 401)
    error_of(
        httpx.post(
            f"{closed}/api/chat", headers=forged, json={"question": "RIMU?"}, timeout=HTTP_TIMEOUT
        ),
        401,
    )


def test_a_widget_token_opens_the_api_for_its_origin_and_address(closed: str) -> None:
    """A token works from its origin (or with no Origin), not from another origin or address."""
    token = token_for(closed, CITY)
    ok = httpx.get(
        f"{closed}/api/facets",
        headers={"X-Widget-Token": token, "Origin": CITY},
        timeout=HTTP_TIMEOUT,
    )
    assert ok.status_code == 200 and ok.json()["cities"]
    assert (
        httpx.get(
            f"{closed}/api/facets", headers={"X-Widget-Token": token}, timeout=HTTP_TIMEOUT
        ).status_code
        == 200
    )
    other = {"X-Widget-Token": token, "Origin": "https://evil.example"}
    assert (
        "another origin"
        in error_of(httpx.get(f"{closed}/api/facets", headers=other, timeout=HTTP_TIMEOUT), 401)[
            "message"
        ]
    )
    with client_from("127.0.0.2") as elsewhere:
        moved = elsewhere.get(f"{closed}/api/facets", headers={"X-Widget-Token": token})
    assert "another address" in error_of(moved, 401)["message"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    error_of(
        httpx.get(f"{closed}/api/facets", headers={"X-Widget-Token": forged}, timeout=HTTP_TIMEOUT),
        401,
    )


def test_tokens_are_only_issued_to_allowed_origins(closed: str) -> None:
    """The token route refuses unlisted origins, a missing Origin and a forged Host."""
    for headers in (
        {"Origin": "https://evil.example"},
        {},
        {"Host": "attacker.test", "Origin": "http://attacker.test"},
    ):
        error = error_of(
            httpx.post(f"{closed}/api/widget/token", headers=headers, timeout=HTTP_TIMEOUT), 403
        )
        assert "ICC_CORS_ORIGINS" in error["message"]


def test_a_widget_token_expires(serve: Serve) -> None:
    """Past ICC_WIDGET_TOKEN_TTL the token is refused with a message to get a new one."""
    url = serve(api_keys=[CLIENT], cors_origins=[CITY], widget_token_ttl=1)
    token = token_for(url, CITY)
    assert (
        httpx.get(
            f"{url}/api/facets", headers={"X-Widget-Token": token}, timeout=HTTP_TIMEOUT
        ).status_code
        == 200
    )
    refused: list[httpx.Response] = []

    def token_refused() -> bool:
        reply = httpx.get(
            f"{url}/api/facets", headers={"X-Widget-Token": token}, timeout=HTTP_TIMEOUT
        )
        refused.append(reply)
        return reply.status_code != 200

    wait_until(token_refused, "the token to expire", every=0.25)
    assert "expired" in error_of(refused[-1], 401)["message"]


def test_widget_tokens_are_rate_limited_per_address(serve: Serve) -> None:
    """An address gets ICC_WIDGET_TOKENS_PER_MINUTE tokens a minute; another address is served."""
    url = serve(api_keys=[CLIENT], cors_origins=[CITY], widget_tokens_per_minute=3)
    for _ in range(3):
        token_for(url, CITY)
    refused = httpx.post(f"{url}/api/widget/token", headers={"Origin": CITY}, timeout=HTTP_TIMEOUT)
    assert error_of(refused, 429)["type"] == "rate_limited" and refused.headers["retry-after"]
    with client_from("127.0.0.3") as other:
        token_for(url, CITY, other)


def test_an_open_api_needs_no_widget_token(serve: Serve) -> None:
    """With ICC_API_KEYS empty the token route says no token is needed."""
    url = serve(cors_origins=[CITY])
    body = httpx.post(
        f"{url}/api/widget/token", headers={"Origin": "https://any.example"}, timeout=HTTP_TIMEOUT
    ).json()
    assert body["token"] is None and body["expires_in"] > 0


# -- finding 3: failed logins --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/api/feedback", {"Authorization": "Bearer wrong-admin"}),
        ("GET", "/api/facets", {"X-API-Key": "wrong-client"}),
        ("GET", "/api/facets", {"X-Widget-Token": "not.a.token"}),
    ],
)
def test_failed_key_checks_are_limited_per_address(
    serve: Serve, method: str, path: str, headers: dict[str, str]
) -> None:
    """After ICC_AUTH_FAILURES_PER_MINUTE failures an address gets 429, even with a good key."""
    url = serve(
        api_keys=[CLIENT], admin_keys=[ADMIN], auth_failures_per_minute=5,
        rate_limit_per_minute=1000,
    )  # fmt: skip
    statuses = [
        httpx.request(method, f"{url}{path}", headers=headers, timeout=HTTP_TIMEOUT).status_code
        for _ in range(8)
    ]
    assert statuses == [401] * 5 + [429] * 3
    good = httpx.get(f"{url}/api/facets", headers={"X-API-Key": CLIENT}, timeout=HTTP_TIMEOUT)
    assert error_of(good, 429)["message"].startswith("Too many failed key checks")
    with client_from("127.0.0.4") as other:
        assert other.get(f"{url}/api/facets", headers={"X-API-Key": CLIENT}).status_code == 200


# -- finding 5: per-address limits that cannot be dodged or flooded ------------------------------


def test_x_forwarded_for_does_not_pick_the_limited_address(serve: Serve) -> None:
    """Rotating X-Forwarded-For from loopback does not escape the per-address limit."""
    url = serve(rate_limit_per_minute=3)
    statuses = [
        httpx.get(
            f"{url}/api/facets", headers={"X-Forwarded-For": f"10.0.0.{n}"}, timeout=HTTP_TIMEOUT
        ).status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_a_trusted_proxy_s_x_forwarded_for_is_believed(serve: Serve) -> None:
    """Behind a proxy listed in ICC_TRUSTED_PROXIES each forwarded client has its own limit."""
    url = serve(rate_limit_per_minute=2, trusted_proxies=["127.0.0.1"])
    statuses = [
        httpx.get(
            f"{url}/api/facets", headers={"X-Forwarded-For": f"10.0.0.{n}"}, timeout=HTTP_TIMEOUT
        ).status_code
        for n in range(5)
    ]
    assert statuses == [200] * 5


class Clock:
    """A settable wall clock for the rate limiter."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limiter_forgets_and_stays_bounded() -> None:
    """A flood of addresses is capped, and an address is forgotten once its budget is whole
    again (one request of five a minute: after 12 s)."""
    clock = Clock()
    limiter = RateLimiter(5, max_identities=1000, clock=clock)
    for n in range(5000):
        limiter.check(f"ip:10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(limiter) == 1000
    clock.now += WINDOW / 10
    limiter.check("ip:192.0.2.1")
    assert len(limiter) == 1000  # still capped
    clock.now += WINDOW / 10 + 0.1
    assert len(limiter) == 1  # only the address seen 6 s ago still owes
    clock.now += WINDOW
    assert len(limiter) == 0


def test_the_rate_limiter_still_limits_the_addresses_it_keeps() -> None:
    """Forgetting others does not reset an address whose budget is spent."""
    clock = Clock()
    limiter = RateLimiter(3, max_identities=10, clock=clock)
    for _ in range(3):
        limiter.check("ip:192.0.2.9")
    for n in range(5):
        limiter.check(f"ip:198.51.100.{n}")
    with pytest.raises(Exception, match="Too many requests"):
        limiter.check("ip:192.0.2.9")


# -- issue 30, finding 9: limits that count cost, across workers, per IPv6 /64 ----------------

LONG_ENQUIRY = "How do cities fight rumours about migrants in schools and housing? " * 22


def test_a_briefing_note_costs_more_than_a_chat(serve: Serve) -> None:
    """A Word note on a 1,500-character enquiry spends a whole budget of ten units, so the
    same address's next chat waits, while another address chats on."""
    url = serve(rate_limit_per_minute=10, trusted_proxies=["127.0.0.1"])
    caller, other = {"X-Forwarded-For": "198.51.100.7"}, {"X-Forwarded-For": "198.51.100.8"}
    body = {"question": LONG_ENQUIRY, "format": "docx"}
    assert httpx.post(f"{url}/api/brief", json=body, headers=caller, timeout=120).status_code == 200
    chat = {"question": "What does Ansan do for migrant pupils?"}
    refused = httpx.post(f"{url}/api/chat", json=chat, headers=caller, timeout=60)
    assert int(error_of(refused, 429)["message"].split("retry in ")[1].split()[0]) >= 1
    assert httpx.post(f"{url}/api/chat", json=chat, headers=other, timeout=60).status_code == 200


def test_workers_count_against_one_budget(indexed_settings: Settings, tmp_path: Path) -> None:
    """Two services (as `serve --workers 2` runs two) on one limits store share each client's
    budget: the fourth of three requests a minute is refused, whichever answers it."""
    settings = indexed_settings.model_copy(
        update={"rate_limit_per_minute": 3, "rate_limit_store": tmp_path / "limits.sqlite3"}
    )
    servers = [ServerThread(settings).start(), ServerThread(settings).start()]
    try:
        statuses = [
            httpx.get(f"{servers[n % 2].url}/api/facets", timeout=HTTP_TIMEOUT).status_code
            for n in range(4)
        ]
    finally:
        for server in servers:
            server.stop()
    assert statuses == [200, 200, 200, 429]


def test_an_ipv6_client_is_counted_by_its_slash_64(serve: Serve) -> None:
    """Addresses of one IPv6 /64 (one subscriber's) share a budget; the next /64 has its own."""
    url = serve(rate_limit_per_minute=3, trusted_proxies=["127.0.0.1"])

    def facets(address: str) -> int:
        return httpx.get(
            f"{url}/api/facets", headers={"X-Forwarded-For": address}, timeout=HTTP_TIMEOUT
        ).status_code

    assert [facets(f"2001:db8:1:2::{n}") for n in range(1, 5)] == [200, 200, 200, 429]
    assert facets("2001:db8:1:3::1") == 200


# -- finding 5: request shapes that used to be 500s, 400s or too late --------------------------


def test_an_oversized_chunked_body_is_413(serve: Serve) -> None:
    """A body without Content-Length that streams past ICC_MAX_BODY_BYTES gets 413."""
    url = serve(rate_limit_per_minute=1000)

    def body() -> Any:
        yield b'{"question": "'
        for _ in range(120):
            yield b"x" * 10_000
        yield b'"}'

    response = httpx.post(
        f"{url}/api/chat",
        content=body(),
        headers={"content-type": "application/json"},
        timeout=HTTP_TIMEOUT,
    )
    assert error_of(response, 413)["type"] == "payload_too_large"


def test_request_headers_over_the_limit_are_refused_by_the_server(serve: Serve) -> None:
    """A request whose headers run past ICC_MAX_HEADER_BYTES (here a 2 MB header, sent in
    pieces) is answered 400 and its connection closed, in uvicorn itself: the headers are not
    kept in memory however long they grow. The next client is served."""
    url = serve(rate_limit_per_minute=1000, max_header_bytes=16_384)
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET /health HTTP/1.1\r\nHost: {host}\r\nX-Padding: ".encode())
        try:
            for _ in range(200):
                sock.sendall(b"x" * 10_000)
        except OSError:  # the server hung up: it refused the headers before the end
            pass
        reply = sock.recv(4096).decode("latin-1")
    assert reply.startswith("HTTP/1.1 400"), reply[:200]
    assert httpx.get(f"{url}/health", timeout=HTTP_TIMEOUT).status_code == 200


@pytest.mark.parametrize("path", ["/", "/docs", "/redoc", "/admin", "/api/facets"])
def test_no_page_may_be_framed_by_another_site(closed: str, path: str) -> None:
    """The demo page, the API docs, the console and the API all forbid framing (clickjacking):
    X-Frame-Options DENY and a policy with frame-ancestors 'none', kept beside a page's own."""
    response = httpx.get(f"{closed}{path}", headers={"X-API-Key": CLIENT}, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["x-frame-options"] == "DENY"
    policies = response.headers.get_list("content-security-policy")
    assert policies and all("frame-ancestors 'none'" in policy for policy in policies)


def test_an_upload_is_refused_before_its_body_is_read(closed: str) -> None:
    """Without an admin key the upload is answered 401 while its body is still unsent."""
    host, port = closed.removeprefix("http://").split(":")
    head = (
        f"POST /api/documents HTTP/1.1\r\nHost: {host}\r\nContent-Length: 15000000\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + b"--b\r\n" + b"x" * 1000)
        reply = sock.recv(4096).decode("latin-1")
    assert reply.startswith("HTTP/1.1 401"), reply


def test_a_300_character_file_name_is_422(serve: Serve) -> None:
    """An upload whose file name is too long for a file system is refused with 422."""
    url = serve(admin_keys=[ADMIN], rate_limit_per_minute=1000)
    files = {"file": ("a" * 300 + ".txt", b"Back Some page\n\nText about Ansan.", "text/plain")}
    response = httpx.post(
        f"{url}/api/documents",
        files=files,
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=HTTP_TIMEOUT,
    )
    assert "200" in error_of(response, 422)["message"]


def test_an_upload_without_a_file_part_is_422(serve: Serve) -> None:
    """A multipart body without `file`, or not multipart at all, is a 422, never a 500."""
    url = serve(admin_keys=[ADMIN], rate_limit_per_minute=1000)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    error_of(
        httpx.post(f"{url}/api/documents", data={"x": "1"}, headers=admin, timeout=HTTP_TIMEOUT),
        422,
    )
    error_of(
        httpx.post(f"{url}/api/documents", json={"file": "x"}, headers=admin, timeout=HTTP_TIMEOUT),
        422,
    )


def test_openai_content_over_100k_characters_is_422(serve: Serve) -> None:
    """/v1 messages longer than the parser's ceiling are a 422, not a 500."""
    url = serve(rate_limit_per_minute=1000)
    for messages in (
        [{"role": "user", "content": "x" * 100_001}],
        [{"role": "user", "content": "y" * 100_001}, {"role": "user", "content": "RIMU?"}],
    ):
        response = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "icc-assistant", "messages": messages},
            timeout=HTTP_TIMEOUT,
        )
        assert error_of(response, 422)["type"] in {"invalid_question", "invalid_request"}


@pytest.mark.parametrize("question", ["🙂🙂🙂", "\u200b\u200b\u200c", "?!… 👍", "\u2060\ufeff"])
def test_a_question_without_words_is_422(serve: Serve, question: str) -> None:
    """Emoji-only, punctuation-only or zero-width-only questions are refused, not "answered"."""
    url = serve(rate_limit_per_minute=1000)
    chat = httpx.post(f"{url}/api/chat", json={"question": question}, timeout=60)
    assert "no words" in error_of(chat, 422)["message"]
    search = httpx.get(f"{url}/api/search", params={"q": question}, timeout=HTTP_TIMEOUT)
    assert error_of(search, 422)["type"] == "invalid_question"
    v1 = httpx.post(
        f"{url}/v1/chat/completions",
        json={"model": "icc-assistant", "messages": [{"role": "user", "content": question}]},
        timeout=HTTP_TIMEOUT,
    )
    assert error_of(v1, 422)["type"] == "invalid_question"


def test_ready_does_not_reveal_the_model_url(serve: Serve) -> None:
    """A failing /ready says the model is unreachable without naming its internal address."""
    from fixtures.chroma_server import free_port

    port = free_port()
    url = serve(llm_base_url=f"http://127.0.0.1:{port}/internal-path/v1", llm_max_retries=0)
    error = error_of(httpx.get(f"{url}/ready", timeout=30), 503)
    assert error["type"] == "model_unavailable"
    assert str(port) not in error["message"] and "internal-path" not in error["message"]


# -- issue 24, finding 11: a title, a token claim and a request id a client chose ---------------


def test_a_widget_token_whose_origin_is_not_text_is_401(serve: Serve) -> None:
    """A token signed with the secret but claiming a list as its origin is a 401, not a 500."""
    secret = "widget-secret-4c1d"
    url = serve(api_keys=[CLIENT], cors_origins=[CITY], widget_secret=secret)
    serializer = URLSafeTimedSerializer(secret, salt="icc-assistant widget token")
    odd = serializer.dumps({"o": [CITY], "a": "x"})
    error = error_of(
        httpx.get(f"{url}/api/facets", headers={"X-Widget-Token": odd}, timeout=HTTP_TIMEOUT), 401
    )
    assert "malformed" in error["message"]


@pytest.mark.parametrize("claimed", ["abc status=200 path=/admin", 'a"b', "id=1;path=/admin"])
def test_a_request_id_that_is_no_id_is_replaced(serve: Serve, claimed: str) -> None:
    """An X-Request-ID with spaces, quotes, `=` or `;` is not echoed nor logged:
    the request gets an id of its own."""
    url = serve()
    response = httpx.get(f"{url}/health", headers={"X-Request-ID": claimed}, timeout=HTTP_TIMEOUT)
    assert response.headers["x-request-id"] != claimed
    kept = httpx.get(f"{url}/health", headers={"X-Request-ID": "req-42.a:b"}, timeout=HTTP_TIMEOUT)
    assert kept.headers["x-request-id"] == "req-42.a:b"


def test_markup_in_a_document_s_own_title_never_reaches_the_source_list(serve: Serve) -> None:
    """An HTML page whose <title> spells a tag with entities is listed with its title as text."""
    url = serve(admin_keys=[ADMIN], own_index=True, rate_limit_per_minute=1000)
    page = (
        "<html><head><title>&lt;img src=x onerror=alert(1)&gt; Mediation in Bergen</title>"
        "</head><body><p>Bergen trains neighbourhood mediators who speak twelve languages and "
        "help residents settle disputes about noise, rubbish and shared courtyards.</p>"
        "</body></html>"
    )
    admin = {"Authorization": f"Bearer {ADMIN}"}
    files = {"file": ("bergen-mediation.html", page.encode(), "text/html")}
    uploaded = httpx.post(f"{url}/api/documents", files=files, headers=admin, timeout=60)
    assert uploaded.status_code == 200, uploaded.text
    sources = httpx.get(f"{url}/api/sources", timeout=HTTP_TIMEOUT).json()
    titles = [s["title"] for s in sources["documents"] if "Bergen" in s["title"]]
    assert titles == ["Mediation in Bergen"]


# -- issue 24, finding 8: /mcp logs -------------------------------------------------------------


def test_malformed_mcp_calls_log_little_and_no_secret(
    serve_process: Callable[..., ServeProcess],
) -> None:
    """Malformed MCP calls carrying the admin key in their body are refused in the common
    shape; the log never shows the key and stays small."""
    server = serve_process(
        ICC_ADMIN_KEYS=ADMIN, ICC_API_KEYS=CLIENT, ICC_RATE_LIMIT_PER_MINUTE="1000"
    )
    headers = {"X-API-Key": CLIENT, "Accept": "application/json, text/event-stream"}
    bodies = [
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": [ADMIN]},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": 7, "x": ADMIN}},
        {"jsonrpc": "2.0", "id": 3, "method": ADMIN, "params": {"uri": ADMIN}},
        {"jsonrpc": "2.0", "id": 4, "method": "resources/read", "params": {"uri": [ADMIN]}},
    ]
    for body in bodies * 5:
        response = httpx.post(f"{server.url}/mcp", json=body, headers=headers, timeout=HTTP_TIMEOUT)
        assert response.status_code < 500, response.text
    log = server.output()
    assert ADMIN not in log and len(log) < 20_000
