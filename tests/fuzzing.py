"""Schemathesis over a running service's OpenAPI schema, and Hypothesis over its /mcp endpoint:
shared by the suite and bench/."""

from __future__ import annotations

from collections import Counter

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from fixtures.timeouts import HTTP_TIMEOUT

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def fuzz(
    url: str, examples: int, headers: dict[str, str] | None = None
) -> tuple[Counter[str], list[str]]:
    """Generate `examples` requests per operation; return (calls per operation, failures).

    A failure is a 5xx, a status the schema does not document, or a body or content type that
    does not match the schema."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    calls: Counter[str] = Counter()
    failures: list[str] = []
    for operation in operations:
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers, timeout=60)
            calls[label] += 1  # noqa: B023 - called before the loop moves on
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (AssertionError, FailureGroup) as exc:
                first = str(exc).strip().splitlines()[:6]
                failures.append(
                    f"{case.method} {case.formatted_path} -> "
                    f"{response.status_code}: {' | '.join(first)}"
                )

        call()
    return calls, failures


MCP_METHODS = (
    "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read",
    "resources/templates/list", "prompts/list", "notifications/initialized", "no/such/method",
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
_TOOL_CALL = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["search_icc", "ask_icc", "get_document", "nope"]) | st.text(),
        "arguments": st.dictionaries(st.sampled_from(["question", "query", "doc_id", "k"]), _JSON),
    }
)
MCP_MESSAGES = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "1.0"]), "method": st.sampled_from(MCP_METHODS)},
    optional={"id": st.integers() | st.text(max_size=8), "params": _TOOL_CALL | _JSON},
)


def fuzz_mcp(
    url: str, examples: int, headers: dict[str, str] | None = None
) -> tuple[Counter[str], list[str]]:
    """POST `examples` generated JSON-RPC messages (and garbage bodies) to /mcp; return (calls
    per method, failures). A failure is a 5xx, or an HTTP error outside the common shape."""
    calls: Counter[str] = Counter()
    failures: list[str] = []
    sent = {**(headers or {}), "Accept": "application/json, text/event-stream"}

    def check(label: str, response: httpx.Response) -> None:
        calls[label] += 1
        if response.status_code >= 500:
            failures.append(f"POST /mcp {label} -> {response.status_code}: {response.text[:200]}")
        elif response.status_code >= 400 and "jsonrpc" not in response.text:
            try:
                assert set(response.json()["error"]) == {"type", "message", "request_id"}
            except (ValueError, KeyError, TypeError, AssertionError):
                failures.append(f"POST /mcp {label} -> {response.status_code}: bad error shape")

    @given(message=MCP_MESSAGES)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def message(message: dict[str, object]) -> None:
        check(
            str(message["method"]),
            httpx.post(f"{url}/mcp", json=message, headers=sent, timeout=HTTP_TIMEOUT),
        )

    @given(body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def garbage(body: bytes) -> None:
        response = httpx.post(
            f"{url}/mcp",
            content=body,
            headers={**sent, "Content-Type": "application/json"},
            timeout=HTTP_TIMEOUT,
        )
        check("(garbage body)", response)

    message()
    garbage()
    return calls, failures
