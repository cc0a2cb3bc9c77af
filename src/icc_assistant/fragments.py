"""Links to the very sentence: a document's URL with a text fragment built from its quotes.

A text fragment (WICG Text Fragments, https://wicg.github.io/scroll-to-text-fragment/) is a
fragment directive, `#:~:text=start,end`, that makes the browser scroll to the first passage of
the page running from `start` to `end` and highlight it; several `text=` directives joined by
`&` highlight several passages. Browsers that do not know it open the page at its top, as a
plain link would. Each value is percent-encoded, and so are the `-`, `,` and `&` that the
directive's syntax uses (here everything but letters, digits and `_.~`, the same as
`web/lib/fragments.js`, so that every surface writes the same link; tests/data holds the shared
cases).

A quote is cleaned for reading (a reference mark or emphasis taken out, spaces joined), so the
page's text between its first and last words may differ: each directive names only the first
and the last EDGE_WORDS words, without the closing punctuation. PDF viewers read no text
fragments, so a PDF's link names the page where the quote stands instead (`#page=N`), when the
page is known; without it, the plain URL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

__all__ = ["EDGE_WORDS", "is_pdf", "quote_link", "text_directive"]

EDGE_WORDS = 4  # words of a sentence's start, and of its end, that a directive names
MOST_QUOTES = 5  # directives in one link: a document is quoted five times at most
_SPACELESS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_CLOSING = re.compile(r"[\s.!?。！？…;:,'\"”’»)\]」』]+$")
_OPENING = re.compile(r"^[\s'\"“„«‘(¿¡]+")
# Documents of the Council of Europe's document server are PDFs, whatever their address says.
_PDF_HOSTS = frozenset({"rm.coe.int"})


def _encode(text: str) -> str:
    """Percent-encoded for a directive: everything but letters, digits and `_.~`."""
    return quote(text, safe="").replace("-", "%2D")


def text_directive(sentence: str) -> str | None:
    """`text=start,end` (or `text=whole` for a short sentence, and for one written without
    spaces, whose word boundaries the browser finds by a dictionary), encoded; None for a
    sentence with no words."""
    text = _OPENING.sub("", _CLOSING.sub("", " ".join(sentence.split())))
    if not text:
        return None
    words = text.split(" ")
    if len(words) <= 2 * EDGE_WORDS or _SPACELESS.search(text):
        return f"text={_encode(text)}"
    start, end = " ".join(words[:EDGE_WORDS]), " ".join(words[-EDGE_WORDS:])
    return f"text={_encode(start)},{_encode(end)}"


def is_pdf(url: str, source: str = "") -> bool:
    """Whether the link opens a PDF: by its address or file name, or the host that serves the
    Council of Europe's documents."""
    path = urlsplit(url).path.lower()
    return (
        path.endswith(".pdf")
        or source.lower().endswith(".pdf")
        or (urlsplit(url).hostname or "") in _PDF_HOSTS
    )


def quote_link(
    url: str, quotes: Sequence[str], *, pdf: bool = False, page: int | None = None
) -> str:
    """`url` opened at its quotes: a text fragment for each (up to MOST_QUOTES); for a PDF,
    `#page=N` when the page is known, else `url` as it is. A URL that already has a fragment
    keeps it, the directive after it."""
    if pdf:
        return f"{url.split('#', 1)[0]}#page={page}" if page else url
    directives = [d for d in map(text_directive, quotes[:MOST_QUOTES]) if d]
    if not directives or ":~:" in url:
        return url
    return f"{url}{'' if '#' in url else '#'}:~:{'&'.join(directives)}"
