"""Citation markers: which passages an answer cites, and keeping text and list in agreement."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from icc_assistant.documents import Citation, Passage

MARKER = re.compile(r"\[(\d{1,3})\]")
_MAX_PENDING = 6


def cited_numbers(text: str) -> list[int]:
    """Marker numbers in order of first appearance."""
    seen: list[int] = []
    for match in MARKER.finditer(text):
        number = int(match.group(1))
        if number not in seen:
            seen.append(number)
    return seen


def drop_unknown_markers(text: str, valid: Iterable[int]) -> str:
    """Remove markers that point at no given passage."""
    allowed = set(valid)
    return MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in allowed else "", text)


def citation_for(number: int, passage: Passage, quote: str | None = None) -> Citation:
    """The numbered source of a passage, quoting `quote` (by default the passage's text)."""
    doc = passage.document
    return Citation(
        number=number,
        doc_id=doc.doc_id,
        chunk_id=passage.chunk.chunk_id,
        title=doc.title,
        city=doc.city,
        country=doc.country,
        year=doc.year,
        doc_type=doc.doc_type,
        section=passage.chunk.section,
        url=doc.url,
        source=doc.source,
        quote=passage.chunk.text if quote is None else quote,
        language=doc.language,
    )


def citations_for(text: str, passages: Sequence[Passage]) -> tuple[Citation, ...]:
    """Citations for the markers in `text`, numbered as the passages were (1-based)."""
    return tuple(
        citation_for(n, passages[n - 1]) for n in cited_numbers(text) if 1 <= n <= len(passages)
    )


class MarkerFilter:
    """Streams text through while dropping markers to unknown passages.

    A `[` may start a marker, so text from it is held back until the marker closes (or
    clearly is not one); nothing is ever sent that would later have to be taken back.
    """

    def __init__(self, valid: Iterable[int]) -> None:
        self._valid = set(valid)
        self._pending = ""

    def feed(self, text: str) -> str:
        """The part of the text seen so far that can be sent now."""
        self._pending += text
        out = []
        while self._pending:
            start = self._pending.find("[")
            if start < 0:
                out.append(self._pending)
                self._pending = ""
                break
            out.append(self._pending[:start])
            self._pending = self._pending[start:]
            match = re.match(r"\[(\d{0,3})(\])?", self._pending)
            assert match is not None
            if match.group(2):
                number = int(match.group(1)) if match.group(1) else -1
                if number in self._valid:
                    out.append(match.group(0))
                self._pending = self._pending[match.end() :]
            elif len(self._pending) > match.end() or len(self._pending) > _MAX_PENDING:
                out.append(self._pending[0])  # a bracket that is not a marker
                self._pending = self._pending[1:]
            else:
                break
        return "".join(out)

    def flush(self) -> str:
        """Whatever is still held back at the end."""
        rest, self._pending = self._pending, ""
        return rest
