"""The OpenAPI pages (/docs, /redoc) in Debian's Chromium with every request off the host
blocked: their scripts and styles come from the service itself."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from fixtures.chromium import ARTIFACTS, BROWSER_MARKS
from fixtures.live_server import ServerThread
from icc_assistant.settings import Settings

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
WAIT = 30_000

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def app_url(indexed_settings: Settings) -> Iterator[str]:
    """The app with its default settings on the shipped corpus."""
    server = ServerThread(indexed_settings).start()
    yield server.url
    server.stop()


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A page whose requests off the host are aborted, and the list of those it tried."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    blocked: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    yield context.new_page(), blocked
    context.close()


def test_swagger_ui_shows_the_operations_offline(
    offline_page: tuple[Page, list[str]], app_url: str
) -> None:
    """/docs renders every operation from the service's own assets; nothing leaves the host."""
    page, blocked = offline_page
    page.goto(f"{app_url}/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=WAIT)
    expect(page.locator(".opblock-summary-path", has_text="/api/chat/stream")).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/v1/chat/completions")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))
    assert blocked == []


def test_redoc_shows_the_operations_offline(
    offline_page: tuple[Page, list[str]], app_url: str
) -> None:
    """/redoc renders the operations from the service's own assets; nothing leaves the host."""
    page, blocked = offline_page
    page.goto(f"{app_url}/redoc")
    expect(page.get_by_text("/v1/chat/completions").first).to_be_attached(timeout=WAIT)
    expect(page.get_by_role("heading", name="ICC Assistant").first).to_be_visible()
    assert blocked == []
