"""The MCP server, through the SDK's own client: Streamable HTTP on loopback and stdio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixtures.live_server import Serve
from fixtures.mcp_client import Connect, MCPClient, http_transport, stdio_transport
from fixtures.timeouts import HTTP_TIMEOUT
from icc_assistant.settings import Settings

FRENCH = "Comment les villes luttent-elles contre les rumeurs ?"
OFF_TOPIC = "What is the boiling point of tungsten?"
TOOLS = {"search_icc", "ask_icc", "list_sources", "get_document", "icc_facets", "icc_scores"}
REPORT = "ansan-icc-index-analysis-2020.md"


@pytest.fixture
def url(serve: Serve) -> str:
    return serve(rate_limit_per_minute=1000)


@pytest.fixture
def client(url: str, mcp_connect: Connect) -> MCPClient:
    return mcp_connect(http_transport(url, {}))


def chunk_ids(passages: list[dict[str, Any]]) -> list[str]:
    return [p["chunk_id"] if "chunk_id" in p else p["chunk"]["chunk_id"] for p in passages]


def test_tools_are_listed_with_typed_schemas(client: MCPClient) -> None:
    """The five tools are listed read-only, each with a description and input/output schemas."""
    tools = {tool.name: tool for tool in client.tools()}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 80
        assert tool.outputSchema and tool.inputSchema["type"] == "object"
        assert tool.annotations and tool.annotations.readOnlyHint
    search = tools["search_icc"].inputSchema
    assert search["required"] == ["question"]
    assert {"city", "country", "topic", "doc_type", "years", "k"} <= set(search["properties"])


def test_search_icc_is_api_search_with_filters(client: MCPClient, url: str) -> None:
    """search_icc ranks the same passages as /api/search and keeps to its filters."""
    found = client.result(
        "search_icc", question="multicultural newspaper", doc_type="good_practice", k=3
    )
    api = httpx.get(
        f"{url}/api/search",
        params={"q": "multicultural newspaper", "k": 3, "doc_type": "good_practice"},
        timeout=HTTP_TIMEOUT,
    ).json()
    assert found["status"] == "found" and len(found["passages"]) == 3
    assert chunk_ids(found["passages"]) == chunk_ids(api["passages"])
    first = found["passages"][0]
    assert first["rank"] == 1 and first["city"] == "Ansan" and first["country"] == "South Korea"
    assert first["title"] and first["text"] and 0 < first["relevance"] <= 1
    assert {p["doc_type"] for p in found["passages"]} == {"good_practice"}
    dated = client.result("search_icc", question="schools", years={"start": 2020, "end": 2020})
    assert {p["year"] for p in dated["passages"]} == {2020}


def test_ask_icc_is_the_api_chat_answer(client: MCPClient, url: str) -> None:
    """ask_icc returns /api/chat's answer: French text, numbered citations that agree."""
    answer = client.result("ask_icc", question=FRENCH)
    api = httpx.post(f"{url}/api/chat", json={"question": FRENCH}, timeout=60).json()
    assert answer["language"] == "fr" and answer["status"] in {"answered", "partial"}
    assert all(f"[{c['number']}]" in answer["text"] for c in answer["citations"])
    numbered = lambda a: [(c["number"], c["chunk_id"]) for c in a["citations"]]  # noqa: E731
    assert numbered(answer) == numbered(api) and answer["citations"]


def test_ask_icc_follows_history_and_filters(client: MCPClient) -> None:
    """History and filters reach the answer: every citation is from the filtered type."""
    answer = client.result(
        "ask_icc",
        question="And how many elementary schools are there?",
        history=[{"role": "user", "content": "What does Ansan do for migrant pupils?"}],
        filters={"city": "Ansan", "doc_type": "good_practice"},
    )
    assert answer["citations"]
    assert {c["doc_type"] for c in answer["citations"]} == {"good_practice"}
    assert {c["city"] for c in answer["citations"]} == {"Ansan"}


def test_question_without_evidence_says_so(client: MCPClient) -> None:
    """A question the material does not cover is no_evidence, not an error or an invention."""
    answer = client.result("ask_icc", question=OFF_TOPIC)
    assert answer["status"] == "no_evidence" and answer["citations"] == []
    found = client.result("search_icc", question=OFF_TOPIC)
    assert found["status"] == "no_evidence" and found["passages"] == []


def test_sources_document_and_facets(client: MCPClient, url: str) -> None:
    """list_sources filters like search, get_document pages through the text, facets match."""
    everything = client.result("list_sources")
    assert everything == httpx.get(f"{url}/api/sources", timeout=HTTP_TIMEOUT).json()
    reports = client.result("list_sources", filters={"doc_type": "index_report"})
    assert [d["doc_id"] for d in reports["documents"]] == [REPORT]
    first = client.result("get_document", doc_id=REPORT)
    assert first["document"]["doc_type"] == "index_report" and first["chunks"] > 10
    assert first["text"].startswith("## ") and first["offset"] == 0
    assert first["next_offset"] == len(first["text"]) < first["total_chars"]
    rest = client.result("get_document", doc_id=REPORT, offset=first["next_offset"])
    assert rest["offset"] == first["next_offset"] and rest["text"]
    assert (
        client.result("icc_facets") == httpx.get(f"{url}/api/facets", timeout=HTTP_TIMEOUT).json()
    )


def test_scores_match_the_http_api(client: MCPClient, url: str) -> None:
    """icc_scores returns the rows GET /api/scores does, filters included."""
    found = client.result("icc_scores", city="Ansan", indicator="aggregate")
    assert (
        found
        == httpx.get(f"{url}/api/scores", params={"city": "Ansan", "indicator": "aggregate"}).json()
    )
    assert found["rows"] and client.result("icc_scores")["rows"]
    own = client.result("icc_scores", doc_id=REPORT)
    assert own == httpx.get(f"{url}/api/scores", params={"doc_id": REPORT}).json()
    assert own["rows"] and {r["doc_id"] for r in own["rows"]} == {REPORT}


def test_documents_are_resources(client: MCPClient) -> None:
    """Each document is listed as icc://documents/{doc_id} and reads as Markdown."""
    listed = client.portal.call(client.session.list_resources).resources
    assert len(listed) == 5 and str(listed[0].uri).startswith("icc://documents/")
    templates = client.portal.call(client.session.list_resource_templates)
    assert templates.resourceTemplates[0].uriTemplate == "icc://documents/{doc_id}"
    contents = client.read(f"icc://documents/{REPORT}").contents[0]
    assert contents.mimeType == "text/markdown"
    assert getattr(contents, "text", "").startswith("# ")


@pytest.mark.parametrize(
    ("tool", "arguments", "kind", "words"),
    [
        ("search_icc", {"question": "schools", "k": 500}, "invalid_argument", "k:"),
        ("search_icc", {}, "invalid_argument", "question: Field required"),
        ("search_icc", {"question": "   "}, "invalid_question", "empty"),
        (
            "search_icc",
            {"question": "schools", "city": "Nowhereville"},
            "invalid_filter",
            "Nowhereville",
        ),
        ("ask_icc", {"question": "x" * 3000}, "invalid_question", "limit is 2000"),
        ("ask_icc", {"question": "q", "filters": {"town": "Ansan"}}, "invalid_argument", "town"),
        ("get_document", {"doc_id": "nope.txt"}, "not_found", "list_sources"),
        ("get_document", {"doc_id": REPORT, "offset": -1}, "invalid_argument", "offset"),
        ("no_such_tool", {}, "invalid_request", "Unknown tool"),
    ],
)
def test_bad_arguments_are_clear_tool_errors(
    client: MCPClient, tool: str, arguments: dict[str, Any], kind: str, words: str
) -> None:
    """A bad argument is a tool error in the HTTP error shape, naming what was wrong."""
    error = client.error(tool, **arguments)
    assert error["type"] == kind and words in error["message"]


def test_a_missing_resource_is_a_clear_protocol_error(client: MCPClient) -> None:
    """Reading an unknown document or URI fails with not_found, and the session goes on."""
    for uri in ("icc://documents/nope.txt", "icc://elsewhere/x", "icc://documents/a/b.txt"):
        with pytest.raises(Exception, match="not_found"):
            client.read(uri)
    assert client.result("icc_facets")["cities"]


def test_keys_scopes_and_origins(serve: Serve, mcp_connect: Connect) -> None:
    """With ICC_API_KEYS set, /mcp needs a client or admin key; foreign origins are refused."""
    url = serve(api_keys=["chat-key"], admin_keys=["admin-key"], rate_limit_per_minute=1000)
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        with pytest.raises(ExceptionGroup) as refused_session:
            mcp_connect(http_transport(url, headers))
        assert refused_session.group_contains(httpx.HTTPStatusError, match="401")
        refused = httpx.post(f"{url}/mcp", headers=headers, json={}, timeout=HTTP_TIMEOUT)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["error"]["type"] == "authentication"
    for key in ("chat-key", "admin-key"):
        keyed = mcp_connect(http_transport(url, {"X-API-Key": key}))
        assert keyed.result("icc_facets")["cities"]
    foreign = {"X-API-Key": "chat-key", "Origin": "https://evil.example"}
    refused = httpx.post(f"{url}/mcp", headers=foreign, json={}, timeout=HTTP_TIMEOUT)
    assert refused.status_code == 403 and "ICC_CORS_ORIGINS" in refused.text


def test_tool_calls_count_against_the_rate_limit(serve: Serve, mcp_connect: Connect) -> None:
    """Tool calls share the per-minute limit; over it the call is a rate_limited tool error.
    (The client lists the tools once before its first call, and listing counts too.)"""
    url = serve(rate_limit_per_minute=4)
    client = mcp_connect(http_transport(url, {}))
    for _ in range(3):
        client.result("icc_facets")
    error = client.error("icc_facets")
    assert error["type"] == "rate_limited" and "retry in" in error["message"]
    assert (
        httpx.get(f"{url}/api/facets", timeout=HTTP_TIMEOUT).status_code == 429
    )  # one budget for both


MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def rpc(method: str, params: object = None, id_: int = 1) -> dict[str, object]:
    message: dict[str, object] = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


@pytest.mark.parametrize(
    "message",
    [rpc("resources/list"), rpc("tools/call", "not an object"), rpc("tools/list")],
    ids=["resources/list", "malformed tools/call", "tools/list"],
)
def test_every_mcp_request_counts_against_the_rate_limit(
    serve: Serve, message: dict[str, object]
) -> None:
    """Listing and malformed calls are counted like valid tool calls: with 5 a minute, the
    sixth of each is a 429 in the common error shape."""
    url = serve(rate_limit_per_minute=5)
    statuses = [
        httpx.post(
            f"{url}/mcp", json=message, headers=MCP_HEADERS, timeout=HTTP_TIMEOUT
        ).status_code
        for _ in range(6)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:5]


def test_get_mcp_is_refused_instead_of_held_open(url: str) -> None:
    """GET /mcp, which would hold an event stream open for ever, is a 405 at once."""
    response = httpx.get(f"{url}/mcp", headers={"Accept": "text/event-stream"}, timeout=5)
    assert response.status_code == 405
    assert response.json()["error"]["type"] == "method_not_allowed"


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 1000 + "1" + "}" * 1000])
def test_deeply_nested_json_is_a_client_error(url: str, body: str) -> None:
    """JSON nested thousands deep is refused in the common error shape, not a 500."""
    headers = {**MCP_HEADERS, "Content-Type": "application/json"}
    response = httpx.post(f"{url}/mcp", content=body, headers=headers, timeout=HTTP_TIMEOUT)
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "invalid_request"


def test_stdio_serves_the_same_tools(
    indexed_settings: Settings, mcp_connect: Connect, tmp_path: Path
) -> None:
    """`icc-assistant mcp` over stdio lists and runs every tool, with filters and errors."""
    with (tmp_path / "stderr.log").open("w") as errlog:
        client = mcp_connect(stdio_transport(indexed_settings, errlog))
        assert {tool.name for tool in client.tools()} == TOOLS
        found = client.result("search_icc", question="anti-rumour", city="Ansan", k=2)
        assert found["status"] == "found" and {p["city"] for p in found["passages"]} == {"Ansan"}
        answer = client.result("ask_icc", question=FRENCH)
        assert answer["language"] == "fr" and answer["citations"]
        assert client.result("ask_icc", question=OFF_TOPIC)["status"] == "no_evidence"
        assert len(client.result("list_sources")["documents"]) == 5
        assert client.result("get_document", doc_id=REPORT)["document"]["doc_id"] == REPORT
        assert client.result("icc_facets")["cities"] == [{"value": "Ansan", "count": 5}]
        assert client.error("search_icc", question="x", k=0)["type"] == "invalid_argument"
    log = (tmp_path / "stderr.log").read_text()
    calls = [json.loads(line) for line in log.splitlines() if '"mcp call"' in line]
    assert [c["call"] for c in calls][:2] == ["search_icc", "ask_icc"]
    assert calls[-1]["outcome"] == "invalid_argument" and all(c["request_id"] for c in calls)
    assert "anti-rumeurs" not in log, "questions are not logged"
