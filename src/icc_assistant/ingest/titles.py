"""Whether a line can stand as a document's title: words a reader can place.

Scraped pages put other things where a title goes: markup remnants ("<<", "|"), a mail's field
label ("Subject:", "Objet :"), or the page's "City, Country" facts line. Such a line names no
document. `usable_title` turns them down, whatever the language, by their shape: too few
letters, a label ending in a colon, or nothing left once the places it names are taken out.
"""

from __future__ import annotations

from icc_assistant import gazetteer

MIN_LETTERS = 4  # "Oslo" is a place, not a title; "<<" or "12" is no title at all
_EDGE = " \t-–—:;|·•*#=_~/\\"


def usable_title(line: str) -> str | None:
    """The line as a title (outer marks and spacing tidied), or None if it is none."""
    raw = " ".join(line.split())
    text = raw.strip(_EDGE)
    letters = sum(ch.isalpha() for ch in text)
    if letters < MIN_LETTERS or 2 * letters < len(text.replace(" ", "")):
        return None  # markup remnants, numbers, punctuation
    if raw.endswith((":", "：")) and len(text.split()) <= 3:
        return None  # a field label whose value is elsewhere ("Subject:", "Objet :")
    remainder = gazetteer.without_places(text)
    if sum(ch.isalpha() for ch in remainder) < 2:
        return None  # only places: the page's "Ioannina, Greece" line
    return text


def prose_title(paragraphs: list[str] | tuple[str, ...], limit: int = 120) -> str:
    """A title from the first line of prose: the first paragraph's first sentence, cut at a
    word before `limit` characters; "" when there is none."""
    for paragraph in paragraphs:
        text = " ".join(paragraph.split())
        if usable_title(text) is None:
            continue
        for end, ch in enumerate(text):
            if ch in ".!?。！？" and (end + 1 == len(text) or text[end + 1] == " ") and end > 20:
                text = text[: end + 1]
                break
        if len(text) > limit:
            text = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
        return text
    return ""
