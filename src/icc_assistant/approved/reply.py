"""An approved answer served to a user: its text, cited, framed in the user's language.

The text is the secretariat's, with its sources as numbered citations: `[n]` in the text names
the n-th source, and a text that cites none gets every source cited at its end. A sentence in
the user's language says the secretariat approved it; when the text is in another language it
is given as written, with a sentence saying so, unless a model translated it. A translation is
used only if it keeps every citation, number and link of the original (`keeps_meaning`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from icc_assistant.answer.messages import message
from icc_assistant.approved.model import MARKER, ApprovedAnswer, Source
from icc_assistant.documents import Answer, ApprovedMark, Citation, DocumentMeta

_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d{3})*(?:[.,]\d+)?")
_LINK = re.compile(r"https?://[^\s)\]>]+")


def cited_text(approved: ApprovedAnswer) -> str:
    """The answer's text with its citations: as written, or every source cited at its end."""
    text = approved.answer.strip()
    if approved.sources and not MARKER.search(text):
        text += " " + "".join(f"[{n}]" for n in range(1, len(approved.sources) + 1))
    return text


def keeps_meaning(original: str, translated: str) -> bool:
    """True when `translated` keeps the original's citations, numbers and links, each as often
    (a number's separators may change: "5,000" and "5 000" are one number)."""

    def numbers(text: str) -> list[str]:
        return sorted(re.sub(r"\D", "", n) for n in _NUMBER.findall(MARKER.sub(" ", text)))

    return (
        bool(translated.strip())
        and sorted(MARKER.findall(original)) == sorted(MARKER.findall(translated))
        and numbers(original) == numbers(translated)
        and sorted(_LINK.findall(original)) == sorted(_LINK.findall(translated))
    )


def approved_reply(
    approved: ApprovedAnswer,
    language: str,
    documents: Mapping[str, DocumentMeta],
    *,
    translation: str | None = None,
    model: str | None = None,
) -> Answer:
    """The answer serving `approved` in `language`; `translation`, when a model wrote one that
    keeps the meaning, replaces the text."""
    body = translation if translation is not None else cited_text(approved)
    parts = [message(language, "approved_intro"), body]
    if translation is None and approved.language != language:
        parts.append(f"_{message(language, 'approved_original_language')}_")
    return Answer(
        answer_id="",
        text="\n\n".join(parts),
        language=language,
        status="answered",
        citations=tuple(
            citation(n, source, documents, approved.language)
            for n, source in enumerate(approved.sources, start=1)
        ),
        model=model if translation is not None else None,
        approved=ApprovedMark(id=approved.id, approved_at=approved.approved_at),
    )


def citation(
    number: int, source: Source, documents: Mapping[str, DocumentMeta], language: str
) -> Citation:
    """A source as a numbered citation: a document of the index with what the index knows of
    it, or a web page by its address."""
    meta = documents.get(source.doc_id) if source.doc_id else None
    if meta is None:
        where = source.url or source.doc_id or ""
        return Citation(
            number=number,
            doc_id=source.doc_id or where,
            chunk_id="",
            title=source.title or where,
            url=source.url,
            source=where,
            quote="",
            language=language,
        )
    return Citation(
        number=number,
        doc_id=meta.doc_id,
        chunk_id="",
        title=source.title or meta.title or meta.doc_id,
        city=meta.city,
        country=meta.country,
        year=meta.year,
        doc_type=meta.doc_type,
        url=source.url or meta.url,
        source=meta.source,
        quote="",
        language=meta.language,
    )
