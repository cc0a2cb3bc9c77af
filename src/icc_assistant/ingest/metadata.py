"""Document metadata from the document's own text, a sidecar file or front matter."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from icc_assistant import gazetteer
from icc_assistant.documents import DOC_TYPES, DocType
from icc_assistant.errors import UnreadableDocumentError
from icc_assistant.ingest.cleaning import facts_segments

_YEAR = re.compile(r"\b(19[5-9]\d|20\d{2})\b")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_MARKUP = re.compile(r"<\s*[a-zA-Z/!?]")
_INDEX_REPORT = re.compile(
    r"index analysis|intercultural cit(y|ies) index|icc index", re.IGNORECASE
)
FIELDS = frozenset(
    {"title", "city", "country", "year", "doc_type", "topics", "language", "url", "variant_key"}
)


def sidecar_path(path: Path) -> Path | None:
    """`<name>.meta.json` or `<stem>.meta.json` beside the document, if present."""
    for candidate in (path.with_name(path.name + ".meta.json"), path.with_suffix(".meta.json")):
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(path: Path) -> tuple[dict[str, Any], bytes]:
    """The sidecar's fields and raw bytes (for the content hash); empty when there is none."""
    found = sidecar_path(path)
    if found is None:
        return {}, b""
    raw = found.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableDocumentError(f"{found} is not valid JSON: {exc}", str(path)) from exc
    if not isinstance(data, dict):
        raise UnreadableDocumentError(f"{found} must hold a JSON object.", str(path))
    return _checked(data, str(found)), raw


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    """YAML-style `key: value` front matter at the top of a text file, and the rest."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, Any] = {}
    for line in match.group(1).splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip().strip("\"'")
    if isinstance(fields.get("topics"), str):
        fields["topics"] = [t.strip() for t in fields["topics"].strip("[]").split(",") if t.strip()]
    return _checked(fields, source), text[match.end() :]


def _checked(data: dict[str, Any], source: str) -> dict[str, Any]:
    unknown = set(data) - FIELDS
    if unknown:
        raise UnreadableDocumentError(
            f"{source}: unknown metadata field(s) {sorted(unknown)}; allowed: {sorted(FIELDS)}.",
            source,
        )
    if "year" in data:
        try:
            data["year"] = int(data["year"])
        except (TypeError, ValueError) as exc:
            raise UnreadableDocumentError(f"{source}: year must be a number.", source) from exc
    if "doc_type" in data and data["doc_type"] not in DOC_TYPES:
        raise UnreadableDocumentError(f"{source}: doc_type must be one of {DOC_TYPES}.", source)
    if "topics" in data:
        data["topics"] = tuple(str(t) for t in data["topics"])
    for name in ("title", "city", "country", "language", "url"):
        if name in data and not isinstance(data[name], str):
            raise UnreadableDocumentError(f"{source}: {name} must be text.", source)
    for name in ("title", "city", "country"):
        if name in data and _MARKUP.search(data[name]):
            raise UnreadableDocumentError(
                f"{source}: {name} holds HTML markup; give plain text.", source
            )
    if any(_MARKUP.search(t) for t in data.get("topics", ())):
        raise UnreadableDocumentError(f"{source}: topics hold HTML markup.", source)
    if data.get("url"):
        data["url"] = _checked_url(data["url"], source)
    return data


def _checked_url(url: str, source: str) -> str:
    """An absolute http(s) URL: anything else (javascript:, data:, relative) is refused."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise UnreadableDocumentError(
            f"{source}: url must be an absolute http:// or https:// address, got {url[:80]!r}.",
            source,
        )
    return url.strip()


def infer_city(title: str, body: str) -> str | None:
    """The city the document is about: named in the title (any city of GeoNames), else the
    most named in the body. A name several cities share goes to one in a country the text
    names ("Camden" in a page that says "United Kingdom")."""
    countries = gazetteer.find_countries(body[:5000])
    in_title = gazetteer.find_cities(title, small=True, countries=countries)
    if in_title:
        return in_title[0]
    counts = gazetteer.count_cities(body, countries=countries)
    return max(counts, key=counts.__getitem__) if counts else None


def metadata_line(head: Sequence[str]) -> str | None:
    """A page's "Country | City | Year" line: the first of the lines under its title made of
    a few short parts that name a country or hold a year."""
    for line in head:
        parts = facts_segments(line)
        if parts and (infer_year(parts) or any(gazetteer.canonical_country(p) for p in parts)):
            return line
    return None


def facts_of(head: Sequence[str]) -> dict[str, Any]:
    """City, country and year from a page's "Country | City | Year" line (metadata_line)."""
    line = metadata_line(head)
    parts = facts_segments(line) if line else None
    return _facts_from_parts(parts) if parts else {}


def _facts_from_parts(parts: Sequence[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    countries = [c for part in parts for c in gazetteer.find_countries(part)]
    for part in parts:
        country = gazetteer.canonical_country(part)
        if country and "country" not in found:
            found["country"] = country
        elif country and "city" not in found:  # "Mexique | Mexico": the second is the city
            city = gazetteer.city_named_like_country(part, found["country"])
            if city:
                found["city"] = city
        cities = gazetteer.find_cities(part, small=True, countries=countries)
        if "city" not in found and cities and not country:
            found["city"] = cities[0]
    if "country" not in found and countries:
        found["country"] = countries[0]
    year = infer_year(parts)
    if year is not None:
        found["year"] = year
    return found


def infer_country(city: str | None, text: str) -> str | None:
    """The city's country from the gazetteer, else a country named near the top."""
    if city and gazetteer.country_of(city):
        return gazetteer.country_of(city)
    for match in re.finditer(r"\(([^)]{3,40})\)", text[:3000]):
        country = gazetteer.canonical_country(match.group(1))
        if country:
            return country
    return None


def infer_year(candidates: Sequence[str | None]) -> int | None:
    """The first year found in the candidate strings, in order of trust."""
    for text in candidates:
        if text:
            match = _YEAR.search(text)
            if match:
                return int(match.group(1))
    return None


@lru_cache(maxsize=1)
def _topics() -> tuple[tuple[str, str], ...]:
    raw = json.loads(
        resources.files("icc_assistant").joinpath("data/topics.json").read_text("utf-8")
    )
    return tuple((t["name"], t["description"]) for t in raw["topics"])


def topic_names() -> list[str]:
    """The ICC topic vocabulary."""
    return [name for name, _ in _topics()]


def topic_texts() -> list[str]:
    """Each topic as its name and what it covers (what ingest/describe.py embeds)."""
    return [f"{name}: {description}" for name, description in _topics()]


@lru_cache(maxsize=1)
def doc_type_descriptions() -> tuple[tuple[DocType, str], ...]:
    """(type, description) pairs of data/doc_types.json: several per type."""
    raw = json.loads(
        resources.files("icc_assistant").joinpath("data/doc_types.json").read_text("utf-8")
    )
    types = {t: t for t in DOC_TYPES}
    return tuple((types[t["name"]], text) for t in raw["types"] for text in t["descriptions"])


_DAY_BEFORE_YEAR = re.compile(
    r"(?<!\d)(?:[1-9]|[12]\d|3[01])(?!\d)\S*(?:\s+\S+){0,2}?\s+(19|20)\d\d\b"
)
_NUMERIC_DATE = re.compile(r"\b(?:\d{1,2}[./]\d{1,2}[./](19|20)\d\d|(19|20)\d\d-\d{2}-\d{2})\b")


def date_precision(line: str | None) -> str | None:
    """ "day" when a metadata line dates something to a day ("30 July 2020", "14–15 березня
    2019", "06.11.2020": an event), "year" when it gives a year, a span or a start ("2019-2023",
    "desde 2008", "novembro-dezembro 2011": a practice), None when it gives no year."""
    if not line or not _YEAR.search(line):
        return None
    if _NUMERIC_DATE.search(line):
        return "day"
    for match in _DAY_BEFORE_YEAR.finditer(line):
        day = match.group(0)
        if not re.match(r"\d+[-–]\s?(19|20)\d\d", day):  # "11-2014" is a span, not a day
            return "day"
    return "year"
