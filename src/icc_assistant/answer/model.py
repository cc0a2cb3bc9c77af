"""Answers written by any OpenAI-compatible chat model through LangChain.

Failures of the model never reach the user as a hang or a trace: before the first token, the
extractive answer is given with a notice; once tokens have been sent, a ModelUnavailableError
ends the stream (the service turns it into an `error` event). Only the model's own failures
(MODEL_FAILURES) fall back; an error in this code is a bug and goes on to be logged with its
traceback. A reply that cites none of the passages is not a failure of the model's endpoint:
the answer says that it cited nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import openai
import structlog
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from langchain_openai import AzureChatOpenAI, ChatOpenAI
from langchain_openai.chat_models.base import BaseChatOpenAI
from pydantic import SecretStr

from icc_assistant.answer.citations import MarkerFilter, citations_for, drop_unknown_markers
from icc_assistant.answer.evidence import offered_evidence
from icc_assistant.answer.extractive import (
    ExtractiveAnswerer,
    answer_language,
    condense_without_model,
    coverage_note,
    history_text,
    no_evidence_answer,
    titled,
)
from icc_assistant.answer.messages import language_name, message
from icc_assistant.answer.types import (
    AnswerDoneEvent,
    AnswerEvent,
    AnswerRequest,
    SearchQuery,
    TokenEvent,
)
from icc_assistant.documents import Answer, Passage, RetrievalResult
from icc_assistant.errors import ModelUnavailableError
from icc_assistant.prompts import load_prompt
from icc_assistant.settings import Settings

_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
log = structlog.get_logger("icc_assistant.model")

# What a failing endpoint makes the OpenAI client raise: its API errors (status, timeout,
# connection), httpx's transport errors, a body that is not JSON (json.JSONDecodeError, raised
# as it is), and a stream that ends before the model said it was done.
MODEL_FAILURES: tuple[type[Exception], ...] = (
    openai.OpenAIError,
    httpx.HTTPError,
    json.JSONDecodeError,
    ModelUnavailableError,
)


def _coverage(request: AnswerRequest, retrieval: RetrievalResult) -> str:
    """The closing paragraph naming the cities asked about that no document covers."""
    return f"\n\n_{coverage_note(answer_language(request), retrieval.uncovered)}_"


def failure_fields(exc: BaseException) -> dict[str, object]:
    """What a log line says about a failed model call: the error's kind and HTTP status only.

    Messages are left out: a server's error body may quote the prompt, so the question."""
    status = getattr(exc, "status_code", None)
    return {"error": type(exc).__name__, "status": status if isinstance(status, int) else None}


def create_chat_model(settings: Settings) -> BaseChatOpenAI:
    """A LangChain chat model for the configured endpoint, timeouts and retries explicit."""
    assert settings.llm_base_url is not None
    key = SecretStr(settings.llm_api_key or "not-needed")
    # Own HTTP clients (not LangChain's process-wide cached ones), so that a client never
    # outlives the event loop it was used in, and the timeout is the one configured here.
    timeout = httpx.Timeout(settings.llm_timeout, connect=min(settings.llm_timeout, 5.0))
    common: dict[str, object] = {
        "api_key": key,
        "timeout": settings.llm_timeout,
        "max_retries": settings.llm_max_retries,
        "temperature": settings.llm_temperature,
        "http_client": httpx.Client(timeout=timeout),
        "http_async_client": httpx.AsyncClient(timeout=timeout),
    }
    if settings.llm_api_version:
        return AzureChatOpenAI(
            azure_endpoint=settings.llm_base_url,
            azure_deployment=settings.llm_model,
            api_version=settings.llm_api_version,
            **common,
        )
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        **common,
    )


# A passage's own text may hold something that looks like our delimiter ("</passage> SYSTEM:
# ..."); its angle brackets are swapped for look-alikes so the text cannot close the fence.
_DELIMITER = re.compile(r"<(\s*/?\s*passage\b[^<>\n]{0,80})>?", re.IGNORECASE)


# The approved answer goes to the model between <approved_answer> tags; its text cannot close them.
_APPROVED_TAG = re.compile(r"<(?=\s*/?\s*approved_answer)", re.IGNORECASE)


# Characters that show nothing: "</pas\u200bsage>" reads as the tag to a model.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def fence(text: str) -> str:
    """`text` with anything like a <passage> or </passage> tag made inert, look-alikes too:
    invisible characters are removed and compatibility forms folded (a fullwidth
    "＜／ｐａｓｓａｇｅ＞" is "</passage>") before the tags are looked for."""
    folded = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return _DELIMITER.sub(lambda m: f"‹{m.group(1)}›", folded)


def format_passages(passages: Sequence[Passage]) -> str:
    """Numbered, delimited passages with their source, and who runs a recommended practice.

    Everything a document supplies (title, section, text) is fenced, so only this function
    writes the delimiters."""
    blocks = []
    for number, passage in enumerate(passages, start=1):
        doc = passage.document
        where = ", ".join(str(x) for x in (doc.city, doc.country, doc.year) if x)
        title = " ".join(fence(doc.title).split())
        head = f'[{number}] {fence(where)} - "{title}" ({doc.doc_type})'
        if passage.chunk.section:
            head += f", section: {' '.join(fence(passage.chunk.section).split())}"
        if passage.chunk.is_recommendation:
            others = ", ".join(passage.chunk.mentioned_cities) or "other cities"
            head += (
                f"\n    RECOMMENDATION to {doc.city or 'the city'}; "
                f"the practices described are those of: {others}"
            )
        elif passage.chunk.mentioned_cities:
            others = fence(", ".join(passage.chunk.mentioned_cities))
            head += f"\n    Also names: {others} (a practice described as theirs is theirs)"
        blocks.append(f"{head}\n<passage>\n{fence(passage_text(passage))}\n</passage>")
    return "\n\n".join(blocks)


def passage_text(passage: Passage) -> str:
    """What the model reads of a passage: its clean sentences, one a line (no table rows,
    headings or reference numbers), or its text when it has none."""
    return "\n".join(passage.chunk.sentences) or passage.context


def usage_of(metadata: object) -> dict[str, int] | None:
    """LangChain's usage metadata in OpenAI's words, or None when the model reported none."""
    if not isinstance(metadata, dict) or "total_tokens" not in metadata:
        return None
    return {
        "prompt_tokens": int(metadata.get("input_tokens", 0)),
        "completion_tokens": int(metadata.get("output_tokens", 0)),
        "total_tokens": int(metadata["total_tokens"]),
    }


def standalone_of(reply: str) -> tuple[str, str, bool | None] | None:
    """(standalone question, its English, whether it used the conversation: None when the model
    did not say) from the condensing model's JSON reply; None when the reply holds no such
    object."""
    found = _JSON_OBJECT.search(reply)
    if found is None:
        return None
    try:
        data = json.loads(found.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("standalone"), str):
        return None
    used = data.get("uses_history")
    return (
        data["standalone"].strip(),
        str(data.get("english") or "").strip(),
        used if isinstance(used, bool) else None,
    )


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
    return ""


class ModelAnswerer:
    """Answers with a chat model; falls back to extractive answers when the model fails."""

    uses_model = True

    def __init__(self, settings: Settings) -> None:
        self.name = settings.llm_model
        self._settings = settings
        self._llm = create_chat_model(settings)
        self._fallback = ExtractiveAnswerer()

    def check_ready(self) -> str:
        """List the endpoint's models through the model's own client (so Azure's URL, api-version
        and api-key header are right), with a short timeout. The public message names no URL."""
        client = self._llm.root_client.with_options(timeout=5.0, max_retries=0)
        try:
            client.models.list()
        except openai.OpenAIError as exc:
            log.warning("model not ready", **failure_fields(exc))
            raise ModelUnavailableError("The chat model is not reachable.") from exc
        return "model reachable"

    # -- condensing ------------------------------------------------------------------------------

    def condense(self, request: AnswerRequest) -> SearchQuery:
        """With history, the model rewrites the question standalone (and in English)."""
        if not request.history:
            return condense_without_model(request)
        prompt = load_prompt("condense").render(
            history=history_text(request.history), question=request.question
        )
        try:
            reply = _text_of(self._llm.invoke([HumanMessage(prompt)]).content)
        except MODEL_FAILURES as exc:
            log.warning("model call failed", stage="condense", **failure_fields(exc))
            return condense_without_model(request)
        parsed = standalone_of(reply)
        if parsed is None or not parsed[0]:
            log.warning("model reply unreadable", stage="condense")
            return condense_without_model(request)
        text, english, used = parsed
        if used is False:  # the question stands on its own: search it as it was asked
            text = request.question
        return SearchQuery(
            text=text,
            english=english or None,
            language=answer_language(request),
            history_used=used is not False and text != request.question,
        )

    # -- approved answers ------------------------------------------------------------------------

    def translate(self, text: str, language: str) -> str | None:
        """The model's translation of an approved answer into `language` (prompts/
        approved_translate.md); None when the model failed. The caller checks that it kept the
        citations, numbers and links."""
        prompt = load_prompt("approved_translate").render(
            language_name=language_name(language), answer=_APPROVED_TAG.sub("‹", text)
        )
        try:
            reply = self._llm.invoke([HumanMessage(prompt)])
        except MODEL_FAILURES as exc:
            log.warning("model call failed", stage="translate", **failure_fields(exc))
            return None
        return _text_of(reply.content).strip() or None

    # -- answering -------------------------------------------------------------------------------

    def _messages(self, request: AnswerRequest, retrieval: RetrievalResult) -> list[BaseMessage]:
        name = language_name(answer_language(request))
        system = load_prompt("answer_system").render(language_name=name)
        user = load_prompt("answer_user").render(
            history=history_text(request.history),
            passages=format_passages(retrieval.passages),
            question=request.question,
            language_name=name,
        )
        return [SystemMessage(system), HumanMessage(user)]

    def _model_for(self, request: AnswerRequest) -> Runnable[Any, BaseMessage]:
        """The chat model, bound to the request's token limit when it has one."""
        if request.max_tokens is None:
            return self._llm
        return self._llm.bind(max_tokens=request.max_tokens)

    def _finish(
        self,
        request: AnswerRequest,
        retrieval: RetrievalResult,
        text: str,
        usage: dict[str, int] | None = None,
    ) -> Answer | None:
        """The model's answer with valid citations only; None if it cited nothing valid."""
        valid = range(1, len(retrieval.passages) + 1)
        text = drop_unknown_markers(text, valid).strip()
        citations = citations_for(text, retrieval.passages)
        if not citations:
            return None
        if retrieval.uncovered and not text.endswith(_coverage(request, retrieval)):
            text = f"{text}{_coverage(request, retrieval)}"
        return Answer(
            answer_id=uuid.uuid4().hex,
            text=text,
            language=answer_language(request),
            status="answered",
            citations=citations,
            evidence=offered_evidence(citations, retrieval.passages),
            model=self.name,
            usage=usage,
        )

    def _fallback_answer(
        self, request: AnswerRequest, retrieval: RetrievalResult, why: str = "model_unavailable"
    ) -> Answer:
        """The extractive answer, with the notice `why` names (a message key)."""
        notice = message(answer_language(request), why)
        return self._fallback.write_answer(request, retrieval, notice=notice)

    def write_answer(self, request: AnswerRequest, retrieval: RetrievalResult) -> Answer:
        retrieval = titled(retrieval, answer_language(request))
        if retrieval.status == "no_evidence" or not retrieval.passages:
            return no_evidence_answer(answer_language(request), retrieval)
        messages = self._messages(request, retrieval)
        try:
            reply = self._model_for(request).invoke(messages)
        except MODEL_FAILURES as exc:  # the model failed: quote the sources instead
            log.warning("model call failed", stage="answer", **failure_fields(exc))
            return self._fallback_answer(request, retrieval)
        usage = usage_of(getattr(reply, "usage_metadata", None))
        answer = self._finish(request, retrieval, _text_of(reply.content), usage)
        if answer is None:
            log.info("model reply cited nothing", stage="answer")
            return self._fallback_answer(request, retrieval, "model_uncited")
        return answer

    async def stream_answer(
        self, request: AnswerRequest, retrieval: RetrievalResult
    ) -> AsyncIterator[AnswerEvent]:
        retrieval = titled(retrieval, answer_language(request))
        if retrieval.status == "no_evidence" or not retrieval.passages:
            async for event in self._fallback.stream_answer(request, retrieval):
                yield event
            return
        markers = MarkerFilter(range(1, len(retrieval.passages) + 1))
        messages = self._messages(request, retrieval)
        sent: list[str] = []
        usage: dict[str, int] | None = None
        try:
            finished = False
            async for chunk in self._model_for(request).astream(messages):
                finished = finished or bool(chunk.response_metadata.get("finish_reason"))
                usage = usage_of(getattr(chunk, "usage_metadata", None)) or usage
                piece = markers.feed(_text_of(chunk.content))
                if piece:
                    sent.append(piece)
                    yield TokenEvent(text=piece)
            if not finished:  # the connection closed before the model said it was done
                raise ModelUnavailableError("the model's stream ended before it finished")
        except MODEL_FAILURES as exc:
            log.warning("model call failed", stage="stream", tokens_sent=len(sent),
                        **failure_fields(exc))  # fmt: skip
            if sent:
                raise ModelUnavailableError(f"The chat model failed mid-answer: {exc}") from exc
            async for event in self._stream_fallback(request, retrieval):
                yield event
            return
        rest = markers.flush()
        if rest:
            sent.append(rest)
            yield TokenEvent(text=rest)
        if retrieval.uncovered and sent:
            sent.append(_coverage(request, retrieval))
            yield TokenEvent(text=sent[-1])
        answer = self._finish(request, retrieval, "".join(sent), usage)
        if answer is None:  # streamed, but nothing was cited: say so rather than present it
            log.info("model reply cited nothing", stage="stream")
            notice = message(answer_language(request), "model_uncited_text")
            yield TokenEvent(text=f"\n\n_{notice}_")
            answer = Answer(
                answer_id=uuid.uuid4().hex,
                text="".join(sent) + f"\n\n_{notice}_",
                language=answer_language(request),
                status="partial",
                model=self.name,
                notice=notice,
            )
        yield AnswerDoneEvent(
            answer=answer.model_copy(update={"text": "".join(sent)})
            if answer.status == "answered"
            else answer
        )

    async def _stream_fallback(
        self, request: AnswerRequest, retrieval: RetrievalResult
    ) -> AsyncIterator[AnswerEvent]:
        answer = self._fallback_answer(request, retrieval)
        for piece in re.findall(r"\S+\s*|\s+", answer.text):
            yield TokenEvent(text=piece)
        yield AnswerDoneEvent(answer=answer)
