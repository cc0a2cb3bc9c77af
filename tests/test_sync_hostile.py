"""The web sync against a hostile site on loopback (issue 24): what it may not be made to read,
reach, wait for or store, and that one bad link or page does not end a run."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from fakes.counting_embedder import CountingEmbedder
from fakes.fake_openai import FakeOpenAIServer
from fakes.hostile_site import HostileSite, slow_pdf
from fixtures.live_server import ServerThread, upload
from icc_assistant.embeddings import create_embedder
from icc_assistant.errors import ModelUnavailableError, SyncError
from icc_assistant.index import IndexStore
from icc_assistant.settings import Settings
from icc_assistant.sync import SyncJob, SyncOptions, SyncSummary, list_runs
from icc_assistant.sync.job import check_options
from icc_assistant.sync.urls import Scope

PDF = "application/pdf"


@pytest.fixture(scope="module")
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


def hostile_settings(data_dir: Path, **changes: object) -> Settings:
    """Short timeouts, no retries to speak of, and loopback allowed (the site lives there)."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "collection": f"t{uuid.uuid4().hex[:10]}",
        "llm_base_url": None,
        "sync_timeout": 0.5,
        "sync_backoff": 0.05,
        "sync_retries": 1,
        "sync_private_hosts": ["127.0.0.1"],
        "max_file_bytes": 3_000_000,
    }
    return Settings(**{**values, **changes})


def crawl(
    settings: Settings,
    embedder: CountingEmbedder,
    start: str,
    allow: tuple[str, ...] = (),
    **changes: object,
) -> SyncSummary:
    """One sync run from `start`, staying on its host unless `allow` says otherwise."""
    values: dict[str, object] = {
        "urls": (start,),
        "allow": allow or (start.rstrip("/") + "/",),
        "max_pages": 50,
        "delay": 0.0,
    }
    options = SyncOptions.model_validate({**values, **changes})
    return SyncJob(settings, IndexStore.open(settings, embedder), options).run()


@pytest.fixture
def second_site() -> HostileSite:
    site = HostileSite().start()
    yield site  # type: ignore[misc]
    site.stop()


# -- 1. robots.txt is read within limits --------------------------------------------------------


@pytest.mark.parametrize("mode", ["gzip-bomb", "huge"])
def test_a_huge_robots_txt_is_read_only_to_its_first_half_megabyte(
    mode: str, hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A robots.txt of 50 MB (gzip-encoded or not) is read to its first 512 KiB: its opening
    rules are obeyed and the `Disallow: /` at its end is never reached."""
    hostile_site.state.robots = mode
    hostile_site.prepare().state.home_links.append("/private")
    summary = crawl(hostile_settings(tmp_path), embedder, hostile_site.url + "/", dry_run=True)
    assert "/article" in hostile_site.paths() and "/private" not in hostile_site.paths()
    assert summary.counts.fetched == 2 and summary.status == "finished"


def test_a_robots_txt_too_costly_to_apply_stops_the_host(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """500 KB of wildcard rules (a third of a second to test each URL against, outside any
    budget) count as a robots.txt that cannot be applied: nothing else is asked this run."""
    hostile_site.state.robots = "wildcards"
    summary = crawl(hostile_settings(tmp_path), embedder, hostile_site.url + "/", dry_run=True)
    assert hostile_site.paths() == ["/robots.txt"]
    assert summary.counts.robots == 1 and summary.status == "finished"


def test_a_corrupt_robots_txt_stops_the_host(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A robots.txt that says gzip and is not counts as unreachable: nothing else is asked."""
    hostile_site.state.robots = "corrupt-gzip"
    summary = crawl(hostile_settings(tmp_path), embedder, hostile_site.url + "/", dry_run=True)
    assert hostile_site.paths() == ["/robots.txt"]
    assert summary.counts.robots == 1


def test_robots_txt_redirects_are_not_followed_out_of_the_scope(
    hostile_site: HostileSite,
    second_site: HostileSite,
    embedder: CountingEmbedder,
    tmp_path: Path,
) -> None:
    """robots.txt redirecting to another host (here a bomb) is not followed; the host counts
    as unreachable, as RFC 9309 says when the file cannot be had."""
    second_site.prepare().state.robots = "gzip-bomb"
    hostile_site.state.robots = "redirect"
    hostile_site.state.robots_location = f"{second_site.url}/robots.txt"
    summary = crawl(hostile_settings(tmp_path), embedder, hostile_site.url + "/", dry_run=True)
    assert second_site.paths() == []
    assert hostile_site.paths() == ["/robots.txt"] and summary.counts.robots == 1


# -- 7. the sync reaches no internal address ----------------------------------------------------


@pytest.mark.parametrize("spelling", ["127.0.0.1", "2130706433", "[::ffff:127.0.0.1]"])
def test_a_start_page_on_a_loopback_address_is_refused(
    spelling: str, hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """Without ICC_SYNC_PRIVATE_HOSTS a start page on a loopback address, however spelled, is
    a SyncError naming the setting, and the site sees no request."""
    settings = hostile_settings(tmp_path, sync_private_hosts=[])
    start = f"http://{spelling}:{hostile_site.port}/"
    with pytest.raises(SyncError, match="ICC_SYNC_PRIVATE_HOSTS"):
        crawl(settings, embedder, start)
    assert hostile_site.paths() == []


# IPv6 spellings that carry an IPv4 address, or that are not public: NAT64 (well-known and
# local-use prefixes), 6to4, IPv4-compatible, SIIT (IPv4-translated) and site-local.
TRANSITION_ADDRESSES = [
    "[64:ff9b::7f00:1]", "[64:ff9b::a9fe:a9fe]", "[64:ff9b:1::a00:1]", "[2002:7f00:1::1]",
    "[2002:a9fe:a9fe::1]", "[::127.0.0.1]", "[::ffff:0:127.0.0.1]", "[fec0::1]",
]  # fmt: skip


@pytest.mark.parametrize("host", TRANSITION_ADDRESSES)
def test_ipv6_addresses_carrying_a_private_ipv4_one_are_refused(
    host: str, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """An IPv6 address that reaches loopback, cloud metadata or a private network through a
    transition mechanism is judged by the IPv4 address it carries, or refused: a SyncError
    naming ICC_SYNC_PRIVATE_HOSTS before any request."""
    settings = hostile_settings(tmp_path, sync_private_hosts=[])
    with pytest.raises(SyncError, match="ICC_SYNC_PRIVATE_HOSTS"):
        crawl(settings, embedder, f"http://{host}:8080/", allow=(f"http://{host}:8080/",))


@pytest.mark.parametrize("host", ["[64:ff9b::808:808]", "[2002:808:808::1]"])
def test_ipv6_addresses_carrying_a_public_ipv4_one_pass_the_start_check(host: str) -> None:
    """The same mechanisms carrying a public IPv4 address are public (checked, not fetched)."""
    options = SyncOptions(urls=(f"http://{host}/",), max_pages=1, delay=0.0)
    assert check_options(options).allows(f"http://{host}/page")


def test_a_name_resolving_to_loopback_is_refused_when_connecting(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """`localhost` passes the start check (it is a name) but the connection is refused after
    resolution: the run reports why and the site sees no request."""
    settings = hostile_settings(tmp_path, sync_private_hosts=[])
    summary = crawl(settings, embedder, f"http://localhost:{hostile_site.port}/")
    assert hostile_site.paths() == []
    assert summary.errors and "ICC_SYNC_PRIVATE_HOSTS" in summary.errors[0].message
    assert not summary.reached_site


def test_a_redirect_to_an_internal_host_is_refused(
    hostile_site: HostileSite,
    second_site: HostileSite,
    embedder: CountingEmbedder,
    tmp_path: Path,
) -> None:
    """Private hosts are allowed per host:port: a page redirecting to another loopback server,
    even one the scope admits, is refused at the connection."""
    internal = f"http://localhost:{second_site.port}"
    hostile_site.state.home_links.append(f"/redirect-to?url={internal}/secret")
    settings = hostile_settings(tmp_path, sync_private_hosts=[f"127.0.0.1:{hostile_site.port}"])
    summary = crawl(
        settings, embedder, hostile_site.url + "/", allow=(hostile_site.url, internal), dry_run=True
    )
    assert second_site.paths() == []
    assert "/article" in hostile_site.paths()
    assert any(e.url == f"{internal}/secret" for e in summary.errors)


def test_scope_compares_host_and_port_not_text() -> None:
    """A prefix admits its own scheme, host and port only: not a longer host name, another
    port, nor the host's other scheme."""
    scope = Scope.of([], ["https://rm.coe.int", "http://127.0.0.1:8000/docs"])
    assert scope.allows("https://rm.coe.int/report") and scope.allows("https://rm.coe.int:443/x")
    assert not scope.allows("https://rm.coe.int.attacker.example/report")
    assert not scope.allows("https://rm.coe.int:8443/report")
    assert not scope.allows("http://rm.coe.int/report")
    assert scope.allows("http://127.0.0.1:8000/docs/a")
    assert not scope.allows("http://127.0.0.1:80001/docs/a")
    assert not scope.allows("http://127.0.0.1:8001/docs/a")


# -- 2. one bad link does not end the run -------------------------------------------------------


def test_malformed_links_are_skipped_and_counted(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A page linking to `http://[::1]:60245/x`, `http://x:99999/` and `http://a:b:c/`, and a
    page redirecting to one, leave the run finished, with the bad URLs counted."""
    hostile_site.state.home_links += ["/bad-links", "/bad-redirect"]
    summary = crawl(hostile_settings(tmp_path), embedder, hostile_site.url + "/", dry_run=True)
    assert summary.status == "finished" and summary.complete
    assert summary.counts.malformed == 2  # x:99999 is both linked and redirected to
    assert summary.counts.outside == 1  # [::1]:60245 is well formed, elsewhere
    assert {"/article", "/bad-links", "/bad-redirect"} <= set(hostile_site.paths())


@pytest.mark.parametrize("start", ["http://x:99999/", "http://a:b:c/", "http://[::1/"])
def test_a_malformed_start_page_is_a_sync_error(
    start: str, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A start URL urllib cannot read is a SyncError (422 from the API), not a crash."""
    with pytest.raises(SyncError, match="well-formed"):
        crawl(hostile_settings(tmp_path), embedder, start, allow=("http://x/",))


def test_the_api_answers_a_bad_or_internal_start_page_with_422(tmp_path: Path) -> None:
    """POST /api/sync with an IPv6 loopback, a malformed or a decimal-loopback start page is a
    422 naming the problem, not a 500, and starts nothing."""
    settings = hostile_settings(tmp_path, admin_keys=["admin-key"], sync_private_hosts=[])
    server = ServerThread(settings).start()
    admin = {"Authorization": "Bearer admin-key"}
    try:
        for start, problem in (
            ("http://[::1]:60245/x", "ICC_SYNC_PRIVATE_HOSTS"),
            ("http://x:99999/", "well-formed"),
            ("http://a:b:c/", "well-formed"),
            ("http://2130706433/", "ICC_SYNC_PRIVATE_HOSTS"),
        ):
            response = httpx.post(f"{server.url}/api/sync", json={"urls": [start]}, headers=admin)
            assert response.status_code == 422, (start, response.text)
            assert problem in response.json()["error"]["message"]
        assert httpx.get(f"{server.url}/api/sync", headers=admin).json()["runs"] == []
    finally:
        server.stop()


# -- 3. no fetch and no pause lasts for ever ----------------------------------------------------


def test_a_dripping_response_ends_at_the_total_deadline(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A body dripping a byte every 0.2 s (each read within the 0.5 s timeout, 20 s in all)
    is abandoned at three timeouts and not retried."""
    hostile_site.state.home_links.append("/drip")
    summary = crawl(hostile_settings(tmp_path), embedder, hostile_site.url + "/", dry_run=True)
    assert [e.message for e in summary.errors] == ["no complete answer within 1.5 s"]
    assert hostile_site.paths().count("/drip") == 1


def test_a_huge_crawl_delay_is_capped(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """`Crawl-delay: 100000` waits ICC_SYNC_MAX_CRAWL_DELAY seconds between requests, not 28 h."""
    hostile_site.state.robots = "crawl-delay"
    settings = hostile_settings(tmp_path, sync_max_crawl_delay=0.2)
    stop = threading.Event()
    options = SyncOptions(urls=(hostile_site.url + "/",), max_pages=10, delay=0.0, dry_run=True)
    job = SyncJob(settings, IndexStore.open(settings, embedder), options, stop=stop)
    done: list[SyncSummary] = []
    thread = threading.Thread(target=lambda: done.append(job.run()))
    thread.start()
    thread.join(20)
    stop.set()  # frees a run parked for the Crawl-delay, so that a failure ends
    thread.join(10)
    assert done and done[0].status == "finished" and done[0].counts.fetched == 2


def test_an_admin_can_stop_a_running_sync(hostile_site: HostileSite, tmp_path: Path) -> None:
    """DELETE /api/sync (admin) stops a run parked on a long Crawl-delay: it is recorded as
    interrupted and the next POST starts at once instead of 409."""
    hostile_site.state.robots = "crawl-delay"
    settings = hostile_settings(
        tmp_path, admin_keys=["admin-key"], api_keys=["chat-key"], rate_limit_per_minute=10_000
    )
    server = ServerThread(settings).start()
    admin = {"Authorization": "Bearer admin-key"}
    try:
        body = {"urls": [hostile_site.url + "/"], "delay": 0}
        started = httpx.post(f"{server.url}/api/sync", json=body, headers=admin)
        assert started.status_code == 202, started.text
        chat = {"Authorization": "Bearer chat-key"}
        assert httpx.delete(f"{server.url}/api/sync", headers=chat).status_code == 403
        stopping = httpx.delete(f"{server.url}/api/sync", headers=admin)
        assert stopping.status_code == 202, stopping.text
        run = wait_for_run(server.url, admin, started.json()["run_id"])
        assert run["status"] == "interrupted"
        again = httpx.post(f"{server.url}/api/sync", json=body, headers=admin)
        assert again.status_code == 202, again.text
        assert httpx.delete(f"{server.url}/api/sync", headers=admin).status_code == 202
        wait_for_run(server.url, admin, again.json()["run_id"])
        assert httpx.delete(f"{server.url}/api/sync", headers=admin).status_code == 404
    finally:
        server.stop()


def test_the_service_keeps_no_record_of_ended_runs(
    hostile_site: HostileSite, tmp_path: Path
) -> None:
    """Each POST /api/sync kept its run's thread and stop event for the service's life; a
    service syncing every night holds only the run going on (issue 30)."""
    settings = hostile_settings(tmp_path, admin_keys=["admin-key"], rate_limit_per_minute=1000)
    server = ServerThread(settings).start()
    admin = {"Authorization": "Bearer admin-key"}
    body = {"urls": [hostile_site.url + "/"], "delay": 0}
    try:
        for _ in range(3):
            started = httpx.post(f"{server.url}/api/sync", json=body, headers=admin)
            assert started.status_code == 202, started.text
            assert wait_for_run(server.url, admin, started.json()["run_id"])["status"] == "finished"
        assert len(server.server.config.app.state.sync_runs) <= 1
    finally:
        server.stop()


def wait_for_run(url: str, headers: dict[str, str], run_id: int) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = httpx.get(f"{url}/api/sync", headers=headers).json()["runs"]
        run: dict[str, object] = next(r for r in runs if r["run_id"] == run_id)
        if run["status"] != "running":
            return run
        time.sleep(0.1)
    raise AssertionError("the sync did not end")


# -- 4. parsing is bounded in time, in the sync and on upload -----------------------------------


def test_a_page_nested_too_deep_is_refused_before_its_links_are_read(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """Markup 2,000 elements deep is an error before any parser meets it: the link inside it
    is never followed."""
    hostile_site.state.home_links.append("/nested")
    summary = crawl(hostile_settings(tmp_path), embedder, hostile_site.url + "/", dry_run=True)
    assert "/nested" in hostile_site.paths() and "/secret" not in hostile_site.paths()
    assert [e.url for e in summary.errors] == [hostile_site.url + "/nested"]
    assert "nests its markup" in summary.errors[0].message


def test_self_closed_nesting_is_refused_before_its_links_are_read(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """`<div/>` 40,000 times nests 40,000 deep (the slash means nothing on an HTML element):
    refused at once, not parsed for seconds and indexed (issue 30, finding 6)."""
    hostile_site.state.nested_style, hostile_site.state.nested_depth = "self-closing", 40_000
    hostile_site.state.home_links.append("/nested")
    summary = crawl(hostile_settings(tmp_path), embedder, hostile_site.url + "/", dry_run=True)
    assert "/nested" in hostile_site.paths() and "/secret" not in hostile_site.paths()
    assert [e.url for e in summary.errors] == [hostile_site.url + "/nested"]
    assert "nests its markup" in summary.errors[0].message


def test_a_pdf_slow_to_parse_is_stopped_at_the_budget_in_a_sync(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A 400 KB PDF of `q Q` operators (seconds of parsing) is refused at
    ICC_MAX_PARSE_SECONDS; the rest of the site is indexed."""
    hostile_site.state.home_links.append("/slow.pdf")
    settings = hostile_settings(tmp_path, max_parse_seconds=0.5)
    summary = crawl(settings, embedder, hostile_site.url + "/", dry_run=True)
    assert [e.url for e in summary.errors] == [hostile_site.url + "/slow.pdf"]
    assert "takes over 0.5 s to parse" in summary.errors[0].message
    assert summary.counts.added == 1  # the article


def test_a_pdf_slow_to_parse_is_refused_on_upload(tmp_path: Path) -> None:
    """The same PDF uploaded is a 413 naming ICC_MAX_PARSE_SECONDS, and the service answers
    the next request at once."""
    settings = hostile_settings(tmp_path, admin_keys=["admin-key"], max_parse_seconds=0.5)
    server = ServerThread(settings).start()
    try:
        response = upload(server.url, "admin-key", "report.pdf", slow_pdf(100_000), PDF)
        assert response.status_code == 413, response.text
        assert "ICC_MAX_PARSE_SECONDS" in response.json()["error"]["message"]
        assert httpx.get(f"{server.url}/health", timeout=2).status_code == 200
    finally:
        server.stop()


# -- 5. the crawl queue is bounded --------------------------------------------------------------


def test_a_page_of_endless_links_fills_no_more_than_the_run_can_visit(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """Pages of 1,000 links each leading to more: with --max-pages 5 and a cap of 50 links
    a page, the frontier never holds more than 5 URLs, each page keeps at most 50 links, the
    rest are counted dropped, and the run is not complete."""
    hostile_site.state.home_links.append("/links/a")
    settings = hostile_settings(tmp_path, sync_max_links_per_page=50)
    rows: list[int] = []
    options = SyncOptions(urls=(hostile_site.url + "/",), max_pages=5, delay=0.0)
    job = SyncJob(settings, IndexStore.open(settings, embedder), options)
    summary = job.run(on_progress=lambda _: rows.append(state_rows(settings)["frontier"]))
    assert max(rows) <= 5
    assert state_rows(settings)["links"] <= 5 * 50
    assert summary.counts.dropped > 0 and not summary.complete


def test_finished_runs_leave_no_frontier_rows(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """A finished run's frontier rows are deleted; the runs themselves stay listed."""
    settings = hostile_settings(tmp_path)
    for _ in range(2):
        crawl(settings, embedder, hostile_site.url + "/")
    counts = state_rows(settings)
    assert counts["frontier"] == 0 and counts["runs"] == 2


def state_rows(settings: Settings) -> dict[str, int]:
    """Rows of the sync state's frontier and runs, and the links stored with its pages."""
    with sqlite3.connect(settings.sync_dir / "state.sqlite3") as db:
        frontier = db.execute("SELECT COUNT(*) FROM frontier").fetchone()[0]
        runs = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        links = db.execute("SELECT SUM(json_array_length(links)) FROM pages").fetchone()[0]
    return {"frontier": int(frontier), "runs": int(runs), "links": int(links or 0)}


# -- 8. no single response ends a run, nor every run after it (issue 30) -----------------------

# An odd response linked from the home page, and the count it must land in on every run.
ODD_RESPONSES = {
    "redirect to mailto:": ("/redirect-to?url=mailto:someone@example.org", "malformed"),
    "redirect to tel:": ("/redirect-to?url=tel:%2B33123456789", "malformed"),
    "redirect to data:": ("/redirect-to?url=data:text/html,%3Cp%3Ehi%3C/p%3E", "malformed"),
    "redirect to javascript:": ("/redirect-to?url=javascript:alert(1)", "malformed"),
    "Retry-After: ²": ("/retry-after?value=%C2%B2", "unreadable_retry"),
    "ETag with é": ("/validators?etag=%22caf%C3%A9%22", "bad_validators"),
    "Last-Modified with é": (
        "/validators?modified=Mon,+01+Jan+2024+00:00:00+G%C3%A9T",
        "bad_validators",
    ),
}


@pytest.mark.parametrize("path, counter", ODD_RESPONSES.values(), ids=ODD_RESPONSES.keys())
def test_an_odd_response_is_counted_and_skipped_on_every_run(
    path: str,
    counter: str,
    hostile_site: HostileSite,
    embedder: CountingEmbedder,
    tmp_path: Path,
) -> None:
    """A redirect to a non-web scheme, an unreadable Retry-After or a validator with a
    non-ASCII byte is counted and skipped: the first run and the one after it (which sends the
    validators back) both finish."""
    hostile_site.state.home_links.append(path)
    settings = hostile_settings(tmp_path)
    for run in ("first", "second"):
        summary = crawl(settings, embedder, hostile_site.url + "/")
        assert summary.status == "finished" and summary.complete, (run, summary.errors)
        assert getattr(summary.counts, counter) >= 1, (run, summary.counts)
        assert summary.counts.added + summary.counts.unchanged >= 1  # the article


@pytest.mark.parametrize("path", ["/charset/idna", "/charset/bz2", "/meta-charset/bz2"])
def test_a_charset_naming_no_text_encoding_is_ignored_as_a_browser_ignores_it(
    path: str, hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """Python's codec registry answers to `bz2` or `idna`; a browser knows no such page
    encoding and reads the page as UTF-8. So does the sync, on the first run and the next."""
    hostile_site.state.home_links.append(path)
    settings = hostile_settings(tmp_path)
    for run in ("first", "second"):
        summary = crawl(settings, embedder, hostile_site.url + "/")
        assert summary.status == "finished" and summary.complete, (run, summary.errors)
        assert summary.counts.malformed == 0, (run, summary.counts)
    label = path.rsplit("/", 1)[1]
    with IndexStore.open(settings, embedder).pinned() as catalog:
        titles = {doc.title for doc in catalog.documents.values()}
    assert f"Charset {label}" in titles


def test_robots_txt_redirecting_to_a_non_web_scheme_stops_the_host(
    hostile_site: HostileSite, embedder: CountingEmbedder, tmp_path: Path
) -> None:
    """robots.txt redirecting to `mailto:` counts as unreachable, as any redirect it may not
    follow does: the run finishes and asks nothing else."""
    hostile_site.state.robots = "redirect"
    hostile_site.state.robots_location = "mailto:someone@example.org"
    summary = crawl(hostile_settings(tmp_path), embedder, hostile_site.url + "/", dry_run=True)
    assert summary.status == "finished"
    assert hostile_site.paths() == ["/robots.txt"] and summary.counts.robots == 1


def test_a_failed_run_records_why(
    hostile_site: HostileSite, fake_llm: FakeOpenAIServer, tmp_path: Path
) -> None:
    """A run that fails (here the embeddings endpoint refuses every call, so no page can be
    indexed) is recorded as failed with the reason, which the run list shows."""
    settings = hostile_settings(
        tmp_path,
        embeddings_base_url=fake_llm.url,
        embeddings_model="e5",
        embeddings_max_retries=0,
    )
    fake_llm.state.embedding_failures, fake_llm.state.embedding_status = 1_000, 500
    options = SyncOptions(urls=(hostile_site.url + "/",), max_pages=10, delay=0.0)
    job = SyncJob(settings, IndexStore.open(settings, create_embedder(settings)), options)
    with pytest.raises(ModelUnavailableError):
        job.run()
    (run,) = list_runs(settings)
    assert run.status == "failed"
    assert run.failure and "ModelUnavailableError" in run.failure, run
