"""Domain exceptions, one tree.

ICCAssistantError
├── ConfigurationError          a setting is wrong or missing
├── DocumentError               one file could not be ingested (per-file, others go on)
│   ├── UnsupportedDocumentError    unknown file type
│   ├── EmptyDocumentError          nothing left after cleaning
│   ├── DocumentTooLargeError       over ICC_MAX_FILE_BYTES, or its text over the text limits
│   └── UnreadableDocumentError     binary junk, bad encoding, PDF without text layer
├── IndexError_                 (base of index problems)
│   ├── IndexNotBuiltError          nothing ingested yet
│   ├── IndexMismatchError          built by another embedder or chunker: rebuild
│   └── IndexUnavailableError       the Chroma server cannot be reached
├── InvalidQuestionError        empty, too long, no words, bad history
├── InvalidRequestError         another field of a request is malformed (an upload's name)
├── InvalidFilterError          unknown filter value or malformed range
├── PromptError                 a prompt file is missing or its variables do not match
├── ModelUnavailableError       the chat or embeddings endpoint failed
├── FeedbackUnavailableError    the feedback database is locked or read-only
├── GapsUnavailableError        the gaps database is locked or read-only
├── ApprovedAnswersUnavailableError  the approved answers' database is locked or read-only
├── SyncError                   a web sync cannot start (bad start URL or scope)
│   └── SyncBusyError               another sync is running on this data directory
└── AccessError                 (base of HTTP access problems)
    ├── AuthenticationError         no or unknown API key
    ├── PermissionDeniedError       the key lacks the scope
    ├── RateLimitedError            too many requests (carries retry_after)
    ├── PayloadTooLargeError        request body over the limit
    └── NotFoundError               no such document, approved answer or route
"""

from __future__ import annotations


class ICCAssistantError(Exception):
    """Root of every error the assistant raises on purpose; its message is for the user."""


class ConfigurationError(ICCAssistantError):
    """A setting is missing or inconsistent."""


class DocumentError(ICCAssistantError):
    """A document could not be ingested; carries the offending path."""

    def __init__(self, message: str, source: str = "") -> None:
        super().__init__(message)
        self.source = source


class UnsupportedDocumentError(DocumentError):
    """The file type has no loader."""


class EmptyDocumentError(DocumentError):
    """Nothing readable remained after cleaning."""


class DocumentTooLargeError(DocumentError):
    """The file is over the configured size limit."""


class UnreadableDocumentError(DocumentError):
    """The bytes are not text we can read (binary, bad encoding, no PDF text layer)."""


class IndexError_(ICCAssistantError):  # noqa: N801 - avoid shadowing the builtin IndexError
    """Base of problems with the vector or keyword index."""


class IndexNotBuiltError(IndexError_):
    """The index is empty: run `icc-assistant ingest` first."""


class IndexMismatchError(IndexError_):
    """The index was built with another embedder or chunker."""


class IndexUnavailableError(IndexError_):
    """The Chroma server cannot be reached."""


class InvalidQuestionError(ICCAssistantError):
    """The question or its history is empty, too long or malformed."""


class InvalidRequestError(ICCAssistantError):
    """A request field other than the question is malformed."""


class InvalidFilterError(ICCAssistantError):
    """A filter value is unknown or malformed."""


class PromptError(ICCAssistantError):
    """A prompt file is missing or its variables do not match the caller's."""


class ModelUnavailableError(ICCAssistantError):
    """The chat model or embeddings endpoint failed, timed out or answered garbage."""


class FeedbackUnavailableError(ICCAssistantError):
    """Feedback could not be stored or read (database locked, read-only disk)."""


class GapsUnavailableError(ICCAssistantError):
    """The record of unanswered questions could not be written or read."""


class ApprovedAnswersUnavailableError(ICCAssistantError):
    """The approved answers could not be written or read."""


class SyncError(ICCAssistantError):
    """A web sync cannot start: a start URL or prefix is malformed or out of scope."""


class SyncBusyError(SyncError):
    """Another sync holds this data directory's sync lock."""


class AccessError(ICCAssistantError):
    """Base of problems with who may call the service, how often and with what."""


class AuthenticationError(AccessError):
    """No API key, or an unknown one."""


class PermissionDeniedError(AccessError):
    """The API key is valid but lacks the scope this route needs."""


class RateLimitedError(AccessError):
    """Too many requests from one key or address; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLargeError(AccessError):
    """The request body is over the configured limit."""


class NotFoundError(AccessError):
    """The document or route does not exist."""
