"""The filter options `ask`, `search` and `brief` share, the same filters HTTP takes.

Typer declares options per command, so each command lists the `*Opt` types below and passes
their values to `filters_from_options`, which checks them as the API's FiltersIn does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from icc_assistant.errors import InvalidFilterError

if TYPE_CHECKING:
    from icc_assistant.documents import Filters

CityOpt = Annotated[
    str | None, typer.Option("--city", help="Only material about this city (any spelling).")
]
CountryOpt = Annotated[
    str | None, typer.Option("--country", help="Only material about this country (any spelling).")
]
YearFromOpt = Annotated[
    int | None, typer.Option("--year-from", help="Only documents of this year or later.")
]
YearToOpt = Annotated[
    int | None, typer.Option("--year-to", help="Only documents of this year or earlier.")
]
TypeOpt = Annotated[
    str | None,
    typer.Option(
        "--type", help="Only this document type: good_practice, index_report, news or other."
    ),
]
TopicOpt = Annotated[str | None, typer.Option("--topic", help="Only documents with this topic.")]
LanguageOpt = Annotated[
    str | None,
    typer.Option("--language", help="Only documents in this language (ISO 639-1, e.g. fr)."),
]


def filters_from_options(
    city: str | None = None,
    country: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    doc_type: str | None = None,
    topic: str | None = None,
    language: str | None = None,
) -> Filters:
    """The options as domain Filters, checked by the API's own request model (imported only
    when a filter is given: its module holds every request model of the API)."""
    from pydantic import ValidationError

    from icc_assistant.documents import Filters

    if all(v is None for v in (city, country, year_from, year_to, doc_type, topic, language)):
        return Filters()

    from icc_assistant.api.schemas import FiltersIn

    try:
        checked = FiltersIn(
            city=city,
            country=country,
            year_from=year_from,
            year_to=year_to,
            doc_type=doc_type,
            topic=topic,
            language=language,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"--{str(e['loc'][0]).replace('_', '-').replace('doc-type', 'type')}: {e['msg']}"
            for e in exc.errors()
        )
        raise InvalidFilterError(f"Invalid filter: {problems}.") from exc
    return checked.to_domain()
