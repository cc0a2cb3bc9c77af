"""The HTTP service, over real HTTP on loopback, with the fake model where a model is needed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_openai import ChatOpenAI
from openai import OpenAI

from fakes.fake_openai import FakeOpenAIServer
from fixtures.live_server import Serve
from fixtures.timeouts import HTTP_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent
FRENCH = "Comment les villes luttent-elles contre les rumeurs ?"


def assert_error(response: httpx.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    """The one error shape: {"error": {"type", "message", "request_id"}}."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"type", "message", "request_id"}
    assert error["message"] and error["request_id"] == response.headers["x-request-id"]
    if kind:
        assert error["type"] == kind
    return error


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a Server-Sent Events response."""
    event = None
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event:
            yield event, json.loads(line.split(":", 1)[1])
            event = None


@pytest.fixture
def url(serve: Serve) -> str:
    return serve(admin_keys=["admin-key"], rate_limit_per_minute=1000)


def test_health_and_ready(url: str) -> None:
    """/health is up and /ready reports the index and extractive mode."""
    assert httpx.get(f"{url}/health", timeout=HTTP_TIMEOUT).json() == {"status": "ok"}
    ready = httpx.get(f"{url}/ready", timeout=HTTP_TIMEOUT).json()
    assert ready["status"] == "ready" and ready["model"] == "extractive mode"
    assert "5 documents" in ready["index"]


def test_chat_answers_in_french_with_citations(url: str) -> None:
    """POST /api/chat returns the Answer: French, cited, extractive."""
    answer = httpx.post(f"{url}/api/chat", json={"question": FRENCH}, timeout=60).json()
    assert answer["language"] == "fr" and answer["status"] in {"answered", "partial"}
    assert answer["citations"] and answer["model"] is None
    assert all(f"[{c['number']}]" in answer["text"] for c in answer["citations"])


def test_stream_sends_meta_tokens_citations_done(url: str) -> None:
    """The SSE stream is meta, tokens, citations, done, and the pieces agree."""
    with httpx.stream("POST", f"{url}/api/chat/stream", json={"question": FRENCH}, timeout=60) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(r))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "meta" and kinds[-2:] == ["citations", "done"]
    assert set(kinds[1:-2]) == {"token"}
    meta, citations, done = events[0][1], events[-2][1], events[-1][1]
    text = "".join(data["text"] for kind, data in events if kind == "token")
    assert meta["language"] == "fr" and meta["mode"] == "extractive"
    assert done["answer_id"] == meta["answer_id"]
    assert {f"[{c['number']}]" for c in citations["citations"]} <= set(text.split()) | {
        m for m in __import__("re").findall(r"\[\d+\]", text)
    }


def test_citations_agree_across_the_three_styles(url: str) -> None:
    """JSON, SSE and the OpenAI-compatible API cite the same passages with the same numbers."""
    question = "What does the Research and Monitoring Unit (RIMU) in Ansan's report do?"
    plain = httpx.post(f"{url}/api/chat", json={"question": question}, timeout=60).json()
    with httpx.stream(
        "POST", f"{url}/api/chat/stream", json={"question": question}, timeout=60
    ) as r:
        streamed = dict(sse_events(r))["citations"]["citations"]
    client = OpenAI(base_url=f"{url}/v1", api_key="unused")
    completion = client.chat.completions.create(
        model="icc-assistant", messages=[{"role": "user", "content": question}]
    )
    extra = completion.model_extra or {}
    numbered = lambda cs: [(c["number"], c["chunk_id"]) for c in cs]  # noqa: E731
    assert numbered(plain["citations"]) == numbered(streamed) == numbered(extra["citations"])
    content = completion.choices[0].message.content or ""
    assert "Sources:" in content and "[1] " in content.split("Sources:")[1]


def test_openai_client_streams_with_citations(url: str) -> None:
    """The official client streams content deltas; the last chunk carries citations."""
    client = OpenAI(base_url=f"{url}/v1", api_key="unused")
    stream = client.chat.completions.create(
        model="icc-assistant",
        stream=True,
        messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": FRENCH}],
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Sources:" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["citations"]
    assert client.models.list().data[0].id == "icc-assistant"


def test_langchain_chat_openai_works_against_v1(url: str) -> None:
    """LangChain's ChatOpenAI pointed at /v1 gets a cited answer."""
    llm = ChatOpenAI(model="icc-assistant", base_url=f"{url}/v1", api_key="unused", timeout=60)  # type: ignore[arg-type]
    reply = llm.invoke("How many elementary schools are there in Ansan?")
    assert "Sources:" in str(reply.content)


def test_search_sources_and_facets(url: str) -> None:
    """Retrieval, the document list and the facet counts are served."""
    found = httpx.get(
        f"{url}/api/search",
        params={"q": "multicultural newspaper", "k": 3, "doc_type": "good_practice"},
        timeout=HTTP_TIMEOUT,
    ).json()
    assert found["status"] == "found" and len(found["passages"]) == 3
    assert {p["document"]["doc_type"] for p in found["passages"]} == {"good_practice"}
    documents = httpx.get(f"{url}/api/sources", timeout=HTTP_TIMEOUT).json()["documents"]
    assert len(documents) == 5 and all(d["chunks"] > 0 for d in documents)
    facets = httpx.get(f"{url}/api/facets", timeout=HTTP_TIMEOUT).json()
    assert facets["cities"] == [{"value": "Ansan", "count": 5}]


def real_answer_id(url: str) -> str:
    """The id of an answer the service gave, as feedback must name one."""
    answer = httpx.post(f"{url}/api/chat", json={"question": FRENCH}, timeout=60).json()
    answer_id: str = answer["answer_id"]
    return answer_id


def test_feedback_is_stored_and_exported_to_admins(url: str) -> None:
    """A rating is saved in SQLite and appears in the admin export."""
    answer_id = real_answer_id(url)
    created = httpx.post(
        f"{url}/api/feedback",
        json={"answer_id": answer_id, "rating": "down", "reason": "wrong city"},
        timeout=HTTP_TIMEOUT,
    )
    assert created.status_code == 201
    assert_error(httpx.get(f"{url}/api/feedback", timeout=HTTP_TIMEOUT), 401, "authentication")
    items = httpx.get(
        f"{url}/api/feedback", headers={"Authorization": "Bearer admin-key"}, timeout=HTTP_TIMEOUT
    ).json()
    assert any(
        i["id"] == created.json()["id"] and i["reason"] == "wrong city" for i in items["items"]
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "kind"),
    [
        ("POST", "/api/chat", {"question": "  "}, 422, "invalid_question"),
        ("POST", "/api/chat", {"question": "x" * 3000}, 422, "invalid_question"),
        (
            "POST",
            "/api/chat",
            {"question": "hi", "history": [{"role": "robot", "content": "x"}]},
            422,
            "invalid_request",
        ),
        (
            "POST",
            "/api/chat",
            {"question": "hi", "filters": {"city": "Nowhereville"}},
            422,
            "invalid_filter",
        ),
        ("POST", "/api/chat", {"nothing": 1}, 422, "invalid_request"),
        ("GET", "/api/search?q=", None, 422, "invalid_question"),
        ("GET", "/nowhere", None, 404, "not_found"),
        ("DELETE", "/api/chat", None, 405, "method_not_allowed"),
        ("POST", "/api/feedback", {"answer_id": "a", "rating": "meh"}, 422, "invalid_request"),
    ],
)
def test_errors_have_the_one_shape(
    url: str, method: str, path: str, body: dict[str, Any] | None, status: int, kind: str
) -> None:
    """Every bad request gets its status and the common JSON error shape."""
    assert_error(httpx.request(method, f"{url}{path}", json=body, timeout=30), status, kind)


def test_city_filters_do_what_the_readme_says(url: str) -> None:
    """A city filter naming no known city is the README's `invalid_filter` error, word for word;
    a real city no document is about (Atlantis, South Africa) is a "not covered" answer."""
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    body = {"question": "anti-rumour campaigns", "filters": {"city": "Gotham"}}
    unknown = httpx.post(f"{url}/api/chat", json=body, timeout=60)
    assert f'"message": "{assert_error(unknown, 422, "invalid_filter")["message"]}"' in readme
    body["filters"] = {"city": "Atlantis"}
    uncovered = httpx.post(f"{url}/api/chat", json=body, timeout=60)
    assert uncovered.status_code == 200 and uncovered.json()["status"] == "no_evidence"


def test_a_short_question_is_answered_in_the_callers_language(url: str) -> None:
    """A one-word question ("anti-rumour", which reads as French) is answered in the caller's
    language_hint, else its Accept-Language; a full question keeps its own language."""

    def language(body: dict[str, Any], accept: str | None = None) -> str:
        headers = {"accept-language": accept} if accept else {}
        answer = httpx.post(f"{url}/api/chat", json=body, headers=headers, timeout=60)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["language"])

    assert language({"question": "anti-rumour"}, "en-GB,en;q=0.9,fr;q=0.5") == "en"
    assert language({"question": "anti-rumour", "language_hint": "de"}, "en") == "de"
    assert language({"question": FRENCH, "language_hint": "en"}, "en") == "fr"


def test_too_much_history_is_refused(url: str) -> None:
    """More history turns than ICC_MAX_HISTORY_TURNS is a 422 naming the limit."""
    history = [{"role": "user", "content": "q"}] * 21
    error = assert_error(
        httpx.post(
            f"{url}/api/chat", json={"question": "hi", "history": history}, timeout=HTTP_TIMEOUT
        ),
        422,
    )
    assert "20" in error["message"]


def test_oversized_body_is_413(url: str) -> None:
    """A body over ICC_MAX_BODY_BYTES is refused before it is parsed."""
    response = httpx.post(
        f"{url}/api/chat",
        content=b"{" + b" " * 1_100_000 + b"}",
        headers={"content-type": "application/json"},
        timeout=HTTP_TIMEOUT,
    )
    assert_error(response, 413, "payload_too_large")


def test_rate_limit_answers_429_with_retry_after(serve: Serve) -> None:
    """Past the per-minute limit a client gets 429 and Retry-After; others are still served."""
    url = serve(rate_limit_per_minute=3)
    for _ in range(3):
        assert httpx.get(f"{url}/api/facets", timeout=HTTP_TIMEOUT).status_code == 200
    error = httpx.get(f"{url}/api/facets", timeout=HTTP_TIMEOUT)
    assert_error(error, 429, "rate_limited")
    assert int(error.headers["retry-after"]) >= 1
    other = httpx.get(
        f"{url}/api/facets", headers={"Authorization": "Bearer k2"}, timeout=HTTP_TIMEOUT
    )
    assert other.status_code == 429  # same address: the address limit still applies
    assert httpx.get(f"{url}/health", timeout=HTTP_TIMEOUT).status_code == 200


def test_keys_and_scopes(serve: Serve) -> None:
    """With ICC_API_KEYS set, chat needs a key or a widget token; admin needs an admin key."""
    url = serve(
        api_keys=["chat-key"],
        admin_keys=["admin-key"],
        cors_origins=["https://city.example"],
        rate_limit_per_minute=1000,
    )
    assert_error(httpx.get(f"{url}/api/facets", timeout=HTTP_TIMEOUT), 401, "authentication")
    assert_error(
        httpx.get(f"{url}/api/facets", headers={"X-API-Key": "nope"}, timeout=HTTP_TIMEOUT), 401
    )
    assert (
        httpx.get(
            f"{url}/api/facets", headers={"X-API-Key": "chat-key"}, timeout=HTTP_TIMEOUT
        ).status_code
        == 200
    )
    city = {"Origin": "https://city.example"}
    assert_error(httpx.get(f"{url}/api/facets", headers=city, timeout=HTTP_TIMEOUT), 401)
    token = httpx.post(f"{url}/api/widget/token", headers=city, timeout=HTTP_TIMEOUT).json()[
        "token"
    ]
    with_token = {**city, "X-Widget-Token": token}
    assert (
        httpx.get(f"{url}/api/facets", headers=with_token, timeout=HTTP_TIMEOUT).status_code == 200
    )
    assert_error(
        httpx.get(f"{url}/api/feedback", headers={"X-API-Key": "chat-key"}, timeout=HTTP_TIMEOUT),
        403,
        "permission_denied",
    )
    assert (
        httpx.get(
            f"{url}/api/feedback", headers={"X-API-Key": "admin-key"}, timeout=HTTP_TIMEOUT
        ).status_code
        == 200
    )


def test_cors_allows_only_listed_origins(serve: Serve) -> None:
    """A preflight from a listed origin is allowed; others get no CORS headers."""
    url = serve(cors_origins=["https://city.example"])
    headers = {"Access-Control-Request-Method": "POST"}
    good = httpx.options(
        f"{url}/api/chat",
        headers={**headers, "Origin": "https://city.example"},
        timeout=HTTP_TIMEOUT,
    )
    bad = httpx.options(
        f"{url}/api/chat",
        headers={**headers, "Origin": "https://evil.example"},
        timeout=HTTP_TIMEOUT,
    )
    assert good.headers["access-control-allow-origin"] == "https://city.example"
    assert "access-control-allow-origin" not in bad.headers


def test_upload_and_delete_a_document(serve: Serve) -> None:
    """An admin uploads a page, finds it in search, then deletes it."""
    url = serve(own_index=True, admin_keys=["admin-key"], rate_limit_per_minute=1000)
    admin = {"Authorization": "Bearer admin-key"}
    page = (
        "Back Cycling school in Bergen\n\n2022\n\nBergen runs a free cycling school where "
        "newcomer women learn to ride with volunteer instructors from their neighbourhood."
    )
    files = {"file": ("bergen-cycling.txt", page.encode(), "text/plain")}
    assert_error(httpx.post(f"{url}/api/documents", files=files, timeout=HTTP_TIMEOUT), 401)
    result = httpx.post(f"{url}/api/documents", files=files, headers=admin, timeout=60).json()
    assert result["status"] == "added" and result["chunks"] == 1
    found = httpx.get(
        f"{url}/api/search", params={"q": "cycling school for women", "k": 1}, timeout=HTTP_TIMEOUT
    ).json()
    assert found["passages"][0]["document"]["city"] == "Bergen"
    assert (
        httpx.delete(
            f"{url}/api/documents/bergen-cycling.txt", headers=admin, timeout=HTTP_TIMEOUT
        ).status_code
        == 204
    )
    assert_error(
        httpx.delete(
            f"{url}/api/documents/bergen-cycling.txt", headers=admin, timeout=HTTP_TIMEOUT
        ),
        404,
    )
    bad = {"file": ("slides.pptx", b"PK\x03\x04", "application/octet-stream")}
    assert_error(
        httpx.post(f"{url}/api/documents", files=bad, headers=admin, timeout=HTTP_TIMEOUT), 415
    )


def test_model_answers_through_the_api(serve: Serve, fake_llm: FakeOpenAIServer) -> None:
    """With ICC_LLM_BASE_URL set the model writes the answer and /ready says it is reachable."""
    url = serve(llm_base_url=fake_llm.url, llm_model="fake-model", llm_max_retries=0)
    answer = httpx.post(f"{url}/api/chat", json={"question": FRENCH}, timeout=60).json()
    assert answer["model"] == "fake-model" and "Answer in French" in answer["text"]
    assert httpx.get(f"{url}/ready", timeout=HTTP_TIMEOUT).json()["model"] == "model reachable"


def test_feedback_keeps_the_newest_rows_and_is_exported_page_by_page(serve: Serve) -> None:
    """With ICC_FEEDBACK_MAX_ROWS=3, five ratings leave the newest three, read two at a time."""
    url = serve(admin_keys=["admin-key"], own_index=True, feedback_max_rows=3)
    ratings = [{"answer_id": real_answer_id(url), "rating": "up"} for _ in range(5)]
    ids = [
        httpx.post(f"{url}/api/feedback", json=rating, timeout=HTTP_TIMEOUT).json()["id"]
        for rating in ratings
    ]
    admin = {"Authorization": "Bearer admin-key"}
    first = httpx.get(
        f"{url}/api/feedback", params={"limit": 2}, headers=admin, timeout=HTTP_TIMEOUT
    ).json()
    assert [i["id"] for i in first["items"]] == ids[:1:-1][:2]
    params = {"limit": 2, "before": first["next_before"]}
    second = httpx.get(
        f"{url}/api/feedback", params=params, headers=admin, timeout=HTTP_TIMEOUT
    ).json()
    assert [i["id"] for i in second["items"]] == [ids[2]] and second["next_before"] is None


def test_ready_asks_the_model_at_most_every_few_seconds(
    serve: Serve, fake_llm: FakeOpenAIServer
) -> None:
    """Twenty /ready calls in a row list the model's models once, not twenty times."""
    url = serve(llm_base_url=fake_llm.url, llm_model="fake-model", rate_limit_per_minute=1000)
    for _ in range(20):
        assert httpx.get(f"{url}/ready", timeout=HTTP_TIMEOUT).json()["model"] == "model reachable"
    assert [path for path, _ in fake_llm.state.gets if path.endswith("/models")] == ["/v1/models"]


def test_ready_counts_against_the_rate_limit(serve: Serve) -> None:
    """/ready is limited per address like any request: the fourth of three a minute is 429."""
    url = serve(rate_limit_per_minute=3)
    statuses = [httpx.get(f"{url}/ready", timeout=HTTP_TIMEOUT).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_ready_fails_when_the_model_is_down(serve: Serve) -> None:
    """/ready is a 503 in the error shape when the configured model cannot be reached."""
    from fixtures.chroma_server import free_port

    url = serve(llm_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_max_retries=0)
    assert_error(httpx.get(f"{url}/ready", timeout=30), 503, "model_unavailable")


def test_client_disconnect_cancels_the_model_call(serve: Serve, fake_llm: FakeOpenAIServer) -> None:
    """Closing a stream mid-answer makes the fake model see its own stream cut off."""
    fake_llm.state.reset("stall", delay=20)
    url = serve(
        llm_base_url=fake_llm.url, llm_model="fake-model", llm_max_retries=0, llm_timeout=30
    )
    with httpx.stream("POST", f"{url}/api/chat/stream", json={"question": FRENCH}, timeout=30) as r:
        for kind, _ in sse_events(r):
            if kind == "token":
                break
    deadline = time.monotonic() + 10
    while fake_llm.state.disconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fake_llm.state.disconnects == 1
    assert fake_llm.state.completed_streams == 0


def _streamed_tokens(url: str) -> list[str]:
    with httpx.stream("POST", f"{url}/api/chat/stream", json={"question": FRENCH}, timeout=30) as r:
        return [data["text"] for kind, data in sse_events(r) if kind == "token"]


def test_a_fast_models_tokens_come_joined_and_a_slow_ones_one_by_one(
    serve: Serve, fake_llm: FakeOpenAIServer
) -> None:
    """Tokens a model writes faster than the token window go out joined, the first at once;
    a model writing slower than it gets each token out as it comes. The text is the same."""
    url = serve(llm_base_url=fake_llm.url, llm_model="fake-model", llm_max_retries=0)
    fast = _streamed_tokens(url)
    fake_llm.state.chunk_delay = 0.1  # one token every 100 ms: longer than the window
    slow = _streamed_tokens(url)
    words = len("".join(slow).split())
    assert "".join(fast) == "".join(slow) and words > 10
    assert 2 <= len(fast) <= 4 and fast[0] == "Answer "
    assert len(slow) >= 0.75 * words


def test_stream_failure_mid_answer_is_an_error_event(
    serve: Serve, fake_llm: FakeOpenAIServer
) -> None:
    """A model stream dropped after its first tokens ends the SSE stream with `error`."""
    fake_llm.state.reset("drop")
    url = serve(llm_base_url=fake_llm.url, llm_model="fake-model", llm_max_retries=0)
    with httpx.stream("POST", f"{url}/api/chat/stream", json={"question": FRENCH}, timeout=30) as r:
        kinds = [kind for kind, _ in sse_events(r)]
    assert kinds[0] == "meta" and "token" in kinds and kinds[-1] == "error"


def test_the_schema_states_the_configured_limits(serve: Serve) -> None:
    """/openapi.json gives the question, history and message limits the service applies (its
    settings), not the parser's ceilings, and a request past them is refused as it says."""
    url = serve(max_question_chars=1500, max_history_turns=7, max_history_chars=9000)
    models = httpx.get(f"{url}/openapi.json", timeout=HTTP_TIMEOUT).json()["components"]["schemas"]
    assert models["ChatRequest"]["properties"]["question"]["maxLength"] == 1500
    assert models["BriefRequest"]["properties"]["question"]["maxLength"] == 1500
    assert models["ChatRequest"]["properties"]["history"]["maxItems"] == 7
    assert models["TurnIn"]["properties"]["content"]["maxLength"] == 9000
    assert models["OpenAIChatRequest"]["properties"]["messages"]["maxItems"] == 7 + 1 + 4
    assert "100000" not in json.dumps(models["ChatRequest"])
    too_long = {"question": "x" * 1501}
    assert_error(httpx.post(f"{url}/api/chat", json=too_long, timeout=HTTP_TIMEOUT), 422)
    system = [{"role": "system", "content": "Be brief."}] * 5
    messages = [*system, {"role": "user", "content": "What is RIMU?"}]
    body = {"model": "icc-assistant", "messages": messages}
    assert_error(httpx.post(f"{url}/v1/chat/completions", json=body, timeout=HTTP_TIMEOUT), 422)
