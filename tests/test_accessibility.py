"""WCAG 2.2 AA for the widget and the console, in Debian's Chromium: axe-core on each state in
both colour schemes, keyboard-only use with visible focus, announcements that do not repeat,
and reflow at 320 px (what 400% zoom of a 1280 px window leaves)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from fixtures.axe import AxeCheck
from fixtures.chromium import ARTIFACTS, BROWSER_MARKS
from fixtures.live_server import ServerThread
from icc_assistant.settings import Settings

pytestmark = BROWSER_MARKS

ADMIN = "a11y-admin-key"
LAUNCHER = "Ask about intercultural cities"
QUESTION = "How do cities run campaigns against rumours?"
SHOTS = ARTIFACTS / "a11y"
SCHEMES = ["light", "dark"]


@pytest.fixture(scope="module")
def app_url(indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on its own copy of the index, extractive, with an admin key."""
    data_dir = tmp_path_factory.mktemp("a11y") / "data"
    shutil.copytree(indexed_settings.data_dir, data_dir)
    update = {
        "data_dir": data_dir,
        "admin_keys": [ADMIN],
        "rate_limit_per_minute": 10_000,
        "gaps_keep_text": True,
    }
    server = ServerThread(indexed_settings.model_copy(update=update)).start()
    yield server.url
    server.stop()


def new_context(browser: Browser, scheme: str, width: int = 1280, **options: Any) -> BrowserContext:
    """A profile in `scheme`; bypass_csp lets axe-core in under the console's policy."""
    return browser.new_context(
        viewport={"width": width, "height": 800},
        color_scheme=scheme,  # type: ignore[arg-type]
        locale=options.pop("locale", "en-US"),
        bypass_csp=True,
        **options,
    )


def described(found: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['targets']} {v['summary']}" for v in found
    )


def assert_no_violations(axe: AxeCheck, page: Page, where: str) -> None:
    found = axe(page)
    assert found == [], f"{where}: {described(found)}"


def ask(page: Page, question: str = QUESTION) -> None:
    box = page.get_by_role("textbox", name="Ask a question in any language")
    box.fill(question)
    box.press("Enter")


def ask_on_a_city_page(page: Page, app_url: str, body: str, question: str) -> None:
    """Open the widget embedded in `body` (a city's page, served at the app's origin) and ask."""
    page.route(
        f"{app_url}/city-page",
        lambda route: route.fulfill(content_type="text/html; charset=utf-8", body=body),
    )
    page.goto(f"{app_url}/city-page")
    page.locator("[data-icc-assistant]").get_by_role("button").first.click()
    box = page.locator("textarea")
    box.fill(question)
    box.press("Enter")


def answered(page: Page) -> Any:
    answer = page.locator(".msg.bot").last
    expect(answer.locator(".tools")).to_be_visible()
    return answer


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_widget_passes_axe_answering_with_sources_open(
    browser: Browser, app_url: str, axe: AxeCheck, scheme: str
) -> None:
    """No WCAG A/AA violation on the widget's page: closed, open, answered, sources open."""
    context = new_context(browser, scheme)
    page = context.new_page()
    page.goto(app_url)
    expect(page.get_by_role("button", name=LAUNCHER)).to_be_visible()
    assert_no_violations(axe, page, "closed")
    page.get_by_role("button", name=LAUNCHER).click()
    expect(page.locator(".starters button").first).to_be_visible()
    assert_no_violations(axe, page, "open, starters")
    ask(page)
    answer = answered(page)
    assert_no_violations(axe, page, "answered")
    answer.locator("button.toggle").click()
    expect(answer.locator(".sources")).to_be_visible()
    assert_no_violations(axe, page, "sources open")
    context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_widgets_error_state_passes_axe(
    browser: Browser, app_url: str, axe: AxeCheck, scheme: str
) -> None:
    """The error shown when the service fails, with its retry button, has no violation."""
    context = new_context(browser, scheme)
    page = context.new_page()

    def fail(route: Route) -> None:
        body = '{"error": {"type": "internal", "message": "Something broke.", "request_id": "x"}}'
        route.fulfill(status=500, content_type="application/json", body=body)

    page.route("**/api/chat/stream", fail)
    page.goto(app_url)
    page.get_by_role("button", name=LAUNCHER).click()
    ask(page)
    expect(page.get_by_role("alert")).to_contain_text("Something broke.")
    assert_no_violations(axe, page, "error")
    context.close()


RTL_PAGE = (
    '<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>المدينة</title>'
    "</head><body><main><h1>صفحة المدينة</h1></main>"
    '<script src="/widget.js" data-api="" data-lang="ar" defer></script></body></html>'
)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_arabic_widget_passes_axe(
    browser: Browser, app_url: str, axe: AxeCheck, scheme: str
) -> None:
    """Right to left, in Arabic, answered with its sources open: no violation."""
    context = new_context(browser, scheme, locale="ar")
    page = context.new_page()
    ask_on_a_city_page(page, app_url, RTL_PAGE, "كيف تدير المدن حملات مكافحة الشائعات؟")
    answer = answered(page)
    answer.locator("button.toggle").click()
    assert_no_violations(axe, page, "Arabic, answered")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"widget-ar-{scheme}.png"))
    context.close()


LTR_PAGE = RTL_PAGE.replace('lang="ar" dir="rtl"', 'lang="en"').replace('data-lang="ar"', "")
# The cells of the answer's score table as laid out: their header's text, the label shown
# beside them (::before), and where the label and the value stand in the cell.
TABLE_CELLS = """() => {
    const root = document.querySelector('[data-icc-assistant]').shadowRoot;
    const table = root.querySelector('.msg.bot:last-of-type table.figures');
    const heads = [...table.tHead.rows[0].cells].map((th) => th.textContent.trim());
    const box = table.getBoundingClientRect();
    return {
        overflow: table.scrollWidth - table.clientWidth,
        direction: getComputedStyle(table).direction,
        cells: [...table.tBodies[0].rows].flatMap((row) => [...row.cells].map((td, i) => {
            const cell = td.getBoundingClientRect();
            const value = (td.firstElementChild || td).getBoundingClientRect();
            return {
                head: heads[i], label: getComputedStyle(td, '::before').content,
                inside: cell.left >= box.left - 1 && cell.right <= box.right + 1
                    && value.right <= box.right + 1 && value.left >= box.left - 1,
                labelOnRight: value.right < cell.right - 40,
                labelOnLeft: value.left > cell.left + 40,
            };
        })),
    };
}"""


def accessible_table(page: Page) -> dict[str, list[str]]:
    """Chromium's own accessibility tree (CDP), as a screen reader gets it: the roles of the
    score table's parts and the names of its column headers and cells."""
    session = page.context.new_cdp_session(page)
    nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    found: dict[str, list[str]] = {}
    for node in nodes:
        role = node.get("role", {}).get("value", "")
        if role in ("table", "row", "columnheader", "cell"):
            found.setdefault(role, []).append(str(node.get("name", {}).get("value", "")))
    return found


@pytest.mark.parametrize(
    ("lang", "scheme", "width", "question"),
    [
        ("en", "light", 400, "How does Ansan score on the ICC Index?"),
        ("en", "dark", 320, "How does Ansan score on the ICC Index?"),
        ("ar", "dark", 320, "ما هي نتائج أنسان في مؤشر المدن المتعددة الثقافات؟"),
        ("ar", "light", 400, "ما هي نتائج أنسان في مؤشر المدن المتعددة الثقافات؟"),
    ],
)
def test_a_score_table_is_read_whole_on_a_narrow_screen(
    browser: Browser, app_url: str, axe: AxeCheck, lang: str, scheme: str, width: int, question: str
) -> None:
    """At 320-400 px the six-column score table becomes one card per row: nothing scrolls
    sideways, every cell shows its column's header beside it (on the right in Arabic), and
    Chromium still gives screen readers a table of rows, column headers and cells whose
    names are the values alone; axe finds no violation."""
    context = new_context(browser, scheme, width=width, locale=lang)
    page = context.new_page()
    ask_on_a_city_page(page, app_url, RTL_PAGE if lang == "ar" else LTR_PAGE, question)
    answered(page)
    laid = page.evaluate(TABLE_CELLS)
    assert laid["overflow"] <= 0 and laid["direction"] == ("rtl" if lang == "ar" else "ltr")
    cells = laid["cells"]
    assert len(cells) >= 12 and all(c["inside"] for c in cells), cells
    assert all(c["head"] and c["head"] in c["label"] for c in cells), cells
    side = "labelOnRight" if lang == "ar" else "labelOnLeft"
    assert all(c[side] for c in cells), cells
    tree = accessible_table(page)
    assert tree.get("table") and len(tree.get("row", [])) >= 3, tree
    assert len(tree["columnheader"]) == 6 and tree["columnheader"][0] == cells[0]["head"]
    assert "Ansan" in tree["cell"] and not any(n.startswith(cells[0]["head"]) for n in tree["cell"])
    assert_no_violations(axe, page, f"score table, {lang}, {scheme}, {width} px")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"widget-scores-{lang}-{scheme}-{width}.png"))
    context.close()


CONSOLE_TABS = ["Documents", "Sync", "Feedback", "Gaps", "Brief"]
UNCOVERED = "Wie viele Geflüchtete hat Porto im Jahr 2023 aufgenommen?"


@pytest.fixture(scope="module")
def recorded(app_url: str) -> str:
    """The app after a question it could not answer and a rating with a reason: the gaps
    page draws its charts and examples, the feedback page its rows."""
    unanswered = httpx.post(f"{app_url}/api/chat", json={"question": UNCOVERED}, timeout=120)
    assert unanswered.json()["status"] == "no_evidence"
    answer = httpx.post(f"{app_url}/api/chat", json={"question": QUESTION}, timeout=120).json()
    rating = {"answer_id": answer["answer_id"], "rating": "down", "reason": "Too general"}
    httpx.post(f"{app_url}/api/feedback", json=rating, timeout=60).raise_for_status()
    return app_url


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_console_page_passes_axe(
    browser: Browser, recorded: str, axe: AxeCheck, scheme: str
) -> None:
    """The sign-in page and each of the five pages, the gaps page with its charts and the
    feedback page with a rating: no violation, in either scheme (every page is checked before
    the test fails, so that one run lists them all)."""
    context = new_context(browser, scheme)
    page = context.new_page()
    page.goto(f"{recorded}/admin")
    expect(page.locator("#admin-key")).to_be_visible()
    found = {"sign-in": axe(page)}
    page.get_by_label("Admin key").fill(ADMIN)
    page.get_by_role("button", name="Sign in").click()
    for name in CONSOLE_TABS:
        page.get_by_role("tab", name=name).click()
        panel = page.get_by_role("tabpanel", name=name)
        expect(panel).to_be_visible()
        page.wait_for_load_state("networkidle")
        if name == "Gaps":
            expect(panel.locator(".bars .bar-row").first).to_be_visible()
        if name == "Feedback":
            expect(panel).to_contain_text("Too general")
        found[name] = axe(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"console-{name.lower()}-{scheme}.png"), full_page=True)
    context.close()
    failing = {where: described(v) for where, v in found.items() if v}
    assert not failing, "\n".join(f"{where}: {text}" for where, text in failing.items())


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_console_s_first_run_passes_axe(
    browser: Browser, indexed_settings: Settings, axe: AxeCheck, scheme: str, tmp_path: Path
) -> None:
    """The sign-in page of a service with no admin key, which says how to set one."""
    settings = indexed_settings.model_copy(update={"data_dir": tmp_path, "admin_keys": []})
    server = ServerThread(settings).start()
    try:
        context = new_context(browser, scheme)
        page = context.new_page()
        page.goto(f"{server.url}/admin")
        expect(page.get_by_role("note")).to_contain_text("ICC_ADMIN_KEYS")
        assert_no_violations(axe, page, "first run")
        context.close()
    finally:
        server.stop()


FOCUS_STATE = """() => {
    let node = document.activeElement;
    while (node && node.shadowRoot && node.shadowRoot.activeElement) {
        node = node.shadowRoot.activeElement;
    }
    if (!node || node === document.body) return null;
    const style = getComputedStyle(node);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    const label = node.getAttribute("aria-label") || node.textContent.trim().slice(0, 40)
        || node.getAttribute("placeholder") || node.tagName;
    return { tag: node.tagName, label, visible: outline || style.boxShadow !== "none" };
}"""


def tab_through(page: Page, presses: int) -> list[dict[str, Any]]:
    """What Tab focuses, press after press, and whether each shows its focus."""
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state:
            seen.append(state)
    return seen


def test_the_widget_is_used_by_keyboard_alone_with_visible_focus(
    browser: Browser, app_url: str
) -> None:
    """Tab reaches the launcher, Enter opens the panel, Enter asks; then Tab reaches every
    control of the answer (citations, sources, copy, brief, ratings), each with a visible
    focus ring, and Escape closes back to the launcher."""
    context = new_context(browser, "light")
    page = context.new_page()
    page.goto(app_url)
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_be_visible()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUS_STATE) and launcher.evaluate("b => b.matches(':focus')"):
            break
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Ask a question in any language")
    expect(box).to_be_focused()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    answered(page)
    seen = tab_through(page, 30)
    labels = " | ".join(s["label"] for s in seen)
    for control in ("Source 1", "Sources (", "Copy", "Markdown", "Helpful", "Not helpful"):
        assert control in labels, labels
    assert all(s["visible"] for s in seen), [s for s in seen if not s["visible"]]
    page.keyboard.press("Escape")
    expect(launcher).to_be_focused()
    context.close()


def test_the_console_is_used_by_keyboard_alone_with_visible_focus(
    browser: Browser, app_url: str
) -> None:
    """The key is typed and sent with Enter; arrow keys move between the tabs; Tab then
    reaches the page's controls, each with a visible focus ring."""
    context = new_context(browser, "light")
    page = context.new_page()
    page.goto(f"{app_url}/admin")
    expect(page.locator("#admin-key")).to_be_focused()
    page.keyboard.type(ADMIN)
    page.keyboard.press("Enter")
    documents = page.get_by_role("tab", name="Documents")
    expect(documents).to_have_attribute("aria-selected", "true")
    documents.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Sync")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("tabpanel", name="Sync")).to_be_visible()
    seen = tab_through(page, 15)
    assert len(seen) >= 8 and all(s["visible"] for s in seen), seen
    context.close()


RECORD_ANNOUNCEMENTS = """() => {
    window.__said = [];
    const root = document.querySelector('[data-icc-assistant]').shadowRoot;
    const live = (node) => {
        for (let n = node; n && n !== root; n = n.parentNode) {
            if (!(n instanceof Element)) continue;
            const polite = n.getAttribute("aria-live");
            if (polite === "off") return null;
            if (polite || ["status", "alert", "log"].includes(n.getAttribute("role"))) return n;
        }
        return null;
    };
    new MutationObserver((changes) => {
        for (const change of changes) {
            const region = live(change.target);
            if (region && region.textContent.trim()) window.__said.push(region.textContent.trim());
        }
    }).observe(root, { childList: true, subtree: true, characterData: true });
}"""


def test_a_streamed_answer_is_announced_once(browser: Browser, app_url: str) -> None:
    """While an answer streams, screen readers are told "searching" once and the answer once
    it is complete: no live region repeats the text as it grows, nor the buttons under it; a
    rating's thanks is said once."""
    context = new_context(browser, "light")
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("button", name=LAUNCHER).click()
    page.evaluate(RECORD_ANNOUNCEMENTS)
    ask(page)
    answer = answered(page)
    answer.get_by_role("button", name="Helpful", exact=True).click()
    expect(answer.get_by_text("Thank you for your feedback.")).to_be_visible()
    page.wait_for_function("() => window.__said.includes('Thank you for your feedback.')")
    said: list[str] = page.evaluate("window.__said")
    assert said.count("Searching the ICC material…") == 1, said
    spoken = [s for s in said if s.startswith("Here is what the ICC material says")]
    assert len(spoken) == 1 and "**" not in spoken[0], said
    assert said.count("Thank you for your feedback.") == 1, said
    assert len(said) == 3, said
    context.close()


@pytest.mark.parametrize("width", [320, 640])
@pytest.mark.parametrize("path", ["/", "/admin"])
def test_nothing_is_lost_at_320_and_640_px(
    browser: Browser, app_url: str, path: str, width: int
) -> None:
    """At 320 px wide (a 1280 px window at 400% zoom) and 640 px (200%) neither the widget
    nor the console scrolls sideways, and the widget's panel fits the screen."""
    context = new_context(browser, "light", width=width)
    page = context.new_page()
    page.goto(app_url + path)
    if path == "/":
        page.get_by_role("button", name=LAUNCHER).click()
        ask(page)
        answered(page).locator("button.toggle").click()
        box = page.locator(".panel").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    else:
        page.get_by_label("Admin key").fill(ADMIN)
        page.get_by_role("button", name="Sign in").click()
        for name in CONSOLE_TABS:
            page.get_by_role("tab", name=name).click()
            expect(page.get_by_role("tabpanel", name=name)).to_be_visible()
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, (name, wide)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, wide
    context.close()


ANIMATIONS = """() => {
    const root = document.querySelector('[data-icc-assistant]').shadowRoot;
    return [...document.getAnimations(), ...root.getAnimations()].length;
}"""


def test_nothing_moves_for_readers_who_ask_for_less_motion(browser: Browser, app_url: str) -> None:
    """With reduced motion asked for, no animation or transition runs in the widget while it
    opens, streams an answer and opens its sources, and the log scrolls without smoothing."""
    context = new_context(browser, "light", reduced_motion="reduce")
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("button", name=LAUNCHER).click()
    counts = [page.evaluate(ANIMATIONS)]
    ask(page)
    counts.append(page.evaluate(ANIMATIONS))
    answer = answered(page)
    answer.locator("button.toggle").click()
    counts.append(page.evaluate(ANIMATIONS))
    assert counts == [0, 0, 0]
    assert page.locator(".log").evaluate("n => getComputedStyle(n).scrollBehavior") == "auto"
    context.close()
