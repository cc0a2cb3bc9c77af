"""The chat widget in Debian's Chromium (Playwright) against the real app on loopback."""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Request,
    Route,
    expect,
)

from fakes.fake_openai import FakeOpenAIServer
from fixtures.chroma_server import free_port
from fixtures.chromium import ARTIFACTS, BROWSER_MARKS
from fixtures.live_server import Serve, ServerThread
from fixtures.timeouts import HTTP_TIMEOUT
from icc_assistant.settings import Settings

FRENCH = "Comment les villes luttent-elles contre les rumeurs ?"
ENGLISH = "How can a city support schools with many migrant pupils?"
LAUNCHER = "Ask about intercultural cities"
ADMIN_KEY = "admin-key"
WAIT = 30_000

pytestmark = BROWSER_MARKS


def start_app(settings: Settings) -> Iterator[str]:
    """Run the app with `settings` for as long as the generator is open."""
    server = ServerThread(settings).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def extractive_app(indexed_settings: Settings) -> Iterator[str]:
    """The app with no model configured: answers quote the sources."""
    yield from start_app(indexed_settings.model_copy(update={"rate_limit_per_minute": 1000}))


@pytest.fixture(scope="module")
def model_app(
    indexed_settings: Settings,
    fake_llm_server: FakeOpenAIServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The app with the fake model and an admin key, on its own copy of the data."""
    data_dir = tmp_path_factory.mktemp("widget") / "data"
    shutil.copytree(indexed_settings.data_dir, data_dir)
    settings = indexed_settings.model_copy(
        update={
            "data_dir": data_dir,
            "llm_base_url": fake_llm_server.url,
            "llm_model": "fake-model",
            "llm_max_retries": 0,
            "rate_limit_per_minute": 1000,
            "admin_keys": [ADMIN_KEY],
        }
    )
    yield from start_app(settings)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh English desktop browser profile."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page in the fresh profile."""
    return context.new_page()


def host_page(page: Page, url: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Open `url` as a city's page with `body` as its HTML (the widget still comes from the app)."""

    def fulfil(route: Route) -> None:
        route.fulfill(content_type="text/html; charset=utf-8", body=body, headers=headers or {})

    page.route(url, fulfil)
    page.goto(url)


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=LAUNCHER).click()


def ask(page: Page, question: str) -> None:
    box = page.get_by_role("textbox", name="Ask a question in any language")
    box.fill(question)
    box.press("Enter")


def answered(page: Page) -> Locator:
    """The last answer, once it is complete (its tools are shown only then)."""
    answer = page.locator(".msg.bot").last
    expect(answer.locator(".tools")).to_be_visible(timeout=WAIT)
    return answer


def shadow_eval(page: Page, expression: str) -> object:
    """Evaluate `expression` with `root` bound to the widget's shadow root."""
    return page.evaluate(
        f"() => {{ const root = document.querySelector('[data-icc-assistant]').shadowRoot;"
        f" return {expression}; }}"
    )


def sse(events: Sequence[tuple[str, Mapping[str, object]]]) -> str:
    return "".join(f"event: {name}\r\ndata: {json.dumps(data)}\r\n\r\n" for name, data in events)


def scripted_answer(text: str, citations: list[dict[str, object]]) -> Callable[[Route], None]:
    """A route handler that answers the stream with `text` and `citations`, as the contract says."""
    body = sse(
        [
            ("meta", {"answer_id": "a1", "language": "en", "status": "found", "mode": "model"}),
            *[("token", {"text": text[i : i + 7]}) for i in range(0, len(text), 7)],
            ("citations", {"citations": citations}),
            ("done", {"answer_id": "a1", "status": "answered", "model": "m", "language": "en"}),
        ]
    )
    return lambda route: route.fulfill(content_type="text/event-stream", body=body)


def chat_requests(page: Page) -> list[dict[str, Any]]:
    """The JSON bodies the page posts to the chat stream, recorded as they go."""
    sent: list[dict[str, Any]] = []

    def record(request: Request) -> None:
        if request.url.endswith("/api/chat/stream"):
            sent.append(request.post_data_json or {})

    page.on("request", record)
    return sent


def citation(number: int, url: str | None) -> dict[str, object]:
    return {
        "number": number, "doc_id": "d", "chunk_id": "c", "title": "A <b>title</b>",
        "city": "Ansan", "country": "South Korea", "year": 2020, "doc_type": "report",
        "section": "Education", "url": url, "source": "x.md", "language": "en",
        "quote": 'A quote with <img src=x onerror="window.__xss=1">',
    }  # fmt: skip


def test_french_question_streams_tokens_then_citations(
    page: Page, model_app: str, fake_llm: FakeOpenAIServer
) -> None:
    """A French question's answer grows token by token, in French, then lists its sources."""
    fake_llm.state.chunk_delay = 0.05  # one token every 50 ms, so steps are observable
    open_widget(page, model_app)
    shadow_eval(
        page,
        """(window.__lengths = [], new MutationObserver(() => {
            const body = root.querySelector('.msg.bot .body');
            if (body) window.__lengths.push(body.textContent.length);
        }).observe(root, {subtree: true, childList: true, characterData: true}))""",
    )
    ask(page, FRENCH)
    answer = answered(page)
    assert "Answer in French" in answer.locator(".body").inner_text()
    assert answer.locator(".body").get_attribute("lang") == "fr"
    assert len(set(page.evaluate("window.__lengths"))) > 5  # the text grew in steps
    expect(answer.get_by_role("button", name="Sources (2)")).to_be_visible()


def test_citation_opens_its_source(page: Page, model_app: str, fake_llm: FakeOpenAIServer) -> None:
    """Clicking [1] expands the sources and focuses source 1 with its city, year and quote."""
    open_widget(page, model_app)
    ask(page, ENGLISH)
    answer = answered(page)
    expect(answer.locator(".sources")).to_be_hidden()
    answer.get_by_role("button", name="Source 1", exact=True).click()
    source = answer.locator(".source.active")
    expect(source).to_be_focused()
    text = source.inner_text()
    assert text.startswith("[1] ") and "Ansan" in text and "2020" in text
    assert len(source.locator("blockquote").inner_text()) > 20
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-desktop.png"))


def test_feedback_reaches_the_store(page: Page, model_app: str, fake_llm: FakeOpenAIServer) -> None:
    """Thumbs down with a reason is stored and shows up in the admin export."""
    open_widget(page, model_app)
    ask(page, ENGLISH)
    answer = answered(page)
    answer_id = page.evaluate(
        "JSON.parse(sessionStorage.getItem('icc-assistant:' + location.origin)).at(-1).answer_id"
    )
    answer.get_by_role("button", name="Not helpful").click()
    answer.get_by_role("textbox", name="What was wrong? (optional)").fill("Wrong paragraph")
    answer.get_by_role("button", name="Send feedback").click()
    expect(answer.get_by_text("Thank you for your feedback.")).to_be_visible()
    items = httpx.get(
        f"{model_app}/api/feedback",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        timeout=HTTP_TIMEOUT,
    ).json()["items"]
    mine = [item for item in items if item["answer_id"] == answer_id]
    assert [(m["rating"], m["reason"]) for m in mine] == [("down", "Wrong paragraph")]


def test_extractive_mode_answers_without_a_model(page: Page, extractive_app: str) -> None:
    """With no model configured the widget shows the framed quotes, in French, with sources."""
    open_widget(page, extractive_app)
    ask(page, FRENCH)
    answer = answered(page)
    assert "Voici ce que disent les documents de l'ICC" in answer.locator(".body").inner_text()
    expect(answer.get_by_role("button", name="Sources", exact=False)).to_be_visible()


def test_html_in_an_answer_is_shown_as_text(
    page: Page, model_app: str, fake_llm: FakeOpenAIServer
) -> None:
    """An <img onerror> and a <script> from the model render as text, never as elements."""
    fake_llm.state.reset("html")
    page.add_init_script("window.__xss = 0; window.alert = () => { window.__xss += 1; };")
    open_widget(page, model_app)
    ask(page, ENGLISH)
    answer = answered(page)
    assert '<img src=x onerror="alert(1)">' in answer.locator(".body").inner_text()
    assert answer.locator("img, script").count() == 0
    assert page.evaluate("window.__xss") == 0


def test_hostile_links_and_sources_stay_inert(page: Page, extractive_app: str) -> None:
    """javascript: links in the answer and in a source's URL never become links; HTML stays text."""
    text = "See [this](javascript:alert(1)) and [ok](https://example.org/a) [1]."
    page.route("**/api/chat/stream", scripted_answer(text, [citation(1, "javascript:alert(1)")]))
    page.add_init_script("window.__xss = 0;")
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    answer = answered(page)
    answer.get_by_role("button", name="Source 1", exact=True).click()
    hrefs = answer.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs == ["https://example.org/a"]
    assert "[this](javascript:alert(1))" in answer.inner_text()
    assert "<img src=x" in answer.locator(".source").inner_text()
    assert answer.locator("img, b").count() == 0 and page.evaluate("window.__xss") == 0


def test_links_show_the_host_they_go_to(page: Page, extractive_app: str) -> None:
    """A link whose text names one site but points at another shows the real host beside it."""
    text = "Read [https://www.coe.int/interculturalcities](https://evil.example/login) [1]."
    page.route("**/api/chat/stream", scripted_answer(text, [citation(1, "https://e.org/x")]))
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    link = answered(page).locator(".body a")
    expect(link).to_have_text("https://www.coe.int/interculturalcities (evil.example)")
    assert link.get_attribute("href") == "https://evil.example/login"


def test_markdown_renders_as_elements(page: Page, extractive_app: str) -> None:
    """Paragraphs, bold, italics, bullet and numbered lists become the matching elements."""
    text = "**Bold** and *italic* [1].\n\n- one\n- two\n\n1. first\n2. second\n\nEnd."
    page.route("**/api/chat/stream", scripted_answer(text, [citation(1, "https://e.org/x")]))
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    body = answered(page).locator(".body")
    assert body.locator("strong").inner_text() == "Bold"
    assert body.locator("em").inner_text() == "italic"
    assert body.locator("ul > li").all_inner_texts() == ["one", "two"]
    assert body.locator("ol > li").all_inner_texts() == ["first", "second"]
    assert body.locator("> p").count() == 2


TABLE = (
    "| City | Indicator | Value | Sample | Year | Source |\n|---|---|---|---|---|---|\n"
    "| Ansan | education | 95 | 68 | 2020 | [Ansan report](https://e.org/a) |\n"
    "| Setúbal | aggregate | 61 % | 64 % | 2021 | Setúbal excerpt |\n\nQuotes follow [1]."
)
SHOTS = Path("/tmp/shots-31")


def test_a_markdown_table_renders_as_a_table_with_headers(page: Page, extractive_app: str) -> None:
    """An answer's score table becomes a <table> whose column headers are th scope=col, its
    rows td cells, and the text after it a paragraph."""
    page.route("**/api/chat/stream", scripted_answer(TABLE, [citation(1, "https://e.org/x")]))
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    table = answered(page).locator(".body table")
    headers = table.locator("thead th[scope=col]").all_inner_texts()
    assert headers == ["City", "Indicator", "Value", "Sample", "Year", "Source"]
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    assert rows.first.locator("td").all_inner_texts()[:4] == ["Ansan", "education", "95", "68"]
    assert "|" not in table.inner_text() and "---" not in table.inner_text()
    assert answered(page).locator(".body > p").last.inner_text().startswith("Quotes follow")
    SHOTS.mkdir(exist_ok=True)
    answered(page).screenshot(path=str(SHOTS / "widget-score-table.png"))


def test_arabic_interface_is_right_to_left(browser: Browser, extractive_app: str) -> None:
    """data-lang="ar" gives Arabic strings and a right-to-left panel."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    host_page(
        page,
        f"{extractive_app}/ar.html",
        '<html lang="ar"><body><p>صفحة المدينة</p>'
        '<script src="/widget.js" data-api="" data-lang="ar" defer></script></body></html>',
    )
    page.get_by_role("button", name="اسأل عن المدن المتعددة الثقافات").click()
    box = page.get_by_role("textbox", name="اطرح سؤالك بأي لغة")
    box.fill("كم عدد النساء في مجلس المقيمين الأجانب في أنسان؟")
    box.press("Enter")
    expect(page.locator(".msg.bot .tools")).to_be_visible(timeout=WAIT)
    page.locator(".msg.bot .cite").first.click()
    assert shadow_eval(page, "getComputedStyle(root.querySelector('.panel')).direction") == "rtl"
    panel = page.locator(".panel").bounding_box()
    assert panel is not None and panel["x"] < 640  # anchored to the left edge in RTL
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-arabic.png"))
    context.close()


@pytest.mark.parametrize(
    ("script_lang", "html_lang", "locale", "launcher"),
    [
        ("ko", "en", "en-US", "상호문화도시에 대해 질문하기"),
        ("", "fr-BE", "en-US", "Questions sur les cités interculturelles"),
        ("", "", "de-DE", "Fragen zu interkulturellen Städten"),
        ("", "xx", "xx-XX", LAUNCHER),
    ],
)
def test_interface_language_follows_data_lang_then_page_then_browser(
    browser: Browser,
    extractive_app: str,
    script_lang: str,
    html_lang: str,
    locale: str,
    launcher: str,
) -> None:
    """The UI language is data-lang, else <html lang>, else the browser's, else English."""
    context = browser.new_context(locale=locale)
    page = context.new_page()
    host_page(
        page,
        f"{extractive_app}/lang.html",
        f'<html lang="{html_lang}"><body><script src="/widget.js" data-api=""'
        f' data-lang="{script_lang}" defer></script></body></html>',
    )
    expect(page.get_by_role("button", name=launcher, exact=True)).to_be_visible()
    context.close()


def test_keyboard_only_flow(page: Page, extractive_app: str) -> None:
    """Tab to the launcher, Enter opens, Enter asks, Tab reaches [1], Escape closes."""
    page.goto(extractive_app)
    # The widget mounts once its shared modules (/lib/*.js) are loaded.
    expect(page.get_by_role("button", name=LAUNCHER)).to_be_visible()
    for _ in range(20):
        page.keyboard.press("Tab")
        if shadow_eval(page, "root.activeElement && root.activeElement.className") == "launcher":
            break
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Ask a question in any language")
    expect(box).to_be_focused()
    page.keyboard.type(ENGLISH)
    page.keyboard.press("Enter")
    answered(page)
    expect(box).to_be_focused()
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        if shadow_eval(page, "root.activeElement.className") == "cite":
            break
    page.keyboard.press("Enter")
    expect(page.locator(".source.active")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name=LAUNCHER)).to_be_focused()
    expect(page.locator(".panel")).to_be_hidden()


def test_stop_button_ends_a_stream(page: Page, model_app: str, fake_llm: FakeOpenAIServer) -> None:
    """Stop aborts a stalled answer, keeps what arrived and gives the Send button back."""
    fake_llm.state.reset("stall", delay=20)
    open_widget(page, model_app)
    ask(page, ENGLISH)
    answer = page.locator(".msg.bot").last
    expect(answer.locator(".body")).to_contain_text("Answer", timeout=WAIT)
    page.get_by_role("button", name="Stop").click()
    expect(answer.get_by_text("Stopped.")).to_be_visible()
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_visible()


def test_server_down_shows_error_and_retry(page: Page, indexed_settings: Settings) -> None:
    """When the server has gone away the widget says so, and Retry asks again."""
    server = ServerThread(indexed_settings).start()
    open_widget(page, server.url)
    server.stop()
    ask(page, ENGLISH)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The assistant cannot be reached.", timeout=WAIT)
    expect(alert.get_by_role("button", name="Retry")).to_be_focused()
    alert.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("alert")).to_have_count(1, timeout=WAIT)
    assert page.locator(".msg.user").count() == 1


def test_rate_limit_shows_wait_and_retry(page: Page, serve: Serve) -> None:
    """A 429 from the service says to wait, with the seconds from Retry-After."""
    url = serve(rate_limit_per_minute=2)  # facets + one question
    open_widget(page, url)
    ask(page, ENGLISH)
    answered(page)
    ask(page, FRENCH)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many questions at once", timeout=WAIT)
    expect(alert).to_contain_text(" s)")
    expect(alert.get_by_role("button", name="Retry")).to_be_visible()


def test_conversation_survives_navigation_until_reset(page: Page, extractive_app: str) -> None:
    """The conversation comes back after a reload, and New conversation clears it."""
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    answered(page)
    page.reload()
    expect(page.locator(".msg.user")).to_have_text([ENGLISH])
    expect(page.locator(".msg.bot .tools")).to_have_count(1)
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".msg")).to_have_count(0)
    assert page.evaluate("sessionStorage.getItem('icc-assistant:' + location.origin)") == "[]"


def test_fits_a_320_pixel_screen(browser: Browser, extractive_app: str) -> None:
    """At 320 px the open panel fills the screen without horizontal scrolling."""
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="en-US")
    page = context.new_page()
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    answered(page)
    box = page.locator(".panel").bounding_box()
    assert box is not None and box["x"] >= 0 and box["width"] <= 320
    assert int(str(shadow_eval(page, "root.querySelector('.log').scrollWidth"))) <= 320
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-mobile.png"))
    context.close()


def test_inline_mode_renders_inside_the_target(page: Page, extractive_app: str) -> None:
    """data-mode="inline" puts an open chat in the target element and no launcher."""
    host_page(
        page,
        f"{extractive_app}/inline.html",
        '<html lang="en"><body><h1>City page</h1><div id="chat"></div>'
        '<script src="/widget.js" data-api="" data-mode="inline" data-target="#chat" defer>'
        "</script></body></html>",
    )
    expect(page.locator("#chat .panel")).to_be_visible()
    expect(page.get_by_role("button", name=LAUNCHER)).to_have_count(0)
    ask(page, ENGLISH)
    answered(page)


def test_host_css_and_strict_csp_do_not_break_it(page: Page, extractive_app: str) -> None:
    """Hostile host CSS and a CSP without inline styles leave the widget styled and working."""
    page.route(
        "**/hostile.css",
        lambda route: route.fulfill(
            content_type="text/css",
            body="button{display:none!important}*{color:red!important;font-size:40px!important}",
        ),
    )
    host_page(
        page,
        f"{extractive_app}/strict.html",
        '<html><head><link rel="stylesheet" href="/hostile.css"></head><body>'
        '<script src="/widget.js" data-api="" defer></script></body></html>',
        headers={"Content-Security-Policy": "default-src 'self'; style-src 'self'"},
    )
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_be_visible()
    assert launcher.evaluate("b => getComputedStyle(b).position") == "fixed"
    assert launcher.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    launcher.click()
    ask(page, ENGLISH)
    answered(page)


def test_no_cookies_and_no_third_party_requests(
    context: BrowserContext, page: Page, model_app: str, fake_llm: FakeOpenAIServer
) -> None:
    """A whole session talks only to the service and sets no cookie."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    open_widget(page, model_app)
    ask(page, ENGLISH)
    answered(page).get_by_role("button", name="Helpful", exact=True).click()
    # the visible thanks; the screen readers' copy (role=status) is another element
    expect(page.locator(".log").get_by_text("Thank you for your feedback.")).to_be_visible()
    assert seen and all(url.startswith(model_app + "/") for url in seen)
    assert any(url.endswith("/api/feedback") for url in seen)
    assert context.cookies() == [] and page.evaluate("document.cookie") == ""


def test_filters_come_from_facets_and_reach_the_service(
    page: Page, model_app: str, fake_llm: FakeOpenAIServer
) -> None:
    """The city filter lists the facets, and the chosen city is sent with the question."""
    sent = chat_requests(page)
    open_widget(page, model_app)
    city = page.get_by_role("combobox", name="City")
    expect(city.locator("option")).not_to_have_count(1)
    city.select_option(value="Ansan")
    ask(page, ENGLISH)
    answered(page)
    assert sent[0]["filters"] == {"city": "Ansan"}


def test_starter_question_is_asked_on_click(page: Page, extractive_app: str) -> None:
    """A suggested question is asked when clicked, and the suggestions go away."""
    open_widget(page, extractive_app)
    page.get_by_role("button", name="How do cities run anti-rumour campaigns?").click()
    answered(page)
    expect(page.locator(".msg.user")).to_have_text(["How do cities run anti-rumour campaigns?"])
    expect(page.locator(".starters")).to_have_count(0)


def test_copy_puts_the_answer_on_the_clipboard(
    context: BrowserContext, page: Page, extractive_app: str
) -> None:
    """Copy writes the answer's text to the clipboard and says so."""
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=extractive_app)
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    answer = answered(page)
    answer.get_by_role("button", name="Copy").click()
    expect(answer.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate(
        """async () => {
            const [item] = await navigator.clipboard.read();
            const read = async (type) => (await item.getType(type)).text();
            const plain = await read("text/plain");
            return { types: item.types, plain, html: await read("text/html") };
        }"""
    )
    assert {"text/plain", "text/html"} <= set(copied["types"])
    plain, html = copied["plain"], copied["html"]
    assert plain.startswith("Here is what the ICC material says")
    assert "**" not in plain and "](" not in plain and "(www.coe.int)" not in plain
    sources = plain.split("\n\nSources:\n", 1)[1].splitlines()
    assert sources and all(line.startswith(f"[{n}] ") for n, line in enumerate(sources, 1))
    assert all(re.search(r" — https://www\.coe\.int/\S+#:~:text=\S+$", line) for line in sources)
    assert "**" not in html and "](" not in html and "<strong>" in html and "<button" not in html
    assert re.search(r'<a href="https://www\.coe\.int/[^"]+#:~:text=', html)


def test_quotes_carry_their_language_and_sources_open_their_page(
    page: Page, extractive_app: str
) -> None:
    """A French question's English quotes are marked lang=en with a badge; a source's title is
    a link to its public page."""
    open_widget(page, extractive_app)
    ask(page, FRENCH)
    answer = answered(page)
    quotes = answer.locator(".body li.quote")
    expect(quotes.first).to_be_visible()
    assert set(quotes.evaluate_all("items => items.map(li => li.lang)")) == {"en"}
    assert set(quotes.evaluate_all("items => items.map(li => li.dir)")) == {"auto"}
    expect(quotes.first.locator(".lang")).to_have_text("EN")
    answer.get_by_role("button", name="Sources", exact=False).click()
    link = answer.locator(".source a").first
    assert (link.get_attribute("href") or "").startswith("https://www.coe.int/")
    assert link.get_attribute("target") == "_blank"


def test_a_new_question_comes_into_view_wherever_the_reader_was(
    page: Page, extractive_app: str
) -> None:
    """Scrolled up to re-read the first answer, the reader still sees the next question."""
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    answered(page)
    shadow_eval(page, "(root.querySelector('.log').scrollTop = 0, true)")
    ask(page, "How can foreign residents take part in local decisions?")
    answered(page)
    expect(page.locator(".msg.user").last).to_be_in_viewport()


def test_follow_up_sends_the_earlier_turn_as_history(page: Page, extractive_app: str) -> None:
    """The second question carries the first question and answer as history."""
    sent = chat_requests(page)
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    answered(page)
    ask(page, "And in Ansan?")
    expect(page.locator(".msg.bot .tools")).to_have_count(2, timeout=WAIT)
    history = sent[1]["history"]
    assert isinstance(history, list) and [turn["role"] for turn in history] == ["user", "assistant"]
    assert history[0]["content"] == ENGLISH and "ICC material" in history[1]["content"]


def test_streaming_answer_is_marked_busy_for_screen_readers(
    page: Page, model_app: str, fake_llm: FakeOpenAIServer
) -> None:
    """While tokens stream the live log is aria-busy, so it is read out once, when complete."""
    fake_llm.state.reset("stall", delay=20)
    open_widget(page, model_app)
    ask(page, ENGLISH)
    log = page.get_by_role("log")
    expect(page.locator(".msg.bot .body")).to_contain_text("Answer", timeout=WAIT)
    expect(log).to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("status")).to_have_text("Searching the ICC material…")
    page.get_by_role("button", name="Stop").click()
    expect(log).to_have_attribute("aria-busy", "false")


CONTRAST = """(selectors) => {
  const root = document.querySelector('[data-icc-assistant]').shadowRoot;
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (node) => {
    for (; node; node = node.parentElement || node.getRootNode().host) {
      const c = getComputedStyle(node).backgroundColor;
      if (rgb(c)[3] !== 0) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  return selectors.map((s) => {
    const node = root.querySelector(s);
    const [a, b] = [lum(getComputedStyle(node).color), lum(background(node))];
    return [s, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}"""


def test_text_contrast_meets_wcag_aa(page: Page, extractive_app: str) -> None:
    """Every kind of text in the widget has a contrast ratio of at least 4.5:1."""
    open_widget(page, extractive_app)
    ask(page, ENGLISH)
    answered(page).get_by_role("button", name="Source 1", exact=True).first.click()
    selectors = [
        ".launcher", "header h2", "header button", ".filters label", ".user", ".body p",
        ".cite", ".toggle", ".source .t", ".source .m", ".source blockquote", ".tools button",
        ".reason button", ".compose button", "textarea",
    ]  # fmt: skip
    ratios = page.evaluate(CONTRAST, selectors)
    assert [(s, round(r, 1)) for s, r in ratios if r < 4.5] == []


# -- with ICC_API_KEYS set: the widget's token, on a listed origin and on the demo page ---------


class CitySite:
    """A real web site on its own loopback port (another origin) serving one page at /."""

    def __init__(self, html: str) -> None:
        body = html.encode()

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def widget_page(app_url: str) -> str:
    """A city's page that embeds the widget of the service at `app_url`."""
    return (
        f'<html lang="en"><body><h1>City</h1><script src="{app_url}/widget.js" '
        f'data-api="{app_url}" defer></script></body></html>'
    )


@pytest.fixture(scope="module")
def closed_app(indexed_settings: Settings) -> Iterator[tuple[str, CitySite, CitySite]]:
    """The app with a client key, and two city sites: the first is listed, the other not.

    The app's own origin is listed too, so its demo page may use the widget."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    listed, unlisted = CitySite(widget_page(url)), CitySite(widget_page(url))
    settings = indexed_settings.model_copy(
        update={
            "api_keys": ["client-key"],
            "cors_origins": [url, listed.url],
            "rate_limit_per_minute": 1000,
        }
    )
    server = ServerThread(settings, port=port).start()
    yield url, listed, unlisted
    server.stop()
    listed.stop()
    unlisted.stop()


Closed = tuple[str, CitySite, CitySite]


def test_a_listed_origin_s_widget_works_when_keys_are_required(
    page: Page, closed_app: Closed
) -> None:
    """On a page of a listed origin the widget gets a token, answers and sends feedback (each of
    which the service refuses without a key or a token)."""
    _, listed, _ = closed_app
    open_widget(page, listed.url)
    expect(page.get_by_role("combobox", name="City").locator("option")).not_to_have_count(1)
    ask(page, ENGLISH)
    answered(page).get_by_role("button", name="Helpful", exact=True).click()
    # the visible thanks; the screen readers' copy (role=status) is another element
    expect(page.locator(".log").get_by_text("Thank you for your feedback.")).to_be_visible()


def test_an_unlisted_origin_s_widget_is_refused(page: Page, closed_app: Closed) -> None:
    """On a page of an origin not in ICC_CORS_ORIGINS the widget cannot get answers."""
    _, _, unlisted = closed_app
    open_widget(page, unlisted.url)
    ask(page, ENGLISH)
    expect(page.get_by_role("alert")).to_be_visible(timeout=WAIT)
    assert page.locator(".msg.bot .tools").count() == 0


def test_the_demo_page_loads_its_filters_when_keys_are_required(
    page: Page, closed_app: Closed
) -> None:
    """The server's own demo page, its origin listed, fills the city filter and answers."""
    url, _, _ = closed_app
    open_widget(page, url)
    city = page.get_by_role("combobox", name="City")
    expect(city.locator("option")).not_to_have_count(1)
    city.select_option(value="Ansan")
    ask(page, ENGLISH)
    answered(page)


def test_a_one_word_question_is_answered_in_the_interface_language(
    page: Page, extractive_app: str
) -> None:
    """The widget sends its interface language (data-lang="de" in an English browser) as the
    hint, so "anti-rumour", which alone reads as French, is answered in German."""
    sent = chat_requests(page)
    host_page(
        page,
        f"{extractive_app}/de.html",
        '<html><body><script src="/widget.js" data-api="" data-lang="de" defer></script>'
        "</body></html>",
    )
    page.locator("[data-icc-assistant]").get_by_role("button").first.click()
    box = page.get_by_role("textbox")
    box.fill("anti-rumour")
    box.press("Enter")
    answer = answered(page)
    assert sent[0]["language_hint"] == "de"
    assert answer.locator(".body").get_attribute("lang") == "de"


def brief_requests(page: Page) -> list[dict[str, Any]]:
    """The JSON bodies the page posts to /api/brief, recorded as they go."""
    sent: list[dict[str, Any]] = []

    def record(request: Request) -> None:
        if request.url.endswith("/api/brief"):
            sent.append(request.post_data_json or {})

    page.on("request", record)
    return sent


def test_download_brief_saves_markdown_and_word(browser: Browser, extractive_app: str) -> None:
    """An answer's Download brief buttons post the asked question with its filters to
    /api/brief and save the note as .md and .docx; the tools still fit a 375 px screen."""
    shots = ARTIFACTS / "console"
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="en-US", accept_downloads=True
        )
        page = context.new_page()
        posted = brief_requests(page)
        open_widget(page, extractive_app)
        city = page.get_by_role("combobox", name="City")
        expect(city.locator("option")).not_to_have_count(1)
        city.select_option(value="Ansan")
        ask(page, ENGLISH)
        answer = answered(page)
        brief = answer.get_by_role("group", name="Download brief")
        expect(brief).to_be_visible()
        brief.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"widget-brief-{width}.png"))
        assert int(str(shadow_eval(page, "root.querySelector('.log').scrollWidth"))) <= width
        if width == 375:
            context.close()
            continue
        for kind, label, check in (
            ("md", "Markdown", lambda data: data.decode().startswith("# ")),
            ("docx", "Word", lambda data: data[:2] == b"PK"),
        ):
            with page.expect_download(timeout=60_000) as info:
                brief.get_by_role("button", name=f"Download brief: {label}").click()
            download = info.value
            path = download.path()
            assert path is not None and check(Path(path).read_bytes()), kind
            assert download.suggested_filename.endswith("." + kind)
            sent = posted[-1]
            assert (sent["question"], sent["format"]) == (ENGLISH, kind)
            assert sent["filters"] == {"city": "Ansan"} and sent["language_hint"] == "en"
        expect(answer.get_by_role("alert")).to_have_count(0)
        context.close()


JOIN = {
    "question": "How does a city join the Intercultural Cities programme?",
    "answer": "The mayor sends a letter of intent to the ICC secretariat [1].",
    "language": "en",
    "sources": [{"url": "https://www.coe.int/en/web/interculturalcities/join", "title": "Join"}],
    "approved_by": "ICC secretariat",
    "approved_at": "2026-03-12",
}
JOIN_ASKED = {
    "fr": "Comment une ville peut-elle adhérer au programme des Cités interculturelles ?",
    "de": "Wie kann unsere Stadt Mitglied im Programm Interkulturelle Städte werden?",
}


@pytest.fixture
def approved_join(model_app: str) -> Iterator[dict[str, Any]]:
    """An approved answer on how a city joins, stored through the admin API, removed after."""
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    created = httpx.post(f"{model_app}/api/admin/answers", json=JOIN, headers=admin, timeout=60)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    yield body
    gone = httpx.delete(f"{model_app}/api/admin/answers/{body['id']}", headers=admin)
    assert gone.status_code == 204


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_an_approved_answer_is_marked_reviewed_with_its_date(
    browser: Browser,
    model_app: str,
    fake_llm: FakeOpenAIServer,
    approved_join: dict[str, Any],
    lang: str,
) -> None:
    """A paraphrase of an approved question, asked in French or German, shows "Reviewed by the
    ICC secretariat" and the approval date in the interface language, above the approved text
    with its source; a plain answer carries no such mark."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    host_page(
        page,
        f"{model_app}/{lang}.html",
        f'<html lang="{lang}"><body><p>{lang}</p>'
        f'<script src="/widget.js" data-api="" data-lang="{lang}" defer></script></body></html>',
    )
    page.locator("[data-icc-assistant]").wait_for(state="attached")
    page.locator(".launcher").click()
    box = page.locator("textarea")
    box.fill(JOIN_ASKED[lang])
    box.press("Enter")
    answer = answered(page)
    mark = answer.locator(".approved")
    expect(mark).to_be_visible()
    words = {"fr": "Relu par le secrétariat de l'ICC", "de": "Vom ICC-Sekretariat geprüft"}[lang]
    day = page.evaluate(
        f"new Intl.DateTimeFormat('{lang}', {{dateStyle: 'long', timeZone: 'UTC'}})"
        ".format(new Date('2026-03-12T00:00:00Z'))"
    )
    assert mark.inner_text().startswith(words) and mark.inner_text().endswith(" · " + str(day))
    assert {"fr": "12 mars 2026", "de": "12. März 2026"}[lang] in mark.inner_text()
    assert "letter of intent" in answer.locator(".body").inner_text()
    answer.locator(".cite").first.click()
    expect(answer.locator(".source.active")).to_contain_text("coe.int")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"widget-approved-{lang}.png"))
    box.fill(FRENCH)
    box.press("Enter")
    expect(page.locator(".msg.bot")).to_have_count(2)
    plain = answered(page)
    expect(plain.locator(".approved")).to_be_hidden()
    context.close()
