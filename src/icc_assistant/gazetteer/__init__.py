"""Cities and countries named in text, in any language and script.

`names.py` finds where a text names something (folding, inflections, scripts without spaces);
`places.py` holds what can be named: GeoNames cities with their alternate names, the ICC member
cities and countries. A city is recognised when it is an ICC member, a city of at least
MAJOR_POPULATION people, or one of the `known` cities a caller passes (those the corpus'
documents are about, of any size); `small=True` admits every GeoNames city of 15,000 people or
more, for reading a document's own title. A name several places share goes to a known city
first, then to a member, then to one in a preferred country, then to the largest.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from icc_assistant.gazetteer import words
from icc_assistant.gazetteer.abjad import abjad_spans
from icc_assistant.gazetteer.names import (
    NameMatcher,
    Span,
    alphabet,
    fold,
    name_script,
    script_of,
)
from icc_assistant.gazetteer.places import (
    MAJOR_POPULATION,
    MIN_POPULATION,
    Place,
    PlaceTable,
    country_aliases,
    country_names,
    place_table,
)
from icc_assistant.gazetteer.words import spelled, word_zipf

__all__ = [
    "MAJOR_POPULATION",
    "Mention",
    "canonical_city",
    "canonical_country",
    "city_named_like_country",
    "count_cities",
    "country_of",
    "find_cities",
    "find_countries",
    "fold",
    "mentions",
    "names_of",
    "same_city",
    "spelled",
    "warm_up",
    "without_cities",
    "without_places",
    "word_zipf",
]

# The stem of an inflected word ("Krakowie" -> "Krakow") may name a member or known city; for
# any other it must be this long ("Arabic" is no inflection of Ārabī).
MIN_OTHER_STEM = 7


@dataclass(frozen=True)
class Mention:
    """A city named in a text, and where; with what the text shows of how the name is used
    (retrieve/places.py decides from it whether a question means the city)."""

    city: str
    start: int
    end: int
    token: str = ""  # the words of the text that name it (the stem of an inflected word)
    own_name: bool = False  # the token is the place's own name, not one of its other names
    trusted: bool = False  # an ICC member, or one of the `known` cities
    initial: bool = False  # the token begins its sentence (or the text)
    cased: bool = False  # the token is written in a script with capital letters


def _table(small: bool) -> PlaceTable:
    return place_table(MIN_POPULATION if small else MAJOR_POPULATION)


@lru_cache(maxsize=2)
def _matcher(small: bool) -> NameMatcher:
    return NameMatcher(_table(small).by_key)


@lru_cache(maxsize=8)
def _known_matcher(known: frozenset[str]) -> NameMatcher:
    """A matcher over the known cities' own names, for those too small for the table."""
    return NameMatcher(fold(name) for name in known)


@lru_cache(maxsize=1)
def _country_matcher() -> NameMatcher:
    return NameMatcher(country_aliases())


def warm_up(*, small: bool = False, languages: list[str] | None = None) -> None:
    """Load the places and build the matcher now rather than on first use; with `small`, the
    smaller places too (what reading a document's city needs) and the country names; with
    `languages`, the words of those languages that are also names (gazetteer/words.py)."""
    _matcher(False)
    _keys_by_place(False)
    if languages:
        words.warm_up(languages)
    if small:
        _matcher(True)
        _country_matcher()


def _choose(
    places: list[Place], known: Collection[str], countries: Collection[str]
) -> Place | None:
    if not places:
        return None
    return max(
        places,
        key=lambda p: (p.name in known, p.member, p.country in countries, p.population),
    )


def mentions(
    text: str,
    *,
    known: Collection[str] = (),
    small: bool = False,
    countries: Collection[str] = (),
) -> list[Mention]:
    """Every city named in `text`, in order (see the module docstring for which count)."""
    return list(_mentions(text, frozenset(known), small, frozenset(countries)))


# A chat reads the same texts at several stages (its question; the passages it cites, which
# other chats retrieve too), and a text's mentions depend on nothing else.
@lru_cache(maxsize=4096)
def _mentions(
    text: str, known: frozenset[str], small: bool, countries: frozenset[str]
) -> tuple[Mention, ...]:
    table = _table(small)
    found = []
    for span in _matcher(small).spans(text):
        place = _choose([table.places[i] for i in table.by_key[span.key]], known, countries)
        if place is None:
            continue
        trusted = place.member or place.name in known
        if not trusted and (_inside_longer_name(text, span) or _short_stem(span)):
            continue
        if span.transliterated and _written_in(place.name, alphabet(text[span.start : span.end])):
            continue  # "Ρομά" (the Roma) is no Greek name of Rome, which Greek writes "Ρώμη"
        found.append(_mention(text, span, place.name, trusted=trusted))
    extra = frozenset(k for k in known if k not in table.by_name)
    if extra:
        taken = [(m.start, m.end) for m in found]
        by_key = {fold(name): name for name in extra}
        for span in _known_matcher(extra).spans(text):
            if not any(s < span.end and span.start < e for s, e in taken):
                found.append(_mention(text, span, by_key[span.key], trusted=True))
        found.sort(key=lambda m: m.start)
    if any(script_of(ch) in ("arabic", "other") for ch in text):
        found = _with_abjad_names(text, found, known)
    return tuple(found)


def _with_abjad_names(text: str, found: list[Mention], known: Collection[str]) -> list[Mention]:
    """`found` and the trusted cities an Arabic or Hebrew word names by its consonants
    (gazetteer/abjad.py), for those the gazetteer has no name of in that script."""
    trusted = {*known, *_member_names()}
    taken = [(m.start, m.end) for m in found]
    for span in abjad_spans(text, trusted):
        script = alphabet(text[span.start : span.end])
        if any(s < span.end and span.start < e for s, e in taken):
            continue
        if _written_in(span.city, script):
            continue
        key = Span(span.start, span.end, fold(span.city), False)
        found.append(_mention(text, key, span.city, trusted=True))
    return sorted(found, key=lambda m: m.start)


@lru_cache(maxsize=1)
def _member_names() -> frozenset[str]:
    table = _table(False)
    return frozenset(place.name for place in table.places if place.member)


def _mention(text: str, span: Span, city: str, *, trusted: bool) -> Mention:
    token = text[span.start : span.end]
    before = text[: span.start].rstrip(" \t\"'«“„‘(¡¿-–—")
    return Mention(
        city,
        span.start,
        span.end,
        token=token,
        own_name=same_city(token, city),
        trusted=trusted,
        initial=not before or before[-1] in ".!?:;\n。！？：；",
        cased=name_script(token) == "cased",
    )


@lru_cache(maxsize=2)
def _keys_by_place(small: bool) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for key, numbers in _table(small).by_key.items():
        for number in numbers:
            found.setdefault(number, []).append(key)
    return {number: tuple(keys) for number, keys in found.items()}


def _written_in(city: str, script: str) -> bool:
    """Whether the gazetteer holds a name of the city in this alphabet: then a word that only
    transliterates to one of its names is not how that alphabet writes it."""
    return any(alphabet(name) == script for name in names_of(city))


def names_of(city: str) -> tuple[str, ...]:
    """Every name (folded) by which the gazetteer finds a city in questions; () for a city it
    does not hold there."""
    number = _table(False).by_name.get(city)
    return () if number is None else _keys_by_place(False).get(number, ())


def _short_stem(span: Span) -> bool:
    return not span.exact and len(span.key) < MIN_OTHER_STEM


def _inside_longer_name(text: str, span: Span) -> bool:
    """Whether a capitalised word runs into the span ("América Latina", "Regina Müller") or
    the span is part of a hyphenated word ("Koryo-saram"): the name is then part of something
    longer, not a city (checked for cities that are neither members nor known)."""
    before = text[max(0, span.start - 30) : span.start]
    after = text[span.end : span.end + 30]
    if (before.endswith("-") and before[-2:-1].isalpha()) or (
        after.startswith("-") and after[1:2].isalpha()
    ):
        return True
    previous = before.rstrip(" ").rsplit(" ", 1)[-1] if before.endswith(" ") else ""
    following = after.lstrip(" ").split(" ", 1)[0] if after.startswith(" ") else ""
    return any(word[:1].isupper() and word[:1].isalpha() for word in (previous, following))


def find_cities(
    text: str,
    *,
    known: Collection[str] = (),
    small: bool = False,
    countries: Collection[str] = (),
) -> list[str]:
    """The cities named in `text`, each once, in order of first mention."""
    named = mentions(text, known=known, small=small, countries=countries)
    return list(dict.fromkeys(m.city for m in named))


def count_cities(
    text: str, *, known: Collection[str] = (), countries: Collection[str] = ()
) -> dict[str, int]:
    """How often each city is named in `text`."""
    counts: dict[str, int] = {}
    for mention in mentions(text, known=known, countries=countries):
        counts[mention.city] = counts.get(mention.city, 0) + 1
    return counts


def without_cities(text: str, *, known: Collection[str] = ()) -> str:
    """`text` with the cities it names taken out ("schools in Ansan" -> "schools in")."""
    pieces, position = [], 0
    for mention in mentions(text, known=known):
        pieces.append(text[position : mention.start])
        position = mention.end
    pieces.append(text[position:])
    return " ".join(" ".join(pieces).split())


def without_places(text: str) -> str:
    """`text` with the cities (of any size GeoNames lists) and countries it names taken out."""
    spans = [(m.start, m.end) for m in mentions(text, small=True)]
    spans += [(s.start, s.end) for s in _country_matcher().spans(text)]
    pieces, position = [], 0
    for start, end in sorted(spans):
        if start >= position:
            pieces.append(text[position:start])
            position = end
    pieces.append(text[position:])
    return " ".join(" ".join(pieces).split())


def same_city(first: str, second: str) -> bool:
    """Whether two city names mean one place or one holds the other: the words of one are
    among the other's ("Berlin" and "Berlin-Neukölln", "San Sebastián" and
    "Donostia/San Sebastián")."""
    a, b = _name_words(first), _name_words(second)
    return bool(a and b) and (a <= b or b <= a)


@lru_cache(maxsize=65536)  # retrieval compares every candidate's cities with the question's
def _name_words(name: str) -> frozenset[str]:
    return frozenset(fold(name).split())


def canonical_city(name: str) -> str | None:
    """The name shown for a city written any known way ("Krakau" -> "Kraków")."""
    table = _table(True)
    if name in table.by_name:
        return name
    place = _choose([table.places[i] for i in table.by_key.get(fold(name), ())], (), ())
    return place.name if place else None


def city_named_like_country(name: str, country: str) -> str | None:
    """A city of `country` that has the name of a country, as "Mexico" names Mexico City in
    French: found only where a country is already given, as in a "Mexique | Mexico" line."""
    table = _table(True)
    places = [table.places[i] for i in table.shadowed.get(fold(name), ())]
    place = _choose([p for p in places if p.country == country], (), ())
    return place.name if place else None


def country_of(city: str) -> str | None:
    """The country of a city, by the name shown for it."""
    for small in (False, True):
        table = _table(small)
        number = table.by_name.get(city)
        if number is not None:
            return table.places[number].country
    return None


def canonical_country(name: str) -> str | None:
    """The English name of a country written any known way ("Südkorea", "Polska")."""
    found = country_aliases().get(fold(name))
    if found is None and name in country_names().values():
        return name
    return found


def find_countries(text: str) -> list[str]:
    """The countries named in `text` (capitalised, in any language pycountry translates)."""
    aliases = country_aliases()
    return list(dict.fromkeys(aliases[s.key] for s in _country_matcher().spans(text)))
