"""Links to the very sentence: text fragments built from quotes, the same in Python (answers,
briefs, the command line) and in JavaScript (the widget), and what Chromium does with them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from playwright.sync_api import Browser

from fixtures.chromium import BROWSER_MARKS
from fixtures.live_server import ServerThread
from icc_assistant.fragments import is_pdf, quote_link, text_directive
from icc_assistant.settings import Settings

CASES = json.loads(
    (Path(__file__).parent / "data" / "text_fragments.json").read_text(encoding="utf-8")
)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[str(n) for n in range(len(CASES))])
def test_python_writes_the_shared_cases(case: dict[str, Any]) -> None:
    """quote_link writes each case of tests/data/text_fragments.json as written there."""
    assert quote_link(case["url"], case["quotes"], **case["options"]) == case["expected"]


def test_a_long_sentence_is_named_by_its_first_and_last_words() -> None:
    """`text=start,end`: four words each, the closing punctuation left out, `-`, `,` and `&`
    percent-encoded (they are the directive's syntax)."""
    sentence = "The anti-rumour network, with members & partners, meets twice a month."
    assert text_directive(sentence) == (
        "text=The%20anti%2Drumour%20network%2C%20with,meets%20twice%20a%20month"
    )


@given(st.text(min_size=1, max_size=200))
def test_a_directive_never_carries_the_syntax_unencoded(sentence: str) -> None:
    """Whatever the quote, its directive's values hold no bare `&`, `,`, `-`, `#` or space,
    and decode back to words of the quote."""
    directive = text_directive(sentence)
    if directive is None:
        return
    values = directive.removeprefix("text=").split(",")
    assert 1 <= len(values) <= 2
    for value in values:
        assert not set(value) & set("&,-# ") and value
        assert all(word in " ".join(sentence.split()) for word in unquote(value).split(" "))


def test_pdfs_get_their_page_or_no_fragment() -> None:
    """A PDF (by address, file name or the Council's document host) gets `#page=N` when the
    page is known, else its plain URL: PDF viewers read no text fragment."""
    assert is_pdf("https://rm.coe.int/ansan/1680a0f5e0") and is_pdf("https://x.org/a", "a.PDF")
    assert not is_pdf("https://www.coe.int/en/web/interculturalcities/-/x", "x.txt")
    assert quote_link("https://x.org/r.pdf", ["A quote."], pdf=True) == "https://x.org/r.pdf"
    assert quote_link("https://x.org/r.pdf", ["A quote."], pdf=True, page=3).endswith("#page=3")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = ServerThread(Settings(data_dir=tmp_path_factory.mktemp("fragments"))).start()
    yield server.url
    server.stop()


def browser_test(test: Any) -> Any:
    """The marks of a test that drives Chromium (fixtures/chromium.py)."""
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


@browser_test
def test_javascript_writes_the_shared_cases(browser: Browser, app_url: str) -> None:
    """web/lib/fragments.js, as the app serves it, writes every shared case as Python does."""
    page = browser.new_page()
    page.goto(f"{app_url}/health")
    written = page.evaluate(
        """async ([url, cases]) => {
            const { quoteLink } = await import(url);
            return cases.map((c) => quoteLink(c.url, c.quotes, c.options));
        }""",
        [f"{app_url}/lib/fragments.js", CASES],
    )
    page.close()
    assert written == [case["expected"] for case in CASES]


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Democratic
citizenship</title></head><body><h1>Democratic citizenship</h1>
<p style="margin-top:3000px">Ansan is a city in South Korea. Foreign residents who have lived in
Ansan for three years [3] can vote in local elections. The council meets every month.</p>
</body></html>"""


@pytest.fixture
def city_page(tmp_path: Path) -> Iterator[str]:
    """A local copy of a city's page, its quoted sentence far below the fold."""
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/page.html"
    server.shutdown()


@browser_test
def test_chromium_scrolls_to_the_quote(browser: Browser, city_page: str) -> None:
    """Opened in Chromium, the link scrolls the page to the quoted sentence (below the fold),
    though the quote left out the page's reference mark between its first and last words."""
    quote = "Foreign residents who have lived in Ansan for three years can vote in local elections."
    page = browser.new_page(viewport={"width": 800, "height": 600})
    page.goto(quote_link(city_page, [quote]))
    page.wait_for_function("() => window.scrollY > 2000")
    page.close()
