"""The admin console (/admin) in Debian's Chromium against the real app and ChromaDB on loopback.

One server for the module (its own copy of the index, an admin and a client key); each test
opens a fresh browser context, so the key held in sessionStorage never leaks between tests.
Screenshots of every page at 1280 and 375 px go to test-artifacts/console/."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from fakes.fake_site import FakeSite
from fixtures.chromium import ARTIFACTS, BROWSER_MARKS
from fixtures.live_server import ServerThread
from fixtures.timeouts import HTTP_TIMEOUT
from icc_assistant.settings import Settings

pytestmark = BROWSER_MARKS

ADMIN = "console-admin-key"
CLIENT = "console-client-key"
WAIT = 30_000
SHOTS = ARTIFACTS / "console"
ROOT = Path(__file__).resolve().parent.parent
# Neither the corpus nor the fake site the sync test crawls covers Porto.
UNCOVERED = "Wie viele Geflüchtete hat Porto im Jahr 2023 aufgenommen?"
TABS = ["Documents", "Sync", "Feedback", "Gaps", "Approved answers", "Brief"]


@pytest.fixture(scope="module")
def app_url(indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on its own copy of the index, with keys, question text kept for the gaps
    report, and loopback allowed for syncing the fake site."""
    data_dir = tmp_path_factory.mktemp("console") / "data"
    shutil.copytree(indexed_settings.data_dir, data_dir)
    settings = indexed_settings.model_copy(
        update={
            "data_dir": data_dir,
            "admin_keys": [ADMIN],
            "api_keys": [CLIENT],
            "rate_limit_per_minute": 10_000,
            "auth_failures_per_minute": 1000,
            "gaps_keep_text": True,
            "sync_private_hosts": ["127.0.0.1"],
            "sync_timeout": 0.5,
            "sync_backoff": 0.05,
            "sync_retries": 1,
        }
    )
    server = ServerThread(settings).start()
    yield server.url
    server.stop()


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


def client_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {CLIENT}"}


class Watch:
    """What went wrong on a page: console errors, uncaught exceptions, CSP violations, and
    requests to anywhere but the app."""

    def __init__(self, page: Page, app: str) -> None:
        self.errors: list[str] = []
        self.elsewhere: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith((app + "/", "blob:")) else self.elsewhere.append(r.url)
            ),
        )
        page.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation',"
            " (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
        )

    def check(self, page: Page) -> None:
        assert self.errors == []
        assert self.elsewhere == []
        assert page.evaluate("window.__csp") == []


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True
    )
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def open_console(page: Page, url: str, query: str = "") -> None:
    page.goto(f"{url}/admin{query}")
    expect(page.locator("#admin-key")).to_be_visible()


def sign_in(page: Page, key: str = ADMIN) -> None:
    page.get_by_label("Admin key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def signed_in(page: Page, url: str) -> None:
    open_console(page, url)
    sign_in(page)
    expect(page.get_by_role("tab", name="Documents")).to_have_attribute("aria-selected", "true")


def tab(page: Page, name: str) -> Locator:
    page.get_by_role("tab", name=name).click()
    panel = page.get_by_role("tabpanel", name=name)
    expect(panel).to_be_visible()
    return panel


def downloaded(page: Page, button: Locator) -> tuple[str, bytes]:
    """Click `button` and return the file name and bytes of the download it starts."""
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    path = download.path()
    assert path is not None
    return download.suggested_filename, Path(path).read_bytes()


def chat(url: str, question: str) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/api/chat", json={"question": question}, headers=client_headers(), timeout=120
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# -- serving and security --------------------------------------------------------------------


def test_first_run_without_an_admin_key_says_how_to_set_one(
    browser: Browser, indexed_settings: Settings, tmp_path: Path
) -> None:
    """On a service with no admin key the sign-in page says so and how to set one; a key tried
    anyway is refused with the same advice, not a bare "Unknown API key"."""
    server = ServerThread(indexed_settings.model_copy(update={"data_dir": tmp_path})).start()
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="en-US")
        open_console(page, server.url)
        note = page.get_by_role("note")
        expect(note).to_contain_text("This service has no admin key yet")
        expect(note).to_contain_text("ICC_ADMIN_KEYS=")
        expect(note).to_contain_text("--admin-key-file")
        shoot(page, "first-run")
        sign_in(page, "a-guess")
        expect(page.locator("#signin-error")).to_have_text(
            "This service has no admin key yet, so the console is locked."
        )
        refused = httpx.get(
            f"{server.url}/api/feedback",
            headers={"Authorization": "Bearer x"},
            timeout=HTTP_TIMEOUT,
        )
        assert "No admin key is set" in refused.json()["error"]["message"]
        page.close()
    finally:
        server.stop()


def test_an_unknown_key_is_told_where_admin_keys_come_from(page: Page, app_url: str) -> None:
    """A key the service does not know is refused with where admin keys are set."""
    open_console(page, app_url)
    expect(page.get_by_role("note")).to_have_count(0)
    sign_in(page, "not-a-key")
    expect(page.locator("#signin-error")).to_contain_text("it is not a known key")
    expect(page.locator("#signin-error")).to_contain_text("--admin-key-file")
    refused = httpx.get(
        f"{app_url}/api/feedback", headers={"Authorization": "Bearer nope"}, timeout=HTTP_TIMEOUT
    )
    assert refused.json()["error"]["message"].startswith("Unknown API key. Admin routes")


def test_the_page_has_a_strict_csp_and_only_whitelisted_modules(app_url: str) -> None:
    """/admin carries a CSP with no inline script, no eval and no framing; /lib serves only
    its listed modules, to any origin; admin calls from another site's page are refused."""
    page = httpx.get(f"{app_url}/admin", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy
    assert "<script>" not in page.text and "style=" not in page.text
    module = httpx.get(
        f"{app_url}/lib/dom.js", headers={"Origin": "https://city.example"}, timeout=HTTP_TIMEOUT
    )
    assert module.status_code == 200 and module.headers["content-type"].startswith(
        "text/javascript"
    )
    assert module.headers["access-control-allow-origin"] == "*"
    assert (
        httpx.get(f"{app_url}/admin.css", timeout=HTTP_TIMEOUT)
        .headers["content-type"]
        .startswith("text/css")
    )
    for name in ("nope", "..%2Fwidget", "console-strings.js"):
        assert httpx.get(f"{app_url}/lib/{name}.js", timeout=HTTP_TIMEOUT).status_code == 404, name
    own = {**admin_headers(), "Origin": app_url}
    missing = f"{app_url}/api/documents/no-such-document.txt"
    assert (
        httpx.delete(missing, headers=own, timeout=HTTP_TIMEOUT).status_code == 404
    )  # past the Origin check
    foreign = {**admin_headers(), "Origin": "https://evil.example"}
    refused = httpx.delete(missing, headers=foreign, timeout=HTTP_TIMEOUT)
    assert refused.status_code == 403 and "evil.example" in refused.json()["error"]["message"]


def test_every_page_loads_with_no_errors_and_nothing_from_elsewhere(
    page: Page, app_url: str
) -> None:
    """Signing in and opening each page logs no error, breaks no CSP rule and requests
    nothing from another host."""
    watch = Watch(page, app_url)
    signed_in(page, app_url)
    for name in TABS:
        tab(page, name)
    expect(page.get_by_role("tabpanel", name="Brief").get_by_label("Question")).to_be_visible()
    page.wait_for_load_state("networkidle")
    watch.check(page)


# -- signing in ------------------------------------------------------------------------------


def test_an_admin_key_unlocks_the_console_for_this_tab_only(
    context: BrowserContext, page: Page, app_url: str
) -> None:
    """The admin key opens the console, is kept in this tab's sessionStorage (a new tab asks
    again), is sent as a Bearer header, and Sign out forgets it."""
    sent: list[str | None] = []
    page.on(
        "request",
        lambda r: sent.append(r.headers.get("authorization")) if "/api/" in r.url else None,
    )
    signed_in(page, app_url)
    expect(page.locator("#panel-documents .doc").first).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('icc-console:key')") == ADMIN
    assert page.evaluate("localStorage.length") == 0 and context.cookies() == []
    assert sent and set(sent) == {f"Bearer {ADMIN}"}
    page.reload()
    expect(page.get_by_role("tab", name="Documents")).to_be_visible()
    other = context.new_page()
    open_console(other, app_url)
    expect(other.get_by_role("tablist")).to_be_hidden()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("You are signed out")
    expect(page.get_by_role("tablist")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('icc-console:key')") is None


@pytest.mark.parametrize(
    ("key", "says"),
    [(CLIENT, "may chat and search, but not administer"), ("wrong-key", "not a known key")],
)
def test_a_refused_key_keeps_the_console_locked(
    page: Page, app_url: str, key: str, says: str
) -> None:
    """A client key (403) or an unknown key (401) is refused with a clear message; nothing
    of the console shows and the key is not kept."""
    open_console(page, app_url)
    sign_in(page, key)
    expect(page.get_by_role("alert")).to_contain_text(says)
    expect(page.get_by_role("tablist")).to_be_hidden()
    expect(page.get_by_role("tabpanel")).to_have_count(0)
    assert page.evaluate("sessionStorage.getItem('icc-console:key')") is None
    expect(page.get_by_label("Admin key")).to_be_focused()


def test_a_key_revoked_during_the_session_locks_the_console(page: Page, app_url: str) -> None:
    """When an admin call is refused later (a key taken out of ICC_ADMIN_KEYS), the console
    locks itself and says why."""
    signed_in(page, app_url)
    page.evaluate(f"sessionStorage.setItem('icc-console:key', {json.dumps(CLIENT)})")
    page.get_by_role("tab", name="Feedback").click()
    expect(page.get_by_role("alert")).to_contain_text("not administer")
    expect(page.get_by_role("tablist")).to_be_hidden()


# -- documents -------------------------------------------------------------------------------

NOTE = b"""# Moonlight reading circles in Vexmoor

The city of Vexmoor runs moonlight reading circles: every Thursday night newcomers and
long-time residents read aloud together in the harbour library, in twelve languages, and
the circles are run by volunteers trained by the city's intercultural office.
"""


def test_upload_ask_then_delete_with_confirmation(page: Page, app_url: str) -> None:
    """A document uploaded in the console is cited by /api/chat; deleting it asks first,
    Cancel keeps it, confirming removes it from the list, the index and the answers."""
    signed_in(page, app_url)
    panel = page.get_by_role("tabpanel", name="Documents")
    panel.get_by_label("File").set_input_files(
        {"name": "vexmoor-reading.md", "mimeType": "text/markdown", "buffer": NOTE}
    )
    panel.get_by_role("button", name="Upload").click()
    expect(panel.get_by_role("status").filter(has_text="vexmoor-reading.md")).to_contain_text(
        "added", timeout=WAIT
    )
    item = panel.locator(".doc", has_text="Moonlight reading circles in Vexmoor")
    expect(item).to_have_count(1)
    doc_id = item.get_attribute("data-doc-id")
    assert doc_id
    question = "How does Vexmoor run its moonlight reading circles?"
    assert doc_id in {c["doc_id"] for c in chat(app_url, question)["citations"]}

    item.get_by_role("button", name="Delete Moonlight reading circles in Vexmoor").click()
    dialog = page.get_by_role("dialog", name="Delete this document?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(doc_id)
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(item).to_have_count(1)
    assert any(d["doc_id"] == doc_id for d in sources(app_url))

    item.get_by_role("button", name="Delete Moonlight reading circles in Vexmoor").click()
    dialog.get_by_role("button", name="Delete it").click()
    expect(dialog).to_be_hidden()
    expect(item).to_have_count(0)
    assert all(d["doc_id"] != doc_id for d in sources(app_url))
    assert doc_id not in {c["doc_id"] for c in chat(app_url, question)["citations"]}


def sources(url: str) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = httpx.get(
        f"{url}/api/sources", headers=admin_headers(), timeout=HTTP_TIMEOUT
    ).json()["documents"]
    return documents


def test_documents_filter_by_city_and_year_then_read_one(page: Page, app_url: str) -> None:
    """Filters go to /api/sources with /api/search's parameter names, the list shows only
    matching documents, and Read shows a document's text window by window."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/sources" in r.url else None)
    signed_in(page, app_url)
    panel = page.get_by_role("tabpanel", name="Documents")
    every = panel.locator(".doc")
    expect(every.first).to_be_visible()
    total = every.count()
    panel.get_by_label("City", exact=True).select_option(value="Ansan")
    panel.get_by_label("Type", exact=True).select_option(value="index_report")
    panel.get_by_label("From year").fill("2000")
    panel.get_by_role("button", name="Apply").click()
    expect(panel.locator(".summary")).not_to_have_text(f"{total} documents")
    assert "city=Ansan" in asked[-1] and "doc_type=index_report" in asked[-1]
    assert "year_from=2000" in asked[-1]
    metas = every.locator(".meta").all_inner_texts()
    assert metas and all("Ansan" in m and "Index report" in m for m in metas), metas
    assert every.count() < total

    first = every.first
    title = first.locator(".doc-title").inner_text()
    first.get_by_role("button", name=f"Read {title}").click()
    reader = panel.get_by_role("region", name=title)
    expect(reader.locator(".doc-text")).to_contain_text("Ansan", timeout=WAIT)
    expect(reader.get_by_role("heading", name=title)).to_be_focused()
    more = reader.get_by_role("button", name="Load more")  # the report is ~98,000 characters
    expect(more).to_be_visible()
    before = reader.locator(".doc-text .part").count()
    more.click()
    expect(reader.locator(".doc-text .part")).to_have_count(before + 1)
    reader.get_by_role("button", name="Close").click()
    expect(reader).to_be_hidden()
    panel.get_by_role("button", name="Clear").click()
    expect(panel.locator(".summary")).to_have_text(f"{total} documents")


def test_an_index_reports_scores_show_on_its_page(page: Page, app_url: str) -> None:
    """Reading an Index report shows the results read from it as a table with a caption and
    column headers: indicator, value, sample, year and the sentence or row each was read
    from, the rows GET /api/scores?doc_id gives; a practice page shows none."""
    report = "ansan-icc-index-analysis-2020.md"
    api = httpx.get(
        f"{app_url}/api/scores", params={"doc_id": report}, headers=client_headers(), timeout=60
    ).json()["rows"]
    signed_in(page, app_url)
    panel = page.get_by_role("tabpanel", name="Documents")
    row = panel.locator(f'.doc[data-doc-id="{report}"]')
    title = row.locator(".doc-title").inner_text()
    row.get_by_role("button", name=f"Read {title}").click()
    reader = panel.get_by_role("region", name=title)
    scores = reader.get_by_role("table", name="Index results read from this report")
    expect(scores).to_be_visible(timeout=WAIT)
    headers = scores.locator("thead th[scope=col]").all_inner_texts()
    assert headers == ["Indicator", "Value", "Sample", "Year", "Read from"]
    assert scores.locator("tbody tr").count() == len(api) > 5
    education = scores.locator("tbody tr", has_text="(education)")
    cells = [c.strip() for c in education.locator("td").all_inner_texts()]
    assert cells[1:4] == ["95", "68", "2020"], cells
    assert "95" in cells[4] and "68" in cells[4]
    shoot(page, "documents-report-scores")
    reader.get_by_role("button", name="Close").click()
    practice = panel.locator('.doc[data-doc-id="ansan-democratic-citizenship.txt"]')
    practice.get_by_role("button").first.click()
    other = panel.locator(".reader")
    expect(other.locator(".doc-text")).to_contain_text("Ansan", timeout=WAIT)
    expect(other.locator("table.scores")).to_have_count(0)


# -- sync, feedback, gaps, brief ---------------------------------------------------------------


def test_sync_page_starts_a_run_and_shows_it_finished(
    page: Page, app_url: str, fake_site: FakeSite
) -> None:
    """Start pages and prefixes typed in start a run (POST /api/sync); the page follows it
    until it has finished and lists it with its counts; Stop is off with nothing running."""
    signed_in(page, app_url)
    panel = tab(page, "Sync")
    panel.get_by_label("Start pages").fill(fake_site.home("en"))
    panel.get_by_label("Stay within these URL prefixes").fill("\n".join(fake_site.allow()))
    panel.get_by_label("Seconds between requests").fill("0")
    panel.get_by_role("button", name="Start sync").click()
    expect(panel.get_by_text(re.compile(r"Sync run \d+ started\."))).to_be_visible()
    run_id = re.search(r"\d+", panel.get_by_text("started.").inner_text())
    assert run_id
    run = panel.get_by_role("article", name=re.compile(rf"^Run {run_id.group()}\b"))
    expect(run.locator(".badge")).to_have_text("finished", timeout=120_000)
    counts = dict(
        zip(run.locator("dt").all_inner_texts(), run.locator("dd").all_inner_texts(), strict=True)
    )
    assert int(counts["Added"]) >= 3 and int(counts["Fetched"]) >= 3, counts
    if int(counts["Errors"]):  # the run's failures are listed with their URL and reason
        run.locator("details summary").click()
        expect(run.locator("details li").first).to_contain_text("http://127.0.0.1")
    expect(run).to_contain_text(fake_site.home("en"))
    expect(panel.get_by_role("button", name="Stop sync")).to_be_disabled()


def test_feedback_is_listed_and_exported_as_json_and_csv(page: Page, app_url: str) -> None:
    """A thumbs-down with its reason shows in the list, and both exports carry it."""
    answer = chat(app_url, "How can a city support schools with many migrant pupils?")
    reason = "Missing the =2024 figures, please"
    httpx.post(
        f"{app_url}/api/feedback",
        json={"answer_id": answer["answer_id"], "rating": "down", "reason": reason},
        headers=client_headers(),
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()
    signed_in(page, app_url)
    panel = tab(page, "Feedback")
    row = panel.locator("tr", has_text=reason)
    expect(row).to_contain_text("Not helpful")
    name, data = downloaded(page, panel.get_by_role("button", name="Download JSON"))
    assert name.startswith("feedback-") and name.endswith(".json")
    items = json.loads(data)["items"]
    assert any(i["reason"] == reason and i["answer_id"] == answer["answer_id"] for i in items)
    name, data = downloaded(page, panel.get_by_role("button", name="Download CSV"))
    text = data.decode()
    assert name.endswith(".csv") and text.startswith("id,created_at,rating,reason,question")
    assert '"Missing the =2024 figures, please"' in text
    expect(panel.get_by_role("status").filter(has_text="Saved")).to_contain_text(name)


def test_gaps_page_charts_an_unanswered_question(page: Page, app_url: str) -> None:
    """After a question the material cannot answer, the gaps page draws bars for the day,
    the city and the language, shows the example, and exports the CSV."""
    assert chat(app_url, UNCOVERED)["status"] == "no_evidence"
    signed_in(page, app_url)
    panel = tab(page, "Gaps")
    columns = panel.locator("svg.chart.columns")
    expect(columns).to_be_visible()
    heights = columns.locator("rect.bar").evaluate_all(
        "bars => bars.map(b => +b.getAttribute('height'))"
    )
    assert heights and max(heights) > 0
    city = panel.locator("section", has=page.get_by_role("heading", name="By city"))
    expect(city.locator(".bars .label", has_text="Porto")).to_have_count(1)
    language = panel.locator("section", has=page.get_by_role("heading", name="By language"))
    expect(language.locator(".bars .label", has_text="de")).to_have_count(1)
    for width in (1280, 375):  # a long topic's name wraps in its column, clear of the bars
        page.set_viewport_size({"width": width, "height": 800})
        for row in panel.locator(".bar-row").all():
            label, track = (
                row.locator(".label").bounding_box(),
                row.locator(".track").bounding_box(),
            )
            assert label and track
            beside = label["x"] + label["width"] <= track["x"] + 0.5
            assert beside or label["y"] + label["height"] <= track["y"] + 0.5, (width, label, track)
    expect(panel.locator(".examples")).to_contain_text("Porto")
    expect(panel.locator(".summary")).to_contain_text("unanswered")
    name, data = downloaded(page, panel.get_by_role("button", name="Download CSV"))
    assert name == "gaps.csv" and "no_evidence" in data.decode() and "Porto" in data.decode()


def test_brief_is_written_and_downloaded_as_markdown_and_word(page: Page, app_url: str) -> None:
    """The brief form posts the question, filters and format; Markdown is saved and shown as
    a preview, Word is a .docx file."""
    posted: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: posted.append(r.post_data_json or {}) if r.url.endswith("/api/brief") else None,
    )
    signed_in(page, app_url)
    panel = tab(page, "Brief")
    panel.get_by_label("Question").fill("How do cities run campaigns against rumours?")
    panel.locator("summary", has_text="Filters").click()
    expect(panel.get_by_label("Type").locator("option")).not_to_have_count(1)
    name, data = downloaded(page, panel.get_by_role("button", name="Write and download"))
    assert name.endswith(".md") and data.decode().startswith("# ")
    preview = panel.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("anti-rumour")
    expect(preview.locator("a[href^='https://']").first).to_be_visible()  # links, not Markdown
    expect(preview).not_to_contain_text("](<")
    expect(preview).not_to_contain_text("\\(")
    assert posted[-1]["format"] == "md" and "filters" not in posted[-1]
    panel.get_by_label("Word (.docx)").check()
    panel.get_by_label("City").select_option(value="Ansan")
    name, data = downloaded(page, panel.get_by_role("button", name="Write and download"))
    assert name.endswith(".docx") and data[:2] == b"PK"
    assert posted[-1]["format"] == "docx" and posted[-1]["filters"] == {"city": "Ansan"}


# -- keyboard, small screens, languages ------------------------------------------------------


def test_keyboard_only_sign_in_and_tabs(page: Page, app_url: str) -> None:
    """The key field has focus; Enter signs in and focuses the first tab; arrows, Home and
    End move between tabs, each showing its panel; Tab enters the panel; focus is visible."""
    open_console(page, app_url)
    expect(page.get_by_label("Admin key")).to_be_focused()
    page.keyboard.type(ADMIN)
    page.keyboard.press("Enter")
    documents = page.get_by_role("tab", name="Documents")
    expect(documents).to_be_focused()
    for name in TABS[1:]:
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("tab", name=name)).to_be_focused()
        expect(page.get_by_role("tabpanel", name=name)).to_be_visible()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
    page.keyboard.press("Home")
    expect(documents).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="Brief")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("tabpanel", name="Brief").get_by_label("Question")).to_be_focused()
    assert page.url.endswith("#brief")


def test_arabic_console_is_right_to_left(browser: Browser, app_url: str) -> None:
    """?lang=ar gives Arabic strings, a right-to-left page, and arrows that follow it; a new
    approved answer defaults to Arabic and an Arabic approver's label."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    open_console(page, app_url, "?lang=ar")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
        "ar",
        "rtl",
    ]
    page.get_by_label("مفتاح الإدارة").fill(ADMIN)
    page.get_by_role("button", name="دخول").click()
    first = page.get_by_role("tab", name="الوثائق")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowLeft")  # the next tab lies to the left in RTL
    expect(page.get_by_role("tab", name="المزامنة")).to_be_focused()
    box, after = first.bounding_box(), page.get_by_role("tab", name="المزامنة").bounding_box()
    assert box and after and after["x"] < box["x"]
    page.get_by_role("tab", name="الوثائق").click()
    expect(page.locator(".doc").first).to_be_visible()
    shoot(page, "arabic-documents-1280")
    page.get_by_role("tab", name="الإجابات المعتمدة").click()
    answers = page.get_by_role("tabpanel", name="الإجابات المعتمدة")
    answers.get_by_role("button", name="إجابة معتمدة جديدة").click()
    expect(answers.get_by_label("اعتمدها")).to_have_value("أمانة برنامج المدن المتعددة الثقافات")
    expect(answers.get_by_label("لغة الإجابة")).to_have_value("ar")
    shoot(page, "arabic-answers-1280")
    context.close()


def test_every_language_has_every_string(page: Page, app_url: str) -> None:
    """The console's table has the widget's 16 languages, each with every English key and
    the same {placeholders}."""
    widget = (ROOT / "web" / "widget.js").read_text(encoding="utf-8")
    widget_languages = re.findall(r"^    (\w\w): \{ title:", widget, flags=re.M)
    open_console(page, app_url)
    table = page.evaluate("async () => (await import('/lib/console-strings.js')).STRINGS")
    assert sorted(table) == sorted(widget_languages) and len(table) == 16
    english = table["en"]
    for lang, strings in table.items():
        assert sorted(strings) == sorted(english), lang
        for key, text in strings.items():
            marks = sorted(re.findall(r"\{\w+\}", text))
            assert marks == sorted(re.findall(r"\{\w+\}", english[key])), (lang, key)
            assert text.strip(), (lang, key)


@pytest.mark.parametrize("width", [1280, 375])
def test_every_page_fits_the_screen(browser: Browser, app_url: str, width: int) -> None:
    """At 1280 and 375 px each page lays out without horizontal scrolling (screenshots are
    saved for review)."""
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-US")
    page = context.new_page()
    open_console(page, app_url)
    shoot(page, f"signin-{width}")
    signed_in(page, app_url)
    for name in TABS:
        panel = tab(page, name)
        if name == "Documents":
            expect(panel.locator(".doc").first).to_be_visible()
        elif name == "Gaps":
            expect(panel.locator(".summary")).to_be_visible()
        elif name == "Feedback":
            expect(panel.locator("table, p.meta").first).to_be_visible()
        elif name == "Sync":
            expect(panel.locator(".runs > *").first).to_be_visible()
        elif name == "Approved answers":
            expect(panel.locator(".summary")).to_contain_text("approved answers")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, (name, overflow)
        shoot(page, f"{name.lower()}-{width}")
    documents = tab(page, "Documents")
    documents.locator(".doc").first.get_by_role("button", name="Delete", exact=False).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shoot(page, f"delete-dialog-{width}")
    context.close()


# -- approved answers ------------------------------------------------------------------------

JOIN_QUESTION = "How does a city join the Intercultural Cities programme?"
JOIN_FRENCH = "Comment une ville peut-elle adhérer au programme des Cités interculturelles ?"
JOIN_ANSWER = "The mayor sends a letter of intent to the ICC secretariat [1]."
JOIN_SOURCE = "https://www.coe.int/en/web/interculturalcities/join"


JOIN = {
    "question": JOIN_QUESTION,
    "answer": JOIN_ANSWER,
    "language": "en",
    "sources": [{"url": JOIN_SOURCE, "title": "Join"}],
    "approved_by": "ICC secretariat",
}


def stored_answers(url: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/admin/answers", headers=admin_headers())
    assert response.status_code == 200, response.text
    answers: list[dict[str, Any]] = response.json()["answers"]
    return answers


@pytest.fixture
def answers_url(app_url: str) -> Iterator[str]:
    """The app with no approved answer, and none left behind for the other tests."""

    def remove_all() -> None:
        for answer in stored_answers(app_url):
            gone = httpx.delete(
                f"{app_url}/api/admin/answers/{answer['id']}", headers=admin_headers()
            )
            assert gone.status_code == 204

    remove_all()
    yield app_url
    remove_all()


def test_an_approved_answer_is_created_served_edited_and_retired(
    page: Page, answers_url: str
) -> None:
    """An answer written in the console is served to a French paraphrase with its source, its
    rating shows beside it, an edit is served, and once retired it is served no more."""
    signed_in(page, answers_url)
    panel = tab(page, "Approved answers")
    expect(panel.locator(".summary")).to_contain_text("0 of 0 approved answers")
    panel.get_by_role("button", name="New approved answer").click()
    form = panel.get_by_role("region", name="New approved answer")
    expect(form.get_by_role("heading", name="New approved answer")).to_be_focused()
    form.get_by_label("Question").fill(JOIN_QUESTION)
    form.get_by_label("Other wordings").fill("How can our city become a member of the ICC?")
    form.get_by_label("Answer", exact=True).fill(JOIN_ANSWER)
    form.get_by_label("Sources").fill(JOIN_SOURCE)
    form.get_by_label("Review by").fill("2030-01-31")
    expect(form.get_by_label("Approved by")).to_have_value("ICC secretariat")
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()
    item = panel.locator(".answer", has_text=JOIN_QUESTION)
    expect(item).to_contain_text("approved by ICC secretariat")
    expect(item).to_contain_text("other wordings: 1")

    served = chat(answers_url, JOIN_FRENCH)
    assert served["approved"]["id"] == item.get_attribute("data-answer-id")
    assert JOIN_ANSWER.replace(" [1]", "") in served["text"].replace(" [1]", "")
    assert served["citations"][0]["url"] == JOIN_SOURCE
    httpx.post(
        f"{answers_url}/api/feedback",
        json={"answer_id": served["answer_id"], "rating": "up"},
        headers=client_headers(),
    ).raise_for_status()
    panel.get_by_role("button", name="Apply").click()
    expect(item.locator(".ratings")).to_have_text("Times served: 1 · helpful: 1 · not helpful: 0")

    item.get_by_role("button", name=f"Edit the answer to {JOIN_QUESTION}").click()
    form = panel.get_by_role("region", name="Edit approved answer")
    expect(form.get_by_label("Sources")).to_have_value(JOIN_SOURCE)
    shoot(page, "answers-edit-1280")
    form.get_by_label("Answer", exact=True).fill(JOIN_ANSWER + " Membership is free.")
    form.get_by_role("button", name="Save").click()
    expect(panel.get_by_role("status").filter(has_text="Saved:")).to_contain_text(JOIN_QUESTION)
    assert "Membership is free." in chat(answers_url, JOIN_FRENCH)["text"]

    item.get_by_role("button", name=f"Retire the answer to {JOIN_QUESTION}").click()
    expect(item).to_contain_text("Retired: not served")
    assert chat(answers_url, JOIN_FRENCH).get("approved") is None
    [stored] = stored_answers(answers_url)
    assert stored["active"] is False and [s["url"] for s in stored["sources"]] == [JOIN_SOURCE]
    shoot(page, "answers-1280")


def test_missing_sources_and_overdue_reviews_are_flagged(page: Page, answers_url: str) -> None:
    """An answer citing a document the index does not hold, past its review-by date, is
    flagged on both counts (one without either is not), its language is kept when edited
    though the console has no Croatian, and the search finds it by a word of its text."""
    draft = {
        "question": "Who is the contact for the national network?",
        "answer": "Write to the national coordinator [1] [2].",
        "language": "hr",
        "sources": [
            {"doc_id": "no-such-document.md"},
            {"doc_id": sources(answers_url)[0]["doc_id"]},
        ],
        "approved_by": "ICC secretariat",
        "approved_at": "2024-01-10",
        "review_by": "2024-06-30",
    }
    for body in (JOIN, draft):
        created = httpx.post(f"{answers_url}/api/admin/answers", json=body, headers=admin_headers())
        assert created.status_code == 201, created.text
    signed_in(page, answers_url)
    panel = tab(page, "Approved answers")
    expect(panel.locator(".answer", has_text=JOIN_QUESTION).locator(".badge")).to_have_count(0)
    item = panel.locator(".answer", has_text=draft["question"])
    expect(item.locator(".badge.failed")).to_have_text(
        "Sources no longer in the index: no-such-document.md"
    )
    expect(item.locator(".badge.interrupted")).to_have_text(
        "Review overdue since Jun 30, 2024 (still served)"
    )
    shoot(page, "answers-flagged-1280")
    item.get_by_role("button", name=f"Edit the answer to {draft['question']}").click()
    form = panel.get_by_role("region", name="Edit approved answer")
    expect(form.get_by_label("Language of the answer")).to_have_value("hr")  # not a UI language
    form.get_by_role("button", name="Cancel").click()
    panel.get_by_label("Search").fill("coordinator")
    panel.get_by_role("button", name="Apply").click()
    expect(panel.locator(".summary")).to_contain_text("1 of 2 approved answers")
    panel.get_by_label("Search").fill("benefits")
    panel.get_by_role("button", name="Apply").click()
    expect(panel.locator(".summary")).to_contain_text("0 of 2 approved answers")
    expect(panel.locator(".answer")).to_have_count(0)


def test_approve_as_answer_from_a_gap_prefills_the_form(page: Page, answers_url: str) -> None:
    """A gap's "Approve as answer" opens the form with its question and language; once saved,
    the gap is shown as answered."""
    assert chat(answers_url, UNCOVERED)["status"] == "no_evidence"
    signed_in(page, answers_url)
    panel = tab(page, "Gaps")
    gap = panel.locator(".examples li", has_text=UNCOVERED).first
    gap.get_by_role("button", name=f"Approve as answer: {UNCOVERED}").click()
    answers = page.get_by_role("tabpanel", name="Approved answers")
    form = answers.get_by_role("region", name="New approved answer")
    expect(form).to_contain_text("From a gap")
    expect(form.get_by_label("Question")).to_have_value(UNCOVERED)
    expect(form.get_by_label("Language of the answer")).to_have_value("de")
    form.get_by_label("Answer", exact=True).fill(
        "Porto hat 2023 rund 1.200 Geflüchtete aufgenommen."
    )
    form.get_by_role("button", name="Save").click()
    expect(answers.locator(".answer", has_text=UNCOVERED)).to_have_count(1)
    panel = tab(page, "Gaps")
    gap = panel.locator(".examples li", has_text=UNCOVERED).first
    expect(gap.locator(".badge")).to_have_text("Answered by an approved answer")


def test_approve_as_answer_from_a_brief_prefills_the_form(page: Page, answers_url: str) -> None:
    """A brief's "Approve as answer" fills the form with its summary and the sources it cites,
    numbered as the summary cites them; the saved answer keeps them."""
    question = "How do cities run anti-rumour campaigns?"
    signed_in(page, answers_url)
    panel = tab(page, "Brief")
    panel.get_by_label("Question").fill(question)
    panel.get_by_role("button", name="Approve as answer").click()
    answers = page.get_by_role("tabpanel", name="Approved answers")
    form = answers.get_by_role("region", name="New approved answer")
    expect(form).to_contain_text("From a briefing note")
    expect(form.get_by_label("Question")).to_have_value(question)
    text = form.get_by_label("Answer", exact=True).input_value()
    lines = form.get_by_label("Sources").input_value().splitlines()
    markers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", text)})
    assert markers == list(range(1, len(lines) + 1)) and lines
    indexed = {d["doc_id"] for d in sources(answers_url)}
    assert all(line.split(" ")[0] in indexed for line in lines)
    form.get_by_role("button", name="Save").click()
    expect(answers.locator(".answer", has_text=question)).to_have_count(1)
    [stored] = stored_answers(answers_url)
    assert len(stored["sources"]) == len(lines) and stored["missing_sources"] == []


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_answers_export_and_import_again(page: Page, answers_url: str, kind: str) -> None:
    """The export downloads every answer; imported into an empty store it brings them back
    under the same ids, and the page says how many were created."""
    created = httpx.post(f"{answers_url}/api/admin/answers", json=JOIN, headers=admin_headers())
    assert created.status_code == 201, created.text
    signed_in(page, answers_url)
    panel = tab(page, "Approved answers")
    expect(panel.locator(".answer")).to_have_count(1)
    label = "Download JSON" if kind == "json" else "Download CSV"
    name, data = downloaded(page, panel.get_by_role("button", name=label))
    assert name.startswith("approved-answers-") and name.endswith("." + kind)
    httpx.delete(
        f"{answers_url}/api/admin/answers/{created.json()['id']}", headers=admin_headers()
    ).raise_for_status()
    panel.get_by_role("button", name="Apply").click()
    expect(panel.locator(".answer")).to_have_count(0)
    panel.locator("input[type=file]").set_input_files(
        {
            "name": name,
            "mimeType": "text/csv" if kind == "csv" else "application/json",
            "buffer": data,
        }
    )
    expect(panel.get_by_role("status").filter(has_text="imported")).to_have_text(
        f"{name} imported: 1 new, 0 updated."
    )
    expect(panel.locator(".answer")).to_have_count(1)
    [stored] = stored_answers(answers_url)
    assert stored["id"] == created.json()["id"] and stored["sources"][0]["title"] == "Join"
