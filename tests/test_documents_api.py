"""Issue 23, parity: one document's text over HTTP, /api/sources filtered like /api/search, and
admin changes refused from foreign web pages. Real server on loopback, real ChromaDB."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixtures.live_server import Serve
from fixtures.timeouts import HTTP_TIMEOUT
from icc_assistant.embeddings import create_embedder
from icc_assistant.index import IndexStore
from icc_assistant.ingest import load_files
from icc_assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
REPORT = "ansan-icc-index-analysis-2020.md"
PRACTICE = "ansan-democratic-citizenship.txt"
MULTILINGUAL = ROOT / "tests" / "data" / "multilingual"
ADMIN = {"Authorization": "Bearer admin-key"}
# Ids of documents that are not files: a sub-folder's file and a synced page (its URL).
NESTED_ID = "cities/neuchatel/welcome-sessions-en.txt"
URL_ID = "https://www.coe.int/fr/web/interculturalcities/-/neuchatel-welcome-sessions"


def error_of(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """The project's one error shape, with the status and type expected."""
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"type", "message", "request_id"} and error["type"] == kind
    assert error["message"] and error["request_id"] == response.headers["x-request-id"]
    return error


def read(url: str, doc_id: str, **params: int) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/documents/{doc_id}", params=params, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def read_all(url: str, doc_id: str, limit: int | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The whole text, page after page from offset 0 along next_offset, and the pages."""
    pages = []
    offset: int | None = 0
    while offset is not None:
        params = {"offset": offset} | ({"limit": limit} if limit else {})
        page = read(url, doc_id, **params)
        assert page["offset"] == offset
        pages.append(page)
        offset = page["next_offset"]
        assert len(pages) < 100
    return "".join(p["text"] for p in pages), pages


@pytest.fixture
def url(serve: Serve) -> str:
    return serve(rate_limit_per_minute=1000)


@pytest.fixture
def many(serve: Serve, multilingual_settings: Settings) -> str:
    """A server over corpus/ plus pages from Hamburg, Kraków, Neuchâtel (en, fr) and Setúbal."""
    return serve(data_dir=multilingual_settings.data_dir, rate_limit_per_minute=1000)


@pytest.fixture(scope="module")
def nested_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """An index whose documents' ids hold slashes, as a folder's files and synced pages do."""
    folder = tmp_path_factory.mktemp("nested-corpus") / "cities" / "neuchatel"
    folder.mkdir(parents=True)
    english = shutil.copy(MULTILINGUAL / "neuchatel-welcome-sessions-en.txt", folder)
    french = shutil.copy(MULTILINGUAL / "neuchatel-welcome-sessions-fr.txt", folder)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("nested"), corpus_dir=folder, llm_base_url=None
    )
    store = IndexStore.open(settings, create_embedder(settings))
    report = store.sync(load_files([(Path(english), NESTED_ID), (Path(french), URL_ID)]))
    assert [f.status for f in report.files] == ["added", "added"], report.files
    yield settings


# -- GET /api/documents/{doc_id} -----------------------------------------------------------


def test_a_long_report_reads_in_pages_that_make_up_the_whole_text(url: str) -> None:
    """The Index report (98 KB) reads a bounded window at a time; the pages, by default size or
    by a small limit, join into the same text of total_chars characters, start to end."""
    whole, pages = read_all(url, REPORT)
    assert len(pages) == 5 and all(len(p["text"]) == 20_000 for p in pages[:-1])
    assert len(whole) == pages[0]["total_chars"] and pages[-1]["next_offset"] is None
    # the cleaned text: from the first section of the report to its last sentence
    assert whole.startswith("## INTRODUCTION\n\nIntercultural Cities is a Council of Europe")
    assert whole.endswith("as well as in the Intercultural cities database.")
    small, small_pages = read_all(url, REPORT, limit=7_000)
    assert small == whole and len(small_pages) == 14
    assert all(p["total_chars"] == len(whole) for p in small_pages)


def test_a_short_page_reads_whole_with_its_metadata(url: str) -> None:
    """A good-practice page fits in one read; its metadata is the source list's entry."""
    page = read(url, PRACTICE)
    assert set(page) == {"document", "chunks", "text", "offset", "total_chars", "next_offset"}
    assert page["offset"] == 0 and page["next_offset"] is None
    assert page["total_chars"] == len(page["text"]) > 3_000
    assert page["text"].startswith("Under the Public Official Election Act of the Republic")
    listed = httpx.get(f"{url}/api/sources", timeout=HTTP_TIMEOUT).json()["documents"]
    entry = next(d for d in listed if d["doc_id"] == PRACTICE)
    assert page["document"] | {"chunks": page["chunks"]} == entry
    document = page["document"]
    assert (document["city"], document["country"], document["year"]) == (
        "Ansan",
        "South Korea",
        2020,
    )
    assert (document["doc_type"], document["language"], page["chunks"]) == (
        "good_practice",
        "en",
        4,
    )
    assert (
        document["url"]
        == "https://www.coe.int/en/web/interculturalcities/-/democratic-citizenship-in-ansan"
    )
    assert document["source"] == PRACTICE and "Education" not in document["topics"]
    assert "Political and public participation" in document["topics"]


def test_reading_from_the_very_end_is_an_empty_last_window(url: str) -> None:
    total = read(url, PRACTICE, limit=1)["total_chars"]
    end = read(url, PRACTICE, offset=total)
    assert end["text"] == "" and end["next_offset"] is None and end["offset"] == total


def test_ids_with_slashes_are_read(serve: Serve, nested_settings: Settings) -> None:
    """A file in a sub-folder and a synced page (its URL is its id) are read by their ids, as
    written or with the slashes percent-encoded."""
    nested = serve(data_dir=nested_settings.data_dir)
    english = read(nested, NESTED_ID)
    assert english["document"]["doc_id"] == NESTED_ID and "600 newcomers" in english["text"]
    assert read(nested, NESTED_ID.replace("/", "%2F")) == english
    french = read(nested, URL_ID)
    assert french["document"]["doc_id"] == URL_ID and french["document"]["language"] == "fr"
    assert french["document"]["city"] == "Neuchâtel"


@pytest.mark.parametrize(
    ("path", "doc_id"),
    [
        ("nope.txt", "nope.txt"),
        (f"{PRACTICE}.bak", f"{PRACTICE}.bak"),
        ("..%2F..%2Fetc%2Fpasswd", "../../etc/passwd"),
        ("%2E%2E%2Fcorpus%2F" + PRACTICE, f"../corpus/{PRACTICE}"),
        (f"%2E%2E/{PRACTICE}", f"../{PRACTICE}"),
        (f"/{PRACTICE}", f"/{PRACTICE}"),
        ("%2Fetc%2Fpasswd", "/etc/passwd"),
        (f"{PRACTICE}%2F..", f"{PRACTICE}/.."),
        ("..%5C..%5Cwindows%5Cwin.ini", "..\\..\\windows\\win.ini"),
        ("%00", "\x00"),
    ],
)
def test_unknown_and_traversal_like_ids_are_404(url: str, path: str, doc_id: str) -> None:
    """An id that is not indexed is 404 naming it and where the ids are listed; a path that
    climbs out of somewhere is just such an id (nothing is read from disk by id)."""
    error = error_of(
        httpx.get(f"{url}/api/documents/{path}", timeout=HTTP_TIMEOUT), 404, "not_found"
    )
    assert repr(doc_id) in error["message"] and "/api/sources" in error["message"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"offset": -1}, "offset"),
        ({"offset": "ten"}, "offset"),
        ({"limit": 0}, "limit"),
        ({"limit": 20_001}, "limit"),
        ({"limit": -5}, "limit"),
        ({"offset": 10_000_000}, "past the end"),
    ],
)
def test_a_bad_offset_or_limit_is_422(url: str, params: dict[str, Any], words: str) -> None:
    response = httpx.get(f"{url}/api/documents/{PRACTICE}", params=params, timeout=HTTP_TIMEOUT)
    assert words in error_of(response, 422, "invalid_request")["message"]


def test_documents_need_a_client_key_when_keys_are_set(serve: Serve) -> None:
    """With ICC_API_KEYS set, reading a document needs a key as search does (401 without)."""
    closed = serve(api_keys=["chat-key"], admin_keys=["admin-key"], rate_limit_per_minute=1000)
    path = f"{closed}/api/documents/{PRACTICE}"
    error_of(httpx.get(path, timeout=HTTP_TIMEOUT), 401, "authentication")
    error_of(
        httpx.get(path, headers={"X-API-Key": "nope"}, timeout=HTTP_TIMEOUT), 401, "authentication"
    )
    error_of(
        httpx.get(f"{closed}/api/documents/nope.txt", timeout=HTTP_TIMEOUT), 401, "authentication"
    )
    for key in ("chat-key", "admin-key"):
        reply = httpx.get(path, headers={"Authorization": f"Bearer {key}"}, timeout=HTTP_TIMEOUT)
        assert reply.status_code == 200 and reply.json()["document"]["doc_id"] == PRACTICE


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
        ({"country": "Switzerland", "language": "en"}, NEUCHATEL[:1]),
    ],
)
def test_sources_are_filtered_like_search(
    many: str, params: dict[str, Any], expected: list[str]
) -> None:
    """Each filter, and filters together, list exactly the documents they match, by doc_id."""
    assert sources(many, **params) == sorted(expected)


def test_filtered_sources_agree_with_the_metadata_they_list(many: str) -> None:
    """A filtered list is the unfiltered list cut down by the same rule, field by field."""
    everything = httpx.get(f"{many}/api/sources", timeout=HTTP_TIMEOUT).json()["documents"]
    assert [d["doc_id"] for d in everything] == sorted(EVERYTHING)
    for field, value in (("doc_type", "good_practice"), ("language", "en"), ("country", "Poland")):
        wanted = [d["doc_id"] for d in everything if d[field] == value]
        assert sources(many, **{field: value}) == wanted and wanted


def test_a_topic_filter_lists_the_documents_tagged_with_it_alone_or_with_others(
    many: str,
) -> None:
    """Topics are decided by meaning at ingest (ingest/describe.py); whatever they are, the
    topic filter lists exactly the documents tagged with it, in any case, and ANDs with the
    other filters."""
    everything = httpx.get(f"{many}/api/sources", timeout=HTTP_TIMEOUT).json()["documents"]
    tagged = Counter(topic for d in everything for topic in d["topics"])
    assert tagged
    for topic, _ in tagged.most_common(3):
        wanted = [d["doc_id"] for d in everything if topic in d["topics"]]
        assert sources(many, topic=topic.upper()) == wanted
        both = [d["doc_id"] for d in everything if topic in d["topics"] and d["city"] == "Ansan"]
        assert sources(many, topic=topic, city="Ansan") == both


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
    listed = error_of(
        httpx.get(f"{many}/api/sources", params=params, timeout=HTTP_TIMEOUT), 422, kind
    )
    found = httpx.get(f"{many}/api/search", params={"q": "welcome", **params}, timeout=30)
    assert words in listed["message"] and listed["message"] == error_of(found, 422, kind)["message"]


# -- The Origin rule for admin changes ---------------------------------------------------------


@pytest.fixture
def admin_url(serve: Serve) -> str:
    return serve(
        own_index=True,
        admin_keys=["admin-key"],
        cors_origins=["https://console.example"],
        rate_limit_per_minute=1000,
    )


def is_indexed(url: str, doc_id: str) -> bool:
    status = httpx.get(f"{url}/api/documents/{doc_id}", timeout=HTTP_TIMEOUT).status_code
    assert status in (200, 404)
    return status == 200


PAGE = b"Back Cycling school in Bergen\n\n2022\n\nBergen runs a free cycling school for newcomers."


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "http://localhost",  # the same machine by another name is another origin
        "https://console.example.evil.example",
        "https://console.example:8443",
        "http://console.example",
    ],
)
def test_admin_changes_from_a_foreign_origin_are_403(admin_url: str, origin: str) -> None:
    """A browser on another site holding the admin key still cannot delete, upload or stop a
    sync: 403 naming the rule, and nothing changed."""
    foreign = {**ADMIN, "Origin": origin}
    error = error_of(
        httpx.delete(
            f"{admin_url}/api/documents/{PRACTICE}", headers=foreign, timeout=HTTP_TIMEOUT
        ),
        403,
        "permission_denied",
    )
    assert "ICC_CORS_ORIGINS" in error["message"] and origin in error["message"]
    assert is_indexed(admin_url, PRACTICE)
    files = {"file": ("bergen.txt", PAGE, "text/plain")}
    posted = httpx.post(f"{admin_url}/api/documents", files=files, headers=foreign, timeout=60)
    error_of(posted, 403, "permission_denied")
    assert not is_indexed(admin_url, "bergen.txt")
    error_of(
        httpx.delete(f"{admin_url}/api/sync", headers=foreign, timeout=HTTP_TIMEOUT),
        403,
        "permission_denied",
    )
    # without a key, too: the Origin is judged before any key
    error_of(
        httpx.delete(
            f"{admin_url}/api/documents/{PRACTICE}",
            headers={"Origin": origin},
            timeout=HTTP_TIMEOUT,
        ),
        403,
        "permission_denied",
    )


def test_only_foreign_origins_are_refused(admin_url: str) -> None:
    """Next to a foreign page's refused change: the service's own origin (the console it
    serves), an ICC_CORS_ORIGINS origin and scripts that send no Origin change documents as
    before; reads, and public routes, are not judged by Origin at all."""
    foreign = {**ADMIN, "Origin": "https://evil.example"}
    refused = httpx.delete(
        f"{admin_url}/api/documents/{PRACTICE}", headers=foreign, timeout=HTTP_TIMEOUT
    )
    error_of(refused, 403, "permission_denied")
    for headers in (
        {**ADMIN, "Origin": admin_url},
        {**ADMIN, "Origin": "https://console.example"},
        ADMIN,
    ):
        added = httpx.post(
            f"{admin_url}/api/documents",
            files={"file": ("bergen.txt", PAGE, "text/plain")},
            headers=headers,
            timeout=60,
        )
        assert added.status_code == 200 and added.json()["status"] == "added", added.text
        assert is_indexed(admin_url, "bergen.txt")
        deleted = httpx.delete(
            f"{admin_url}/api/documents/bergen.txt", headers=headers, timeout=HTTP_TIMEOUT
        )
        assert deleted.status_code == 204, deleted.text
        assert not is_indexed(admin_url, "bergen.txt")
    # nothing to stop is 404, not 403: the Origin passed
    own = {**ADMIN, "Origin": admin_url}
    error_of(
        httpx.delete(f"{admin_url}/api/sync", headers=own, timeout=HTTP_TIMEOUT), 404, "not_found"
    )
    # a GET changes nothing: any Origin may read (the admin key is still needed)
    assert (
        httpx.get(f"{admin_url}/api/feedback", headers=foreign, timeout=HTTP_TIMEOUT).status_code
        == 200
    )
    assert (
        httpx.get(f"{admin_url}/api/sync", headers=foreign, timeout=HTTP_TIMEOUT).status_code == 200
    )
    no_key = {"Origin": "https://evil.example"}
    error_of(
        httpx.get(f"{admin_url}/api/feedback", headers=no_key, timeout=HTTP_TIMEOUT),
        401,
        "authentication",
    )
    # the rule is the admin routes': a page elsewhere may still ask, as the widget does
    reply = httpx.post(
        f"{admin_url}/api/chat",
        json={"question": "What does Ansan do for migrant pupils?"},
        headers=no_key,
        timeout=60,
    )
    assert reply.status_code == 200, reply.text


def test_a_widget_elsewhere_can_read_a_brief_s_file_name(admin_url: str) -> None:
    """CORS exposes Content-Disposition to listed origins (the briefing note's file name), and
    offers no DELETE to any origin."""
    listed = {"Origin": "https://console.example"}
    note = httpx.post(
        f"{admin_url}/api/brief",
        json={"question": "How do cities welcome newcomers?", "format": "docx"},
        headers=listed,
        timeout=60,
    )
    assert note.status_code == 200, note.text
    assert note.headers["content-disposition"].startswith("attachment; filename=")
    exposed = {h.strip().lower() for h in note.headers["access-control-expose-headers"].split(",")}
    assert "content-disposition" in exposed
    preflight = httpx.options(
        f"{admin_url}/api/documents/{PRACTICE}",
        headers={**listed, "Access-Control-Request-Method": "DELETE"},
        timeout=HTTP_TIMEOUT,
    )
    assert "DELETE" not in preflight.headers.get("access-control-allow-methods", "")
