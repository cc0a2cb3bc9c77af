"""Issue 23, parity: /api/sources filtered like /api/search. Real server on loopback, real
ChromaDB."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fixtures.live_server import Serve
from icc_assistant.settings import Settings

REPORT = "ansan-icc-index-analysis-2020.md"


def error_of(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """The project's one error shape, with the status and type expected."""
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"type", "message", "request_id"} and error["type"] == kind
    assert error["message"] and error["request_id"] == response.headers["x-request-id"]
    return error


@pytest.fixture
def many(serve: Serve, multilingual_settings: Settings) -> str:
    """A server over corpus/ plus pages from Hamburg, Kraków, Neuchâtel (en, fr) and Setúbal."""
    return serve(data_dir=multilingual_settings.data_dir, rate_limit_per_minute=1000)


# -- GET /api/sources with search's filters --------------------------------------------------


def sources(url: str, **params: Any) -> list[str]:
    response = httpx.get(f"{url}/api/sources", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return [d["doc_id"] for d in response.json()["documents"]]


ANSAN = [
    "ansan-2020-new-good-practices-news.txt",
    "ansan-democratic-citizenship.txt",
    "ansan-education-support-centres.txt",
    "ansan-icc-index-analysis-2020.md",
    "ansan-media-and-social-media-intercultural-literacy.txt",
]
NEUCHATEL = ["neuchatel-welcome-sessions-en.txt", "neuchatel-welcome-sessions-fr.txt"]
OTHERS = ["hamburg-sprachcafe-de.txt", "krakow-punkt-informacyjny-pl.txt", *NEUCHATEL]
EVERYTHING = [*ANSAN, *OTHERS, "setubal-icc-index-excerpt.md"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"city": "Kraków"}, ["krakow-punkt-informacyjny-pl.txt"]),
        ({"city": "Krakau"}, ["krakow-punkt-informacyjny-pl.txt"]),
        ({"country": "Switzerland"}, NEUCHATEL),
        ({"country": "South Korea"}, ANSAN),
        ({"doc_type": "index_report"}, [REPORT, "setubal-icc-index-excerpt.md"]),
        ({"doc_type": "news"}, ["ansan-2020-new-good-practices-news.txt"]),
        ({"language": "de"}, ["hamburg-sprachcafe-de.txt"]),
        ({"language": "fr"}, ["neuchatel-welcome-sessions-fr.txt"]),
        ({"year_from": 2012, "year_to": 2015}, ["hamburg-sprachcafe-de.txt", *NEUCHATEL]),
        ({"year_from": 2016, "year_to": 2019}, ["krakow-punkt-informacyjny-pl.txt"]),
        ({"year_to": 2012}, NEUCHATEL),
        ({"year_from": 2021}, []),
        (
            {"topic": "multilingualism"},
            [ANSAN[2], REPORT, NEUCHATEL[0], "setubal-icc-index-excerpt.md"],
        ),
        ({"country": "Switzerland", "language": "en"}, NEUCHATEL[:1]),
        (
            {"city": "Ansan", "doc_type": "good_practice", "topic": "Education"},
            [ANSAN[2], ANSAN[4]],
        ),
    ],
)
def test_sources_are_filtered_like_search(
    many: str, params: dict[str, Any], expected: list[str]
) -> None:
    """Each filter, and filters together, list exactly the documents they match, by doc_id."""
    assert sources(many, **params) == sorted(expected)


def test_filtered_sources_agree_with_the_metadata_they_list(many: str) -> None:
    """A filtered list is the unfiltered list cut down by the same rule, field by field."""
    everything = httpx.get(f"{many}/api/sources").json()["documents"]
    assert [d["doc_id"] for d in everything] == sorted(EVERYTHING)
    for field, value in (("doc_type", "good_practice"), ("language", "en"), ("country", "Poland")):
        wanted = [d["doc_id"] for d in everything if d[field] == value]
        assert sources(many, **{field: value}) == wanted and wanted


@pytest.mark.parametrize(
    ("params", "kind", "words"),
    [
        ({"year_from": 2020, "year_to": 2010}, "invalid_filter", "year_from 2020 is after"),
        ({"doc_type": "memo"}, "invalid_request", "doc_type"),
        ({"language": "eng"}, "invalid_request", "language"),
        ({"language": "DE"}, "invalid_request", "language"),
        ({"city": "Gotham"}, "invalid_filter", "Gotham"),
        ({"country": "Narnia"}, "invalid_filter", "Narnia"),
        ({"year_from": 1800}, "invalid_request", "year_from"),
        ({"year_to": "soon"}, "invalid_request", "year_to"),
        ({"city": "x" * 101}, "invalid_request", "city"),
    ],
)
def test_bad_source_filters_are_422_as_for_search(
    many: str, params: dict[str, Any], kind: str, words: str
) -> None:
    """The same bad value gets the same 422, type and message, from /api/sources and
    /api/search."""
    listed = error_of(httpx.get(f"{many}/api/sources", params=params), 422, kind)
    found = httpx.get(f"{many}/api/search", params={"q": "welcome", **params}, timeout=30)
    assert words in listed["message"] and listed["message"] == error_of(found, 422, kind)["message"]
