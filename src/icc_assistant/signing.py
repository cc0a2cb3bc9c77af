"""The deployment's signing secret, and answer ids that only this deployment can issue.

One secret (ICC_WIDGET_SECRET, else a random one kept in the data directory, shared by every
worker) signs widget tokens and answer ids, each under its own salt, so a signature made for
one can never pass as the other.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from itsdangerous import Signer

from icc_assistant.settings import Settings

SECRET_FILE = "widget-secret"


def load_secret(settings: Settings) -> str:
    """ICC_WIDGET_SECRET, else a random secret kept in the data directory (shared by workers)."""
    if settings.widget_secret:
        return settings.widget_secret
    path = settings.data_dir / SECRET_FILE
    if not path.is_file():
        _create_secret(path)
    return path.read_text(encoding="utf-8").strip()


def _create_secret(path: Path) -> None:
    """Write a new secret atomically; if another worker won the race, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".widget-secret-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(32))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


class AnswerIds:
    """Issues answer ids (`<32 hex>.<signature>`, URL-safe, 60 characters) and recognises them.

    Feedback names the answer it rates by id; a signed id means a rating always refers to an
    answer this deployment gave, not to a string a client made up."""

    def __init__(self, secret: str) -> None:
        self._signer = Signer(secret, salt="icc-assistant answer id")

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerIds:
        return cls(load_secret(settings))

    @classmethod
    def ephemeral(cls) -> AnswerIds:
        """Ids signed with a secret of this process only (an Assistant built by hand)."""
        return cls(secrets.token_urlsafe(32))

    def issue(self) -> str:
        """A new, signed answer id."""
        return self._signer.sign(secrets.token_hex(16)).decode("ascii")

    def is_genuine(self, answer_id: str) -> bool:
        """True when `answer_id` was issued with this secret."""
        return self._signer.validate(answer_id.encode("utf-8", "surrogateescape"))
