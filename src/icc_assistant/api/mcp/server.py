"""The MCP server: the tools and document resources, with admission, errors and logs.

Every tool call and resource read is admitted (rate-limited like an HTTP request), logged
like one (tool name, outcome, time; never the question) and, when it fails, answered with
the HTTP API's error shape as a tool error, never as a crash of the session.
"""

from __future__ import annotations

import inspect
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

import structlog
from anyio import to_thread
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import McpError
from mcp.types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    CallToolResult,
    ErrorData,
    ToolAnnotations,
)
from mcp.types import Resource as MCPResource
from pydantic import AnyUrl, ValidationError
from starlette.requests import Request

from icc_assistant.api.errors import error_type, status_of
from icc_assistant.api.limits import question_cost
from icc_assistant.api.mcp.tools import ICCTools
from icc_assistant.assistant import Assistant
from icc_assistant.errors import ICCAssistantError, NotFoundError
from icc_assistant.settings import Settings

log = structlog.get_logger("icc_assistant.mcp")

DOCUMENT_PREFIX = "icc://documents/"
DOCUMENT_URI = DOCUMENT_PREFIX + "{doc_id}"
DOCUMENT_PATTERN = re.compile(re.escape(DOCUMENT_PREFIX) + "[^/]+")
READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, openWorldHint=False)
INSTRUCTIONS = (
    "Cited answers and passages from the Council of Europe's Intercultural Cities (ICC) "
    "programme: member cities' good practices and ICC Index reports on intercultural "
    "inclusion (anti-rumour campaigns, migrant education, participation, public space...). "
    "ask_icc answers with numbered citations; search_icc returns the passages; list_sources, "
    "get_document and icc_facets show what the material holds; icc_scores gives cities' "
    "ICC Index results as rows with their sources. Any language."
)

# Counts one call at its cost against the caller's limits (the HTTP request, or None over
# stdio); raises an AccessError when the caller may not make it.
Admit = Callable[[Request | None, int], None]


def admit_anyone(request: Request | None, cost: int = 1) -> None:
    """Over stdio the caller is the local user who started the process: nothing to check."""


def document_uri(doc_id: str) -> str:
    """The resource URI of a document (its id percent-encoded, slashes included)."""
    return DOCUMENT_URI.format(doc_id=quote(doc_id, safe=""))


def _argument_problems(exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e.get('loc', ())) or 'arguments'}: {e.get('msg', '')}"
        for e in exc.errors()[:5]
    ]
    return "; ".join(problems) or "Invalid arguments."


def _root_cause(exc: BaseException) -> BaseException:
    """The error to report: ours (or an argument check) if the SDK wrapped one, else exc."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ICCAssistantError | ValidationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return exc


def failure_of(exc: BaseException) -> tuple[str, str]:
    """(type, message) of a failed call, as the HTTP API would word them."""
    cause = _root_cause(exc)
    if isinstance(cause, ICCAssistantError) and status_of(cause) != 500:
        return error_type(cause), str(cause)
    if isinstance(cause, ValidationError):
        return "invalid_argument", _argument_problems(cause)
    if isinstance(cause, ToolError):  # the SDK's own, e.g. an unknown tool name
        return "invalid_request", str(cause)
    log.error("mcp call failed", error=type(cause).__name__, exc_info=cause)
    return "internal", "The server could not answer."


def _call_cost(arguments: dict[str, Any]) -> int:
    """A tool call's cost: a question's (search_icc, ask_icc), else one unit."""
    question = arguments.get("question")
    return question_cost(question) if isinstance(question, str) else 1


def finished(output: object) -> CallToolResult:
    """FastMCP's (content, structured content) pair as a finished result.

    Handed the pair, the low-level server would check the structured part against the output
    schema again with jsonschema, which re-checks the schema itself on every call, after
    pydantic has already validated it as the tool's return type.
    """
    if isinstance(output, CallToolResult):
        return output
    if isinstance(output, tuple):
        content, structured = output
        return CallToolResult(content=list(content), structuredContent=structured)
    raise TypeError(f"A tool returned {type(output).__name__}, not structured output.")


class ICCServer(FastMCP[Any]):
    """FastMCP with the ICC tools, stateless JSON over HTTP, and calls admitted and logged."""

    def __init__(
        self, settings: Settings, assistant: Callable[[], Assistant], admit: Admit
    ) -> None:
        super().__init__(
            name="icc-assistant",
            instructions=INSTRUCTIONS,
            log_level="WARNING",  # the SDK configures the root logger; keep it quiet
            stateless_http=True,
            json_response=True,
            streamable_http_path="/mcp",
            max_request_body_size=settings.max_body_bytes,
            # Hosts are whatever the deployment calls itself; the HTTP guard checks origins.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self._assistant = assistant
        self._admit = admit
        self.tools = ICCTools(assistant)
        for tool in (
            self.tools.search_icc,
            self.tools.ask_icc,
            self.tools.list_sources,
            self.tools.get_document,
            self.tools.icc_facets,
            self.tools.icc_scores,
        ):
            self.add_tool(
                tool,
                description=inspect.getdoc(tool),
                annotations=READ_ONLY,
                structured_output=True,
            )
        self.resource(
            DOCUMENT_URI,
            name="document",
            title="ICC document",
            description="One indexed document as Markdown: metadata, then its cleaned text.",
            mime_type="text/markdown",
        )(self._read_document)

    async def _read_document(self, doc_id: str) -> str:
        return await self.tools.document_markdown(unquote(doc_id))

    def _http_request(self) -> Request | None:
        """The HTTP request carrying the current message; None over stdio."""
        request = self.get_context().request_context.request
        return request if isinstance(request, Request) else None

    def _request_id(self, request: Request | None) -> str:
        found = getattr(request.state, "request_id", None) if request is not None else None
        return str(found) if found else uuid.uuid4().hex

    async def call_tool(  # type: ignore[override]  # the low-level server takes a result too
        self, name: str, arguments: dict[str, Any]
    ) -> CallToolResult:
        """Run a tool; any failure becomes a tool error carrying the HTTP error shape."""
        request = self._http_request()
        request_id = self._request_id(request)
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                self._admit(request, _call_cost(arguments))
                result = await super().call_tool(name, arguments)
            except Exception as exc:  # noqa: BLE001 - every failure is answered and logged
                kind, message = failure_of(exc)
                self._log(name, kind, started)
                body = {"type": kind, "message": message, "request_id": request_id}
                raise ToolError(json.dumps({"error": body}, ensure_ascii=False)) from exc
            self._log(name, "ok", started)
            return finished(result)

    async def read_resource(self, uri: AnyUrl | str) -> Iterable[ReadResourceContents]:
        """Read a document resource; failures become protocol errors with a clear message."""
        request = self._http_request()
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=self._request_id(request)):
            try:
                self._admit(request, 1)
                if not DOCUMENT_PATTERN.fullmatch(str(uri)):
                    raise NotFoundError(
                        f"No resource {uri}; documents are {DOCUMENT_URI}, the id "
                        "percent-encoded (as resources/list gives them)."
                    )
                contents = await super().read_resource(uri)
            except Exception as exc:  # noqa: BLE001 - every failure is answered and logged
                kind, message = failure_of(exc)
                self._log("resources/read", kind, started)
                code = INTERNAL_ERROR if kind == "internal" else INVALID_PARAMS
                raise McpError(ErrorData(code=code, message=f"{kind}: {message}")) from exc
            self._log("resources/read", "ok", started)
            return contents

    async def list_resources(self) -> list[MCPResource]:
        """Every indexed document as a resource, so clients can browse and attach them (the
        catalog, built from Chroma on first use, is read in a thread, off the event loop)."""
        return await to_thread.run_sync(self._resources)

    def _resources(self) -> list[MCPResource]:
        catalog = self._assistant().store.catalog
        return [
            MCPResource(
                uri=AnyUrl(document_uri(doc.doc_id)),
                name=doc.doc_id,
                title=doc.title,
                description=", ".join(str(x) for x in (doc.city, doc.year, doc.doc_type) if x),
                mimeType="text/markdown",
            )
            for doc in sorted(catalog.documents.values(), key=lambda d: d.doc_id)
        ]

    def _log(self, call: str, outcome: str, started: float) -> None:
        ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("mcp call", call=call, outcome=outcome, ms=ms)
