"""Chunks -> the figures they state that may be a city's ICC Index results, read by their form.

Nothing here depends on the report's language: figures are told by how they are written. A
percentage ("67%"), a score out of 100 ("81 / 100", "58 punti su 100"), a plain score (a whole
number up to 100) and a rank (an ordinal such as "23rd", "58e", "14°", "31-му", "2η", or a
number followed closely by a larger one: "9 von 110", "27 of 101", whose larger number is the
sample's size) are read from:

- table rows: Markdown rows (`| Engagement | 81 / 100 |`), the lines of a text table (a label
  then numbers: "Bildung 72 58", two such lines in a row at least) and `label: value` lines
  ("Overall result: 65/100"). The label says what the figure is; with two scores on a row,
  the city's is the one under a header naming the city, else the first, and the other is the
  sample's;
- sentences (the chunk's quotable ones, whose vectors ingest computes anyway): with one score,
  it is the city's; with two, the one nearer to the city's name (else the first) is the city's
  and the other the sample's; with more, the sentence's scores are passed over. A rank in a
  sentence counts with the size of the sample it ranks in ("14° posto su 120"), and so does a
  plain number after the same word ("Platz 9 von 110 ... und Platz 3 ..."). A sentence holding
  a population or a sum (a number of 1,000 or more) states shares, not scores. A score in the
  same sentence as the overall rank is the aggregate index the rank ranks.

Days of dates ("5 April 2019"), spans ("30-40") and years are never figures. Whether a sentence
states Index results at all is decided by its meaning (ingest/describe.py): "65% of
non-nationals come from China" reads like a score.

A rank among cities of a size or a share of foreign-born residents is told by its own words:
a number of 1,000 or more ("mehr als 500.000 Einwohnern", "200 000 habitants") makes it a rank
by size, a percentage ("plus de 15 % de résidents nés à l'étranger") one by that share.

Every figure keeps the row or sentence it was read from: a value is never stored without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from icc_assistant import gazetteer
from icc_assistant.documents import Chunk, FigureRead, ScoreUnit
from icc_assistant.ingest import indicators
from icc_assistant.ingest.cleaning import is_figure_row
from icc_assistant.ingest.structure import RECOMMENDATION_HEADING

PUBLISHED_LANGUAGES = frozenset({"en", "fr"})  # of the indicators' names (data/indicators.json)
LARGE = 1000  # a number this large is a population, a sum or a threshold, never a score
MAX_SAMPLE = 999  # more cities than any Index sample holds
PAIR_GAP = 4  # words between a rank's number and the sample size after it, at most
OUT_OF_GAP = 2  # words between a score and the "100" it is out of, at most
MAX_LABEL_CHARS = 120
MAX_SCORES = 2  # a sentence's scores: the city's and the sample's; more cannot be told apart

_ORDINAL = (
    r"(?:st|nd|rd|th|ème|eme|ère|er|re|e|ᵉ|º|ª|°|"  # Latin scripts
    r"-?(?:ого|ому|ий|ій|ше|ге|тє|те|ме|ть|го|му|им|ім|ом|ой|ая|ое|й|е|є|я|а|ю|м)|"  # Cyrillic
    r"η|ος|ου|ης|ων|ή|ός|ο)"  # Greek
)
_NUMBER = re.compile(
    r"(?<![\w.,/\-–])"
    r"(?P<int>\d{1,3}(?:[\u00a0\u202f\u2009 .,’'](?=\d{3}(?!\d))\d{3})+|\d+)"
    r"(?:[.,](?P<dec>\d{1,2})(?!\d))?"
    r"(?:(?P<ordinal>" + _ORDINAL + r")(?![^\W\d_])"
    r"|(?P<percent>\s?[%％])"
    r"|(?P<slash>\s?/\s?100\b))?"
)
_YEAR = re.compile(r"^(19[5-9]\d|20\d\d)$")
_SPAN_AFTER = re.compile(r"\s?[-–]\s?\d")
_SPAN_BEFORE = re.compile(r"\d\s?[-–]\s?$")
_COMPOUND = re.compile(r"-[^\W\d_]")  # "7-minute", "10-year"
_ITEM = re.compile(r"\)")  # "4) mediación preventiva": a list's item number
_WORD = re.compile(r"\S+")
_TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$")
_TEXT_ROW = re.compile(r"^(?P<label>[^\W\d_][^\d|]{0,60}?)\s+(?P<cells>\d.*)$")
_COLON_ROW = re.compile(r"^(?P<label>[^|:]{2,80}?)\s*:\s+(?P<cells>\d.*)$")


@dataclass(frozen=True)
class Number:
    """A number as written: its value, where it is, and what its form says it is."""

    value: float
    start: int
    end: int
    # percent, of100 ("81 / 100"), ordinal, plain, large (1,000 or more), year, date (a day),
    # range (an end of "30-40"), compound ("7-minute") or item ("4)" in a list)
    kind: str

    @property
    def score_like(self) -> bool:
        return self.kind in ("percent", "of100", "plain") and 0 <= self.value <= 100


@dataclass(frozen=True)
class Figure:
    """A figure a row or sentence states, before it is tied to its chunk."""

    indicator: str | None
    value: float
    unit: ScoreUnit
    out_of: int | None = None
    sample_value: float | None = None
    ordinal: bool = False


@dataclass(frozen=True)
class _Rank:
    number: Number
    size: int | None  # the number of cities ranked, when stated
    words: str = ""  # the words that say among which cities


@dataclass(frozen=True)
class _Score:
    number: Number
    out_of: int | None  # 100 when stated
    head: str = ""  # the column's header, in a table


def numbers(text: str) -> list[Number]:
    """Every number of `text`, typed by its form."""
    found = []
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group("int"))
        grouped = digits != match.group("int")
        value = float(digits) + (float(f"0.{match.group('dec')}") if match.group("dec") else 0)
        if match.group("percent"):
            kind = "percent"
        elif match.group("slash"):
            kind = "of100"
        elif match.group("ordinal") and value < LARGE:
            kind = "ordinal"
        elif _YEAR.match(digits) and not grouped and not match.group("dec"):
            kind = "year"
        elif grouped or value >= LARGE:
            kind = "large"
        else:
            kind = "plain"
        found.append(Number(value, match.start(), match.end(), kind))
    return _dates_and_spans(text, found)


def _dates_and_spans(text: str, found: list[Number]) -> list[Number]:
    """Retype the day of a date ("5 April 2019"), the ends of a span ("30-40") and a number
    joined to a word ("7-minute")."""
    typed = list(found)
    for i, number in enumerate(found):
        after = text[number.end : number.end + 3]
        before = text[max(0, number.start - 3) : number.start]
        if _SPAN_AFTER.match(after) or _SPAN_BEFORE.search(before):
            typed[i] = replace(number, kind="range")
        elif _COMPOUND.match(after):
            typed[i] = replace(number, kind="compound")
        elif _ITEM.match(after) and number.kind == "plain" and not _in_brackets(text, number):
            typed[i] = replace(number, kind="item")
        elif number.kind in ("plain", "ordinal") and number.value <= 31:
            year = next((n for n in found[i + 1 :] if n.kind == "year"), None)
            if year is not None and _words_between(text, number.end, year.start) <= 1:
                typed[i] = replace(number, kind="date")
    return typed


def _in_brackets(text: str, number: Number) -> bool:
    """Whether a number stands inside brackets opened before it ("(52)")."""
    before = text[: number.start]
    return before.count("(") > before.count(")")


def _words_between(text: str, start: int, end: int) -> int:
    return len(_WORD.findall(text[start:end]))


@dataclass
class _Read:
    """What one row or sentence states: ranks, scores, and whether it holds a count."""

    ranks: list[_Rank]
    scores: list[_Score]
    counts: bool = False  # a number of 1,000 or more that is no rank's threshold


def _read_numbers(text: str, *, pairs_are_ranks: bool) -> _Read:
    """Ranks and scores of a row's cells or a sentence. A plain pair ("9 von 110") is a rank
    only where `pairs_are_ranks`, or after the word that stands before another rank of the
    same text ("Platz 9 ... Platz 3.")."""
    found = numbers(text)
    used: set[int] = set()
    ranks: list[_Rank] = []
    for i, number in enumerate(found):
        if i in used or number.kind not in ("ordinal", "plain") or number.value < 1:
            continue
        size = _sample_after(text, found, i)
        if number.kind == "ordinal" or (size is not None and pairs_are_ranks):
            used.update({i} if size is None else {i, size})
            ranks.append(_Rank(number, int(found[size].value) if size is not None else None))
    _ranks_after_same_word(text, found, used, ranks)
    ranks = _with_their_words(text, ranks, found, used)
    scores: list[_Score] = []
    for i, number in enumerate(found):
        if i in used or not number.score_like:
            continue
        if number.kind == "plain" and number.value == 100 and scores and scores[-1].out_of is None:
            previous = scores[-1].number
            if _words_between(text, previous.end, number.start) <= OUT_OF_GAP:
                scores[-1] = _Score(previous, 100)  # "58 punti su 100", "80 (out of 100 ...)"
                continue
        scores.append(_Score(number, 100 if number.kind == "of100" else None))
    counts = any(n.kind == "large" and i not in used for i, n in enumerate(found))
    return _Read(ranks, scores, counts)


def _sample_after(text: str, found: list[Number], i: int) -> int | None:
    """The index of the number closely after found[i] that can be the size of the sample it
    ranks in: larger, at most MAX_SAMPLE, a plain number, with no number between; a plain pair
    ending in exactly 100 is a score and its scale."""
    if i + 1 >= len(found):
        return None
    number, after = found[i], found[i + 1]
    if after.kind != "plain" or not number.value < after.value <= MAX_SAMPLE:
        return None
    if after.value == 100 and number.kind == "plain":
        return None
    if _words_between(text, number.end, after.start) > PAIR_GAP:
        return None
    return i + 1


def _ranks_after_same_word(
    text: str, found: list[Number], used: set[int], ranks: list[_Rank]
) -> None:
    """ "Platz 9 von 110 Städten und Platz 3 unter ...": a plain number after the word that
    stands before a rank is a rank too."""
    words = {_word_before(text, rank.number.start) for rank in ranks} - {""}
    for i, number in enumerate(found):
        if i in used or number.kind != "plain" or number.value < 1:
            continue
        if _word_before(text, number.start) in words:
            used.add(i)
            ranks.append(_Rank(number, None))
    ranks.sort(key=lambda rank: rank.number.start)


def _word_before(text: str, position: int) -> str:
    words = _WORD.findall(text[max(0, position - 40) : position])
    return words[-1].casefold().strip(".,;:()") if words else ""


def _with_their_words(
    text: str, ranks: list[_Rank], found: list[Number], used: set[int]
) -> list[_Rank]:
    """Each rank with the words that say among which cities it was ranked: those after it, up
    to the next figure ("Platz 3 unter den Städten mit mehr als 500.000 Einwohnern", "30th among
    cities with over 15% foreign-born residents"). A threshold in them (a number of 1,000 or
    more, or the first percentage) belongs to those words and is no score."""
    starts = [rank.number.start for rank in ranks]
    worded = []
    for rank in ranks:
        end = next((s for s in starts if s > rank.number.start), len(text))
        for i, other in enumerate(found):
            if i in used or not rank.number.end <= other.start < end:
                continue
            if other.kind == "large":
                used.add(i)
                continue
            if other.kind == "percent":
                used.add(i)
                end = other.end
            else:
                end = other.start
            break
        worded.append(replace(rank, words=text[rank.number.end : end]))
    return worded


def rank_indicator(words: str) -> str:
    """rank, rank_size or rank_diversity, by the numbers in the rank's own words."""
    kinds = {n.kind for n in numbers(words)}
    if "large" in kinds:
        return "rank_size"
    if "percent" in kinds:
        return "rank_diversity"
    return "rank"


def _unit(number: Number) -> ScoreUnit:
    return "percent" if number.kind == "percent" else "points"


def _rank_figure(rank: _Rank, indicator: str) -> Figure:
    return Figure(
        indicator, rank.number.value, "rank", rank.size, ordinal=rank.number.kind == "ordinal"
    )


def _score_figure(indicator: str | None, first: _Score, second: _Score | None) -> Figure | None:
    """The city's score and the sample's beside it; None when the "sample" scores 100, which
    no sample does: that is a scale's top ("73 questions ... up to 100 points")."""
    sample = second.number.value if second else None
    if sample is not None and sample >= 100:
        return None
    return Figure(indicator, first.number.value, _unit(first.number), first.out_of, sample)


# -- tables -----------------------------------------------------------------------------------


def _cells(row: str) -> list[str]:
    return [" ".join(cell.split()) for cell in row.strip().strip("|").split("|")]


def _rows(paragraphs: Sequence[str]) -> Iterator[tuple[str, list[str] | None]]:
    """(the row as written, its table's header cells or None) of every table row."""
    header: list[str] | None = None
    runs = _text_table_lines(paragraphs)
    for index, paragraph in enumerate(paragraphs):
        line = paragraph.strip()
        if line.startswith("|") and line.endswith("|"):
            following = paragraphs[index + 1].strip() if index + 1 < len(paragraphs) else ""
            if _TABLE_RULE.match(line):
                continue
            if _TABLE_RULE.match(following):
                header = _cells(line)
                continue
            yield line, header
        elif index in runs or _COLON_ROW.match(line):
            yield line, None
        else:
            header = None


def _text_table_lines(paragraphs: Sequence[str]) -> set[int]:
    """Indexes of the lines of text tables: two or more label-then-numbers lines in a row."""
    rows = [is_figure_row(p.strip()) for p in paragraphs]
    return {
        i
        for i, is_row in enumerate(rows)
        if is_row and ((i > 0 and rows[i - 1]) or (i + 1 < len(rows) and rows[i + 1]))
    }


def _label_and_values(row: str, header: list[str] | None) -> tuple[str, list[str], list[str]]:
    """A row's label, its value cells and their headers."""
    if row.startswith("|"):
        cells = _cells(row)
        heads = (header or [])[1:] + [""] * len(cells)
        return cells[0], cells[1:], heads[: len(cells) - 1]
    match = _COLON_ROW.match(row) or _TEXT_ROW.match(row)
    if match is None:
        return "", [], []
    return match.group("label").strip(), [match.group("cells")], [""]


def read_row(
    row: str, header: list[str] | None, city: str | None, published: bool = True
) -> tuple[str, list[Figure]]:
    """A table row's label and the figures it states. In a report in another language than
    the indicators' names are published in, only a label that is a name as a whole is
    matched by name (the rest by meaning, later)."""
    label, values, heads = _label_and_values(row, header)
    label = label.strip(" *_:")
    if not label or len(label) > MAX_LABEL_CHARS or not any(c.isalpha() for c in label):
        return label, []
    named = indicators.named(label, whole=not published)
    ranks: list[Figure] = []
    scores: list[_Score] = []
    for cell, head in zip(values, heads, strict=False):
        read = _read_numbers(cell, pairs_are_ranks=named in indicators.RANKS)
        for rank in read.ranks:
            sized = rank if rank.size is not None else replace(rank, size=_size_in(label, rank))
            ranks.append(_rank_figure(sized, rank_indicator(label)))
        scores.extend(_Score(s.number, s.out_of, head) for s in read.scores)
    if ranks or not scores:
        return label, ranks
    first, second = _city_and_sample(scores, city)
    figure = _score_figure(named, first, second)
    return label, [figure] if figure else []


def _size_in(label: str, rank: _Rank) -> int | None:
    """The sample's size a row's label states ("Position among the 93 cities"): its only
    plain number, larger than the rank."""
    plain = [n for n in numbers(label) if n.kind == "plain"]
    if len(plain) == 1 and rank.number.value < plain[0].value <= MAX_SAMPLE:
        return int(plain[0].value)
    return None


def _city_and_sample(scores: list[_Score], city: str | None) -> tuple[_Score, _Score | None]:
    """The city's score of a row and the sample's (the column whose header names the city is
    the city's; else the first)."""
    if len(scores) == 1:
        return scores[0], None
    for k, score in enumerate(scores):
        if city and score.head and _names(score.head, city):
            return score, scores[1 if k == 0 else 0]
    return scores[0], scores[1]


def _names(text: str, city: str) -> bool:
    return any(gazetteer.same_city(m.city, city) for m in gazetteer.mentions(text, known=(city,)))


# -- sentences --------------------------------------------------------------------------------


def read_sentence(sentence: str, city: str | None) -> list[Figure]:
    """The figures a sentence states (their indicator named later, but a rank's and an
    aggregate's, which the sentence's form tells)."""
    read = _read_numbers(sentence, pairs_are_ranks=True)
    if not any(rank.size is not None for rank in read.ranks):
        read.ranks = []  # a lone "12e" may be anything; a rank in prose comes with its sample
    found = [_rank_figure(rank, rank_indicator(rank.words)) for rank in read.ranks]
    if read.counts or not 1 <= len(read.scores) <= MAX_SCORES:
        return found  # beside a population or a sum, a percentage is a share of it
    ordered = _nearer_city_first(sentence, read.scores, city)
    ranked = any(f.indicator == "rank" and f.out_of is not None for f in found)
    lone = len(ordered) == 1
    figure = _score_figure("aggregate" if ranked and lone else None, ordered[0],
                           ordered[1] if len(ordered) > 1 else None)  # fmt: skip
    return [*found, figure] if figure else found


def _nearer_city_first(sentence: str, scores: list[_Score], city: str | None) -> list[_Score]:
    if len(scores) < 2 or not city:
        return scores
    places = [
        m for m in gazetteer.mentions(sentence, known=(city,)) if gazetteer.same_city(m.city, city)
    ]
    if not places:
        return scores
    where = places[0].start
    return sorted(scores, key=lambda score: abs(score.number.start - where))


# -- a document -------------------------------------------------------------------------------


def read_figures(
    chunks: Sequence[Chunk], city: str | None, language: str = "en"
) -> tuple[FigureRead, ...]:
    """Every figure the chunks state that may be an Index result: each chunk's table rows,
    then its quotable sentences. A sentence counts when it is anchored (it names the city,
    compares with a sample or ranks among a number of cities) or sits under a heading, which
    may name its indicator (a sentence's label is its heading): a scale ("each indicator is
    scored out of 100") or a count in an unheaded page does not."""
    found: list[FigureRead] = []
    published = language in PUBLISHED_LANGUAGES
    for chunk in chunks:
        heading = main_heading(chunk.section)
        by_heading = indicators.named(heading, whole=True)
        paragraphs = chunk.text.split("\n\n")
        for row, header in _rows(paragraphs):
            label, figures = read_row(row, header, city, published)
            found.extend(_read(chunk, None, label, figure, row) for figure in figures)
        for position, sentence in enumerate(chunk.sentences):
            if _restates_a_row(sentence, paragraphs):
                continue
            figures = read_sentence(sentence, city)
            anchored = _anchored(sentence, figures, city)
            if not anchored:
                figures = [f for f in figures if not _scale_top(f)]
            if not figures or not (anchored or heading):
                continue  # a scale ("scored out of 100") or a count with nothing to tie it to
            for figure in figures:
                own = by_heading if figure.unit != "rank" else None
                named = own or figure.indicator or _named_in(sentence, figure, published)
                # a score's label is its section's heading: the indicator it names, or may name
                label = heading if figure.unit != "rank" and (own or not named) else ""
                read = _read(chunk, position, label, replace(figure, indicator=named), sentence)
                found.append(read.model_copy(update={"anchored": anchored}))
    return tuple(found)


def _read(chunk: Chunk, sentence: int | None, label: str, figure: Figure, quote: str) -> FigureRead:
    return FigureRead(
        chunk=chunk.ordinal, sentence=sentence, label=label, indicator=figure.indicator,
        value=figure.value, unit=figure.unit, out_of=figure.out_of,
        sample_value=figure.sample_value, ordinal=figure.ordinal, quote=quote,
    )  # fmt: skip


def is_strong(figure: FigureRead) -> bool:
    """A figure whose form alone says it is an Index result: a table row, a score set beside
    the sample's, or an ordinal rank among a stated number of cities."""
    return (
        figure.sentence is None
        or figure.sample_value is not None
        or (figure.ordinal and figure.out_of is not None)
    )


def _scale_top(figure: Figure) -> bool:
    """A score of the full 100 in a sentence that names neither the city nor a sample: the top
    of the scale ("cities can reach up to 100 points"), not a result."""
    return figure.unit != "rank" and figure.value == 100 and figure.sample_value is None


def _anchored(sentence: str, figures: list[Figure], city: str | None) -> bool:
    """Whether a sentence says whose or what its figures are: it compares with the sample,
    ranks among a number of cities, or names the city."""
    if any(f.sample_value is not None or f.unit == "rank" for f in figures):
        return True
    return city is not None and _names(sentence, city)


def main_heading(section: str) -> str:
    """The heading a section's scores belong to (a Suggestions sub-heading shares its
    parent's)."""
    names = [name for name in section.split(" > ") if name]
    while names and RECOMMENDATION_HEADING.match(names[-1]):
        names = names[:-1]
    return names[-1] if names else ""


def _named_in(sentence: str, figure: Figure, published: bool) -> str | None:
    """The indicator a sentence names by one of its published names, in a report written in
    one of the languages they are published in (Italian "media" is an average); a rank's is
    decided by its words."""
    if figure.unit == "rank" or not published:
        return None
    found = indicators.named(sentence)
    return None if found in indicators.RANKS else found


def _restates_a_row(sentence: str, paragraphs: Sequence[str]) -> bool:
    """Whether a quotable sentence is a table row restated ("Aggregate index: 67%."): the row
    itself was read."""
    label = sentence.split(":", 1)[0].strip()
    return ":" in sentence and any(p.strip().startswith("|") and label in p for p in paragraphs)
