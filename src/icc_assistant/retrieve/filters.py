"""Explicit filters -> the documents a search may draw on."""

from __future__ import annotations

from collections.abc import Callable

from icc_assistant import gazetteer
from icc_assistant.documents import DocumentMeta, Filters
from icc_assistant.errors import InvalidFilterError
from icc_assistant.index import ChunkCatalog


def allowed_documents(catalog: ChunkCatalog, filters: Filters) -> frozenset[str] | None:
    """Ids of the documents matching the filters, or None when nothing is filtered."""
    if filters.is_empty():
        return None
    if filters.year_from and filters.year_to and filters.year_from > filters.year_to:
        raise InvalidFilterError(
            f"year_from {filters.year_from} is after year_to {filters.year_to}."
        )
    city = _resolved(filters.city, gazetteer.canonical_city, "city", catalog.cities)
    countries = {d.country for d in catalog.documents.values() if d.country}
    country = _resolved(filters.country, gazetteer.canonical_country, "country", countries)
    return frozenset(
        d.doc_id for d in catalog.documents.values() if _matches(d, filters, city, country)
    )


def _resolved(
    value: str | None,
    resolve: Callable[[str], str | None],
    kind: str,
    indexed: frozenset[str] | set[str],
) -> str | None:
    """The name the index uses for a filter value written any known way."""
    if value is None:
        return None
    if value in indexed:
        return value
    found = resolve(value)
    if found is None:
        folded = {name.casefold(): name for name in indexed}
        found = folded.get(value.casefold())
    if found is None:
        raise InvalidFilterError(f"Unknown {kind} {value!r}: check the spelling or list facets.")
    return found


def _matches(doc: DocumentMeta, filters: Filters, city: str | None, country: str | None) -> bool:
    checks = (
        city is None or (doc.city is not None and gazetteer.same_city(doc.city, city)),
        country is None or doc.country == country,
        filters.year_from is None or (doc.year is not None and doc.year >= filters.year_from),
        filters.year_to is None or (doc.year is not None and doc.year <= filters.year_to),
        filters.doc_type is None or doc.doc_type == filters.doc_type,
        filters.topic is None or filters.topic.casefold() in {t.casefold() for t in doc.topics},
        filters.language is None or doc.language == filters.language,
    )
    return all(checks)
