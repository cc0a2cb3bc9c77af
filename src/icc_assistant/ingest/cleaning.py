"""Raw text -> clean text: remove ICC site chrome, back labels, sidebars and report junk.

Everything here is generic for ICC pages and reports in any site language; nothing is keyed to
particular files.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from icc_assistant.ingest.titles import usable_title

# "Back" link labels of the ICC site in its languages; scraped pages glue them to the title.
BACK_LABELS = (
    "Επιστροφή", "Geri", "Atrás", "Retour", "Zurück", "Indietro", "Voltar", "Back", "Terug",
    "Powrót", "Назад", "Înapoi", "Tilbake", "Tillbaka", "Tilbage", "Vissza", "Zpět", "Nazaj",
    "Natrag", "Takaisin", "Späť", "Atpakaļ", "Atgal", "Tagasi", "Назад към", "뒤로", "戻る",
    "返回", "رجوع", "עודה", "Tornare", "Retornar", "Wróć", "Volver", "Πίσω", "Tornar", "Enrere",
)  # fmt: skip
# What may precede a back label: an arrow or a bullet ("‹ Voltar", "« Volver").
_LABEL_LEAD = "‹«<←·•*#> \t"

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
_YEAR = re.compile(r"\b(19[5-9]\d|20\d{2})\b")
# Separators of navigation bars, breadcrumbs, tag lists and "Country | City | Year" lines.
_SEGMENT_SEPARATORS = re.compile(r"\s+[|·•›»>/]\s+|\s*\|\s*|\s+·\s+|\s{3,}")
LIST_SEGMENTS = 5  # a line of this many short segments is a list (tags, filters, countries)
SHORT_SEGMENT = 40
SHORT_LINE = 40
FACT_SEGMENTS = range(2, 5)
LIST_ITEM = 30  # characters of a line in a list of terms (a sidebar of topics, countries)
LIST_RUN = 6  # consecutive such lines make a list
_TOC_LINE = re.compile(r"^(?P<title>\S.*?)\s*\.{3,}\s*(?P<page>\d+)\s*$")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:#|[^)\s]*)\)")
_ANGLE_URL = re.compile(r"<(https?://[^>\s]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_CHART_LABEL = re.compile(
    r"^\**\s*(Intercultural City Index \(ICC\) - .*|City sample \(.*\))\s*\**$"
)
_EMPHASIS = re.compile(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")
# A line of a text table of figures: a label, then one to four scores ("Bildung   72   58",
# "Engagement 81 / 100", "Public space 63%"), as a PDF's text layer or a plain-text report
# lays out a table. Such a line is content, never navigation or a list, and it stays a line.
_FIGURE = r"\d{1,3}(?:[.,]\d{1,2})?\s?%?(?:\s?/\s?100)?"
FIGURE_ROW = re.compile(rf"^\s*[^\W\d_][^\d|]{{0,60}}?\s+{_FIGURE}(?:\s+{_FIGURE}){{0,3}}\s*$")


@dataclass(frozen=True)
class CleanPage:
    """A web page's title, year line (if any), facts line (if any) and body paragraphs,
    chrome removed."""

    title: str
    year_line: str | None
    dateline: str | None
    had_back_label: bool
    paragraphs: tuple[str, ...]
    head: tuple[str, ...] = ()  # the first lines under the title, where facts lines sit


def segments(line: str) -> list[str]:
    """The parts of a line cut at list separators ("Portugal | Amadora | 2008")."""
    return [
        part.strip(" :") for part in _SEGMENT_SEPARATORS.split(line.strip()) if part.strip(" :")
    ]


def is_list_line(line: str) -> bool:
    """A line of many short parts: a tag list, a filter, a menu, related links."""
    parts = segments(line)
    return len(parts) >= LIST_SEGMENTS and all(len(p) <= SHORT_SEGMENT for p in parts)


def is_figure_row(line: str) -> bool:
    """A line of a text table of figures (FIGURE_ROW)."""
    return bool(FIGURE_ROW.match(line))


def is_navigation(line: str) -> bool:
    """A navigation bar or breadcrumb: short parts and no sentence in them ("Weiterlesen ·
    Zurück zur Übersicht", "Home > Intercultural Cities > Good practice")."""
    parts = segments(line)
    return (
        not is_figure_row(line)
        and len(parts) >= 2
        and all(len(p) <= SHORT_SEGMENT for p in parts)
        and not re.search(r"[.!?]\s", line)
        and not _YEAR.search(line)
    )


def facts_segments(line: str) -> tuple[str, ...] | None:
    """The parts of a line that may be a page's "Country | City | Year" line: a short line of
    two to four short parts ("Ιωάννινα, Ελλάδα · Δημόσιες υπηρεσίες")."""
    parts = segments(line.replace(", ", " | ", 1)) if "," in line else segments(line)
    if len(line) > 140 or len(parts) not in FACT_SEGMENTS or any(len(p) > 60 for p in parts):
        return None
    return tuple(parts)


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
    """The title, if `line` is a back label in front of it, with a space or glued to it
    ("Atrás Democratic...", "ZurückHamburg Welcome Center", "‹ VoltarLoures prepara...")."""
    stripped = line.strip().lstrip(_LABEL_LEAD)
    for label in sorted(BACK_LABELS, key=len, reverse=True):
        if not stripped.startswith(label) or len(stripped) <= len(label) + 3:
            continue
        rest = stripped[len(label) :]
        words = rest.split()
        if rest[0] == " " and len(words) <= 3 and words[0][0].islower():
            return None  # "Volver a Noticias": a link back to a list, the title comes next
        if rest[0] == " " or rest[0].isupper() or rest[0] in "\"'„“«‘":
            return rest.strip()
    return None


def drop_list_runs(lines: list[str]) -> list[str]:
    """Blank out runs of LIST_RUN or more very short lines, blank lines between them allowed:
    a filter sidebar or menu listing every topic, country or year, in any language, under a
    heading nobody listed ("### Filtern nach Thema", "ΦΙΛΤΡΑ")."""
    kept = list(lines)
    run: list[int] = []
    for i, line in enumerate([*lines, "."]):
        text = line.strip().lstrip("#*•·- ").strip()
        if not text:
            continue
        short = len(text) <= LIST_ITEM and not is_figure_row(text)
        if short and not text.endswith((".", ":", "!", "?", "。")):
            run.append(i)
            continue
        if len(run) >= LIST_RUN:
            for j in run:
                kept[j] = ""
        run = []
    return kept


def without_trailing_chrome(paragraphs: list[str]) -> list[str]:
    """The paragraphs without the short lines that end a page ("Read more »", "FILTERS",
    "### Search good practices"): short, and no sentence in them."""
    end = len(paragraphs)
    while end and _is_stub(paragraphs[end - 1]):
        end -= 1
    return paragraphs[:end]


def _is_stub(paragraph: str) -> bool:
    text = paragraph.strip().lstrip("#*•·- ").strip()
    if text.endswith(("»", ">>", "›")):
        return True
    return len(text) <= SHORT_SEGMENT and not text.endswith((".", "!", "?", "。"))


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
    """Blank-line separated paragraphs, wrapped lines joined; a line of parts ("Portugal |
    Amadora | 2008") or of a text table of figures stands alone rather than running into the
    paragraph after it."""
    paragraphs: list[str] = []
    current: list[str] = []
    table = _figure_table_lines(lines)
    for number, line in enumerate(lines):
        if line.strip() and (re.search(r"\s[|·]\s", line) or number in table):
            paragraphs.extend([" ".join(current), line.strip()] if current else [line.strip()])
            current = []
        elif line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return [" ".join(p.replace("\u00a0", " ").split()) for p in paragraphs]


def _figure_table_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines of text tables of figures: two figure rows in a row at least (a
    wrapped line of prose may end with a number; two in a row that look like rows do not)."""
    rows = [is_figure_row(line) for line in lines]
    return {
        i
        for i, row in enumerate(rows)
        if row and ((i > 0 and rows[i - 1]) or (i + 1 < len(rows) and rows[i + 1]))
    }


def clean_page(text: str) -> CleanPage:
    """Clean a scraped ICC web page (good practice, news)."""
    lines = drop_sidebar(text.replace("\r\n", "\n").split("\n"))
    lines = ["" if is_chrome(line) or is_list_line(line) else line for line in lines]
    title, start, had_back = _find_title(lines)
    rest = drop_list_runs(lines[start:])
    year_line = dateline = None
    head = [line.strip() for line in rest if line.strip()][:3]
    if head and _YEAR_LINE.match(head[0]):
        year_line = head[0]
    elif head and _is_dateline(head[0]):
        dateline = head[0]
    skip = {year_line, dateline, title}
    body = [
        p
        for p in paragraphs_of(["" if is_navigation(line) else line for line in rest])
        if p not in skip and not is_boilerplate(p)
    ]
    body = without_trailing_chrome(body)
    return CleanPage(title, year_line, dateline, had_back, tuple(body), tuple(head))


def _find_title(lines: list[str]) -> tuple[str, int, bool]:
    """(title, index of the line after it, whether a back label marked it); a line that is no
    usable title (ingest/titles.py: "<<", "Subject:", "Ioannina, Greece") is passed over."""
    for i, line in enumerate(lines):
        found = split_back_label(line)
        if found and usable_title(found):
            return str(usable_title(found)), i + 1, True
        if _is_label_alone(line):  # the label on its own line (HTML): the title follows
            for j in range(i + 1, len(lines)):
                title = usable_title(strip_emphasis(lines[j].lstrip("# ").strip()))
                if title:
                    return title, j + 1, True
    for i, line in enumerate(lines):
        title = usable_title(strip_emphasis(line[2:].strip())) if line.startswith("# ") else None
        if title and not is_boilerplate(line[2:]):
            return title, i + 1, False
    for i, line in enumerate(lines):
        stripped = strip_emphasis(line.lstrip("# ").strip())
        if stripped and not is_boilerplate(stripped) and not is_navigation(stripped):
            if len(stripped) > 150 or stripped.endswith("."):  # a paragraph, not a title
                return "", i, False
            if usable_title(stripped):
                return str(usable_title(stripped)), i + 1, False
    return "", 0, False


def _is_dateline(line: str) -> bool:
    """A news item's place-and-date line ("Ansan, South Korea 30 July 2020"): short, ending
    with a year, and not a "Country | City | Year" line of parts."""
    if len(line) >= 80 or not re.search(r"\b(19|20)\d{2}\s*$", line):
        return False
    return not re.search(r"[|·•]", line) or not facts_segments(line)


def _is_label_alone(line: str) -> bool:
    stripped = line.strip().lstrip(_LABEL_LEAD)
    words = stripped.split()
    return (
        bool(words)
        and words[0] in BACK_LABELS
        and (len(words) == 1 or (len(words) <= 4 and words[1][0].islower()))
    )


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
