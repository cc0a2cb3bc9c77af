"""The chat widget in Debian's Chromium (Playwright) against the real app on loopback."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from fakes.fake_openai import FakeOpenAIServer
from fixtures.live_server import Serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FRENCH = "Comment les villes organisent-elles des campagnes anti-rumeurs ?"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Ask about intercultural cities").click()


def ask(page: Page, question: str) -> None:
    box = page.get_by_role("textbox")
    box.fill(question)
    box.press("Enter")


def last_answer(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".msg.bot").last


def test_french_question_streams_and_cites(page: Page, serve: Serve, fake_llm: FakeOpenAIServer) -> None:
    """Tokens arrive one by one, then citations; a citation opens its source."""
    url = serve(llm_base_url=fake_llm.url, llm_model="fake-model", llm_max_retries=0,
                rate_limit_per_minute=1000)
    open_widget(page, url)
    page.evaluate("""() => {
        window.__lengths = [];
        const root = document.querySelector('[data-icc-assistant]').shadowRoot;
        new MutationObserver(() => {
            const bot = root.querySelectorAll('.msg.bot');
            if (bot.length) window.__lengths.push(bot[bot.length - 1].innerText.length);
        }).observe(root, {subtree: true, childList: true, characterData: true});
    }""")
    ask(page, FRENCH)
    answer = last_answer(page)
    expect(answer.locator(".sources h3")).to_be_visible(timeout=30_000)
    assert "Answer in French" in answer.inner_text()
    assert len(set(page.evaluate("window.__lengths"))) > 3  # the text grew in steps
    answer.locator("button.cite").first.click()
    source = answer.locator(".source.active")
    expect(source).to_be_focused()
    assert "ANSAN" in source.inner_text().upper()


def test_feedback_reaches_the_store(page: Page, serve: Serve) -> None:
    """Thumbs down with a reason is stored and visible in the admin export."""
    url = serve(own_index=True, admin_keys=["admin-key"], rate_limit_per_minute=1000)
    open_widget(page, url)
    ask(page, "How many elementary schools are there in Ansan?")
    answer = last_answer(page)
    answer.get_by_role("button", name="👎 Not helpful").click(timeout=30_000)
    answer.get_by_role("textbox").fill("Quoted the wrong paragraph")
    answer.get_by_role("button", name="Send feedback").click()
    deadline = time.monotonic() + 10
    items: list[dict[str, object]] = []
    while time.monotonic() < deadline and not items:
        items = httpx.get(f"{url}/api/feedback", headers={"X-API-Key": "admin-key"}).json()["items"]
        time.sleep(0.2)
    assert items[0]["reason"] == "Quoted the wrong paragraph" and items[0]["rating"] == "down"


def test_extractive_mode_answers_without_a_model(page: Page, serve: Serve) -> None:
    """With no model configured the widget shows the extractive, framed answer."""
    url = serve(rate_limit_per_minute=1000)
    open_widget(page, url)
    ask(page, FRENCH)
    answer = last_answer(page)
    expect(answer.locator(".sources h3")).to_be_visible(timeout=30_000)
    assert "Voici ce que disent les documents de l'ICC" in answer.inner_text()


def test_html_in_an_answer_is_shown_as_text(page: Page, serve: Serve, fake_llm: FakeOpenAIServer) -> None:
    """An <img onerror> and a <script> from the model render as text, never as elements."""
    fake_llm.state.reset("html")
    url = serve(llm_base_url=fake_llm.url, llm_model="fake-model", llm_max_retries=0,
                rate_limit_per_minute=1000)
    page.add_init_script("window.__xss = 0; window.alert = () => { window.__xss += 1; };")
    open_widget(page, url)
    ask(page, "How do cities run anti-rumour campaigns?")
    answer = last_answer(page)
    expect(answer.locator(".sources h3")).to_be_visible(timeout=30_000)
    assert '<img src=x onerror="alert(1)">' in answer.inner_text()
    assert answer.locator("img, script").count() == 0
    assert page.evaluate("window.__xss") == 0


def test_arabic_interface_is_right_to_left(browser: Browser, serve: Serve) -> None:
    """data-lang="ar" gives Arabic strings and a right-to-left layout."""
    url = serve(rate_limit_per_minute=1000)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route(f"{url}/ar.html", lambda route: route.fulfill(
        content_type="text/html; charset=utf-8",
        body='<html lang="ar"><body><p>صفحة المدينة</p>'
             '<script src="/widget.js" data-api="" data-lang="ar" defer></script></body></html>'))
    page.goto(f"{url}/ar.html")
    page.get_by_role("button", name="اسأل عن المدن المتعددة الثقافات").click()
    root = page.locator("[data-icc-assistant] > div")  # pierces the open shadow root
    assert page.locator(".panel").get_attribute("aria-label") == "مساعد المدن المتعددة الثقافات"
    assert page.evaluate(
        "getComputedStyle(document.querySelector('[data-icc-assistant]').shadowRoot"
        ".querySelector('.panel')).direction") == "rtl"
    del root
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-arabic.png"))
    context.close()


def test_keyboard_only_flow(page: Page, serve: Serve) -> None:
    """Tab to the launcher, Enter to open, type and Enter to ask, Escape to close."""
    url = serve(rate_limit_per_minute=1000)
    page.goto(url)
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-icc-assistant')"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("textbox")).to_be_focused()
    page.keyboard.type("What does Ansan's Research and Monitoring Unit (RIMU) do?")
    page.keyboard.press("Enter")
    expect(last_answer(page).locator(".sources h3")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("textbox")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Ask about intercultural cities")).to_be_focused()


def test_server_down_shows_error_and_retry(page: Page, serve: Serve) -> None:
    """When the server is unreachable the widget says so and offers a retry."""
    url = serve(rate_limit_per_minute=1000)
    open_widget(page, url)
    page.route("**/api/chat/stream", lambda route: route.abort("connectionrefused"))
    ask(page, FRENCH)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The assistant cannot be reached.")
    expect(alert.get_by_role("button", name="Retry")).to_be_focused()
    page.unroute("**/api/chat/stream")
    alert.get_by_role("button", name="Retry").click()
    expect(last_answer(page).locator(".sources h3")).to_be_visible(timeout=30_000)


def test_conversation_survives_navigation_and_screenshots(browser: Browser, serve: Serve) -> None:
    """The conversation is kept in sessionStorage across pages; desktop and 320 px views."""
    url = serve(rate_limit_per_minute=1000)
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    open_widget(page, url)
    ask(page, "How can a city support schools with many migrant pupils?")
    expect(last_answer(page).locator(".sources h3")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "widget-desktop.png"))
    page.reload()
    page.get_by_role("button", name="Ask about intercultural cities").click()
    assert "migrant pupils" in page.locator(".msg.user").first.inner_text()
    page.set_viewport_size({"width": 320, "height": 640})
    page.screenshot(path=str(ARTIFACTS / "widget-mobile.png"))
    width = page.evaluate(
        "document.querySelector('[data-icc-assistant]').shadowRoot.querySelector('.panel')"
        ".getBoundingClientRect().width")
    assert width <= 320
    page.get_by_role("button", name="New conversation").click()
    assert page.locator(".msg.user").count() == 0
    context.close()
