"""Raw text -> clean text: remove ICC site chrome, back labels, sidebars and report junk.

Everything here is generic for ICC pages and reports in any site language; nothing is keyed to
particular files.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# "Back" link labels of the ICC site in its languages; scraped pages glue them to the title.
BACK_LABELS = (
    "Επιστροφή", "Geri", "Atrás", "Retour", "Zurück", "Indietro", "Voltar", "Back", "Terug",
    "Powrót", "Назад", "Înapoi", "Tilbake", "Tillbaka", "Tilbage", "Vissza", "Zpět", "Nazaj",
    "Natrag", "Takaisin", "Späť", "Atpakaļ", "Atgal", "Tagasi", "Назад към", "뒤로", "戻る",
    "返回", "رجوع", "עודה", "Tornare", "Retornar", "Wróć",
)  # fmt: skip

# Site chrome, in the languages it shows up in (matched on whole lines, case-insensitively).
_CHROME = re.compile(
    r"^\s*(?:[•*·\-]\s*)?(?:"
    r"(?:diminuer|augmenter) la taille du texte|imprimer la page|imprimer en pdf|"
    r"(?:decrease|increase|reduce|enlarge) (?:the )?(?:text|font) size|print(?: the)? page|"
    r"print (?:as|to|in) pdf|print|share|share this page|"
    r"schrift (?:verkleinern|vergrößern)|seite drucken|als pdf drucken|"
    r"(?:reducir|aumentar) (?:el )?tamaño (?:del )?texto|imprimir(?: la página| en pdf)?|"
    r"(?:riduci|aumenta) (?:la )?dimensione del testo|stampa(?: la pagina| in pdf)?|"
    r"(?:diminuir|aumentar) o tamanho do texto|"
    r"μείωση μεγέθους κειμένου|αύξηση μεγέθους κειμένου|εκτύπωση(?: σελίδας| σε pdf)?|"
    r"metni? (?:küçült|büyüt)|sayfayı yazdır|pdf olarak yazdır|"
    r"reset filters?|social media(?:\s+social media)*|follow us|suivez-nous|"
    r"template for collection of good practices\s*>*"
    r")\s*$",
    re.IGNORECASE,
)

# Paragraphs the ICC site repeats on every good-practice page (start of the paragraph).
PROGRAMME_BOILERPLATE = (
    "The Intercultural city aims at building its policies and identity",
    "The first step is the adoption (and implementation) of strategies",
    "This section offers examples of intercultural approaches",
    "To get acquainted with cities",
    "Template for collection of Good practices",
    # the back cover of Council of Europe reports
    "The Council of Europe is the continent's leading human rights organisation",
    "It comprises 47 member states",
    "It comprises 46 member states",
    "All Council of Europe member states have signed up",
    "The European Court of Human Rights oversees",
    "COUNCIL OF EUROPE",
    "CONSEIL DE L'EUROPE",
    "Diversity has become a key feature of societies today",
    "contributed to post-war prosperity",
    "The Council of Europe and its partner cities have developed and validated",
    "The Intercultural Cities Programme (ICC) invites cities",
)

_SIDEBAR_HEADS = frozenset(
    {"topic", "topics", "thème", "thèmes", "thema", "themen", "tema", "temas", "θέμα", "konu",
     "countries", "pays", "länder", "países", "paesi", "year", "année", "jahr", "año", "anno"}
)  # fmt: skip
_YEAR_LINE = re.compile(r"^\s*(19|20)\d{2}\s*$")
_TOC_LINE = re.compile(r"^(?P<title>\S.*?)\s*\.{3,}\s*(?P<page>\d+)\s*$")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:#|[^)\s]*)\)")
_ANGLE_URL = re.compile(r"<(https?://[^>\s]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_CHART_LABEL = re.compile(
    r"^\**\s*(Intercultural City Index \(ICC\) - .*|City sample \(.*\))\s*\**$"
)
_EMPHASIS = re.compile(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")


@dataclass(frozen=True)
class CleanPage:
    """A web page's title, year line (if any) and body paragraphs, chrome removed."""

    title: str
    year_line: str | None
    dateline: str | None
    had_back_label: bool
    paragraphs: tuple[str, ...]


def strip_markup(text: str) -> str:
    """Turn Markdown links and HTML fragments into plain text."""
    text = _ANGLE_URL.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"</p>\s*<p[^>]*>", " ", text, flags=re.IGNORECASE)
    text = _TAG.sub("", text)
    return html.unescape(text)


def strip_emphasis(text: str) -> str:
    """Remove Markdown bold/italic markers."""
    return _EMPHASIS.sub("", text).strip()


def is_chrome(line: str) -> bool:
    """A line of site chrome (text size, print, share, filters) in any language."""
    return bool(_CHROME.match(line))


def is_boilerplate(paragraph: str) -> bool:
    """A paragraph every page or report repeats (programme introduction, back cover)."""
    text = paragraph.strip().replace("’", "'")
    return any(text.startswith(b.replace("’", "'")) for b in PROGRAMME_BOILERPLATE)


def split_back_label(line: str) -> str | None:
    """The title, if `line` is a back label glued in front of it."""
    stripped = line.strip()
    for label in sorted(BACK_LABELS, key=len, reverse=True):
        if stripped.startswith(label + " ") and len(stripped) > len(label) + 3:
            return stripped[len(label) + 1 :].strip()
    return None


def drop_sidebar(lines: list[str]) -> list[str]:
    """Cut the filter sidebar: a Topic/Countries/Year block of short value lines."""
    for i, line in enumerate(lines):
        if line.strip().casefold() not in _SIDEBAR_HEADS:
            continue
        tail = [t.strip() for t in lines[i + 1 : i + 40] if t.strip()]
        if len(tail) >= 5 and all(len(t) < 60 for t in tail[:5]):
            return lines[:i]
    return lines


def paragraphs_of(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs, wrapped lines joined."""
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return [" ".join(p.replace("\u00a0", " ").split()) for p in paragraphs]


def clean_page(text: str) -> CleanPage:
    """Clean a scraped ICC web page (good practice, news)."""
    lines = drop_sidebar(text.replace("\r\n", "\n").split("\n"))
    lines = ["" if is_chrome(line) else line for line in lines]
    title, start, had_back = _find_title(lines)
    rest = lines[start:]
    year_line = dateline = None
    head = [line.strip() for line in rest if line.strip()][:2]
    if head and _YEAR_LINE.match(head[0]):
        year_line = head[0]
    elif head and re.search(r"\b(19|20)\d{2}\s*$", head[0]) and len(head[0]) < 80:
        dateline = head[0]
    skip = {year_line, dateline, title}
    body = [p for p in paragraphs_of(rest) if p not in skip and not is_boilerplate(p)]
    return CleanPage(title, year_line, dateline, had_back, tuple(body))


def _find_title(lines: list[str]) -> tuple[str, int, bool]:
    """(title, index of the line after it, whether a back label marked it)."""
    for i, line in enumerate(lines):
        found = split_back_label(line)
        if found:
            return found, i + 1, True
        if line.strip() in BACK_LABELS:  # the label on its own line (HTML): title follows
            for j in range(i + 1, len(lines)):
                if lines[j].strip():
                    return strip_emphasis(lines[j].lstrip("# ").strip()), j + 1, True
    for i, line in enumerate(lines):
        if line.startswith("# ") and not is_boilerplate(line[2:]):
            return strip_emphasis(line[2:].strip()), i + 1, False
    for i, line in enumerate(lines):
        stripped = strip_emphasis(line.lstrip("# ").strip())
        if stripped and not is_boilerplate(stripped):
            if len(stripped) > 150 or stripped.endswith("."):  # a paragraph, not a title
                return "", i, False
            return stripped, i + 1, False
    return "", 0, False


def parse_toc(lines: list[str]) -> tuple[dict[str, int], list[str]]:
    """Table-of-contents entries (title -> level: 1 for UPPER CASE, else 2) and the other lines."""
    levels: dict[str, int] = {}
    kept = []
    for line in lines:
        match = _TOC_LINE.match(strip_markup(line).strip())
        if match:
            title = strip_emphasis(match.group("title")).strip(" .")
            levels[normalise_heading(title)] = 1 if title.isupper() else 2
        else:
            kept.append(line)
    return levels, kept


def normalise_heading(text: str) -> str:
    """A heading's key for matching against the table of contents."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def is_chart_label(line: str) -> bool:
    """A chart caption of an Index report ("Intercultural City Index (ICC) - Education")."""
    return bool(_CHART_LABEL.match(strip_emphasis(line.lstrip("# ").strip())))
