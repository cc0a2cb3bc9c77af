"""What members ask that the material does not answer: recorded, reported, private, expiring;
and feedback that only rates answers this service gave."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import OpenAI

from fixtures.live_server import NOT_THE_INDEX, Serve
from fixtures.mcp_client import Connect, http_transport
from fixtures.timeouts import HTTP_TIMEOUT
from icc_assistant.feedback import FeedbackStore
from icc_assistant.gaps import Gap, GapStore, scrub
from icc_assistant.settings import Settings
from icc_assistant.signing import AnswerIds

ROOT = Path(__file__).resolve().parent.parent
UNCOVERED_QUESTIONS = ROOT / "tests" / "data" / "uncovered_questions.jsonl"
SCRIPT = Path(sys.executable).parent / "icc-assistant"
ADMIN = {"Authorization": "Bearer admin-key"}
DAY = 86_400.0
NOW = 1_796_241_183.0  # 2026-12-02T19:53:03Z
# Oslo is not in the shipped corpus: the gate stops this question whatever surface asks it.
UNCOVERED = "Welche Sprachkurse bietet Oslo neu angekommenen Familien an?"
CONTACT = "What does Oslo do for refugees? Write to jane.doe@example.org or call +47 22 33 44 55."


def unanswerable_questions() -> list[dict[str, Any]]:
    """Questions about cities the shipped corpus does not cover, in eight languages, each naming
    one city (tests/data: written for the tests, not the evaluation sets' questions, whose
    outcomes bench/eval_answers.py measures)."""
    with UNCOVERED_QUESTIONS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def chat(url: str, question: str, history: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body = {"question": question, "history": history or []}
    response = httpx.post(f"{url}/api/chat", json=body, timeout=120)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def report(url: str, **params: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/admin/gaps", params=params, headers=ADMIN, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def report_csv(url: str) -> str:
    response = httpx.get(
        f"{url}/api/admin/gaps", params={"format": "csv"}, headers=ADMIN, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.text


def rate(url: str, answer_id: str, rating: str = "down", **extra: str) -> httpx.Response:
    body = {"answer_id": answer_id, "rating": rating, **extra}
    return httpx.post(f"{url}/api/feedback", json=body, timeout=60)


def data_dir_of(tmp_path: Path) -> Path:
    """The data directory `serve(own_index=True)` made for the test's first server."""
    return tmp_path / "data0"


def stored_bytes(data_dir: Path) -> bytes:
    """Every byte of the gaps and feedback databases, their WAL and shared-memory files."""
    files = sorted(data_dir.glob("gaps.sqlite3*")) + sorted(data_dir.glob("feedback.sqlite3*"))
    assert any(f.name == "gaps.sqlite3" for f in files), files
    return b"".join(f.read_bytes() for f in files)


def distinctive_word(question: str, recorded: list[str]) -> str:
    """The question's longest word that is not part of a recorded city or topic name."""
    names = " ".join(recorded).casefold()
    words = [w for w in re.findall(r"\w+", question) if w.casefold() not in names]
    return max(words, key=len)


def test_unanswerable_questions_are_reported_by_language_and_city(
    serve: Serve, tmp_path: Path
) -> None:
    """Each unanswerable question asked over HTTP shows up in the report, by language and city."""
    questions = unanswerable_questions()
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    answers = [chat(url, q["question"], q.get("history")) for q in questions]
    assert [a["status"] for a in answers] == ["no_evidence"] * len(questions)
    body = report(url)
    assert body["total"] == len(questions)
    assert body["by_kind"] == {"no_evidence": len(questions), "thumbs_down": 0}
    languages = Counter(q["lang"] for q in questions)
    assert {row["key"]: row["count"] for row in body["by_language"]} == dict(languages)
    assert [row["count"] for row in body["by_language"]] == sorted(languages.values(), reverse=True)
    cities = {row["key"]: row["count"] for row in body["by_city"]}
    assert set(cities) == {q["city"] for q in questions}
    assert sum(cities.values()) == len(questions) and set(cities.values()) == {1}
    assert sum(row["count"] for row in body["by_topic"]) == len(questions)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert body["by_day"] == [{"day": today, "count": len(questions)}]
    assert body["examples"] == [] and body["keeps_text"] is False
    assert body["retention_days"] == 90 and body["since"] is None and body["until"] is None


def test_answered_questions_leave_no_gap(serve: Serve) -> None:
    """A question the material answers is not recorded."""
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    answer = chat(url, "How do cities run campaigns against rumours?")
    assert answer["status"] != "no_evidence"
    assert report(url)["total"] == 0


def test_the_report_counts_only_cities_really_asked_about(serve: Serve) -> None:
    """Questions whose common words are also cities' names (Korean 위해, "for", is a name of
    Weihai; English "Roma" one of Rome) put no such city in the report, whether they were
    answered or not; a question about an uncovered city does; the JSON says which cities were
    not covered beside an answer about a covered one."""
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    for question in (
        "안산시는 이주민을 위해 무엇을 하나요?",
        "How do cities support Roma inclusion?",
        "What budget does Lisbon allocate to intercultural mediation?",
    ):
        chat(url, question)
    both = chat(url, "How does Ansan support migrant children compared with Lisbon?")
    assert both["status"] != "no_evidence" and both["uncovered"] == ["Lisbon"]
    cities = {row["key"] for row in report(url)["by_city"]}
    assert "Lisbon" in cities and not cities & {"Weihai", "Rome"}


def test_every_surface_records_the_gap(serve: Serve, mcp_connect: Connect) -> None:
    """JSON chat, the stream, /v1 (plain and streamed) and MCP each record an unanswered
    question."""
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    chat(url, UNCOVERED)
    with httpx.stream(
        "POST", f"{url}/api/chat/stream", json={"question": UNCOVERED}, timeout=120
    ) as response:
        assert '"status": "no_evidence"' in response.read().decode()
    client = OpenAI(base_url=f"{url}/v1", api_key="unused")
    messages: Any = [{"role": "user", "content": UNCOVERED}]
    client.chat.completions.create(model="icc-assistant", messages=messages)
    list(client.chat.completions.create(model="icc-assistant", messages=messages, stream=True))
    mcp = mcp_connect(http_transport(url, {}))
    assert mcp.result("ask_icc", question=UNCOVERED)["status"] == "no_evidence"
    body = report(url)
    assert body["by_kind"]["no_evidence"] == 5
    assert body["by_city"] == [{"key": "Oslo", "count": 5}]
    assert body["by_language"] == [{"key": "de", "count": 5}]


def test_cli_ask_records_the_gap(tmp_path: Path, indexed_settings: Settings) -> None:
    """`icc-assistant ask` records an unanswered question in its data directory too."""
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_settings.data_dir, data_dir, ignore=NOT_THE_INDEX)
    result = run_cli("ask", UNCOVERED, "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "no_evidence"
    gaps = run_cli("gaps", "--json", data_dir=data_dir)
    assert json.loads(gaps.stdout)["by_city"] == [{"key": "Oslo", "count": 1}]


def test_a_thumbs_down_is_a_gap_with_its_question_analysed(serve: Serve) -> None:
    """A rating "down" is recorded with the language and cities of the question it carries;
    one without a question counts under the language `unknown`."""
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    first, second = (chat(url, "What does Ansan do for schools?") for _ in range(2))
    assert (
        rate(url, first["answer_id"], question="Que fait Ansan pour les écoles ?").status_code
        == 201
    )
    assert rate(url, second["answer_id"]).status_code == 201
    body = report(url)
    assert body["by_kind"] == {"no_evidence": 0, "thumbs_down": 2}
    assert body["by_city"] == [{"key": "Ansan", "count": 1}]
    assert {row["key"] for row in body["by_language"]} == {"fr", "unknown"}


def test_an_answer_has_one_rating_and_a_later_one_replaces_it(serve: Serve) -> None:
    """One genuine answer id rated down again and again, each time with another city's
    question, leaves one rating and one gap, the last; rated up at the end, no gap."""
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    answer_id = chat(url, "What does Ansan do for schools?")["answer_id"]
    for city in ("Oslo", "Lisbon", "Bergen"):
        question = f"What does {city} do for refugees?"
        assert rate(url, answer_id, question=question).status_code == 201
    body = report(url)
    assert body["by_kind"]["thumbs_down"] == 1
    assert body["by_city"] == [{"key": "Bergen", "count": 1}]
    assert rate(url, answer_id, rating="up").status_code == 201
    assert report(url)["by_kind"]["thumbs_down"] == 0
    (item,) = httpx.get(f"{url}/api/feedback", headers=ADMIN, timeout=HTTP_TIMEOUT).json()["items"]
    assert item["answer_id"] == answer_id and item["rating"] == "up"


def test_without_text_retention_no_question_text_reaches_the_disk(
    serve: Serve, tmp_path: Path
) -> None:
    """With ICC_GAPS_KEEP_TEXT off, neither the gaps nor the feedback files hold a question's
    words."""
    questions = unanswerable_questions()
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    for q in questions:
        answer = chat(url, q["question"], q.get("history"))
        assert rate(url, answer["answer_id"], question=q["question"]).status_code == 201
    body = report(url)
    assert body["total"] == 2 * len(questions)
    recorded = [row["key"] for row in body["by_city"] + body["by_topic"]]
    words = [distinctive_word(q["question"], recorded) for q in questions]
    stored = stored_bytes(data_dir_of(tmp_path))
    found = [w for w in words if w.encode("utf-8") in stored]
    assert found == [], f"question words on disk: {found}"


def test_a_topic_filter_of_free_text_does_not_reach_the_disk(serve: Serve, tmp_path: Path) -> None:
    """Without text retention, a `topic` filter that names no ICC topic (any text the caller
    likes) is recorded as `[other]`, not as written; an ICC topic is kept as it is."""
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    secret = "call Jane on +47 22 33 44 55"
    for topic in (secret, "Education"):
        body = {"question": UNCOVERED, "filters": {"topic": topic}}
        response = httpx.post(f"{url}/api/chat", json=body, timeout=120)
        assert response.status_code == 200 and response.json()["status"] == "no_evidence"
    rows = list(csv.DictReader(io.StringIO(report_csv(url))))
    assert sorted(row["filters"] for row in rows) == ["topic=Education", "topic=[other]"]
    stored = stored_bytes(data_dir_of(tmp_path))
    assert b"Jane" not in stored and b"22 33 44 55" not in stored


def test_with_text_retention_contact_details_are_scrubbed(serve: Serve, tmp_path: Path) -> None:
    """With ICC_GAPS_KEEP_TEXT on, the text is kept without its e-mail address and phone number."""
    url = serve(
        admin_keys=["admin-key"], own_index=True, gaps_keep_text=True, rate_limit_per_minute=1000
    )
    answer = chat(url, CONTACT)
    assert answer["status"] == "no_evidence"
    assert (
        rate(url, answer["answer_id"], question=CONTACT, reason="mail me: a.b@c.org").status_code
        == 201
    )
    body = report(url)
    assert body["keeps_text"] is True and len(body["examples"]) == 2
    expected = "What does Oslo do for refugees? Write to [email] or call [number]."
    assert {e["text"] for e in body["examples"]} == {expected}
    exported = httpx.get(f"{url}/api/feedback", headers=ADMIN, timeout=HTTP_TIMEOUT).json()[
        "items"
    ][0]
    assert exported["question"] == expected and exported["reason"] == "mail me: [email]"
    stored = stored_bytes(data_dir_of(tmp_path))
    assert b"refugees" in stored  # the text itself is there, so the grep below can fail
    for secret in (b"jane.doe", b"example.org", b"22 33 44 55", b"a.b@c.org"):
        assert secret not in stored


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("mail jane.doe+icc@city.example.org now", "mail [email] now"),
        ("call +33 (0)6 12 34 56 78", "call [number]"),
        ("call 06-12-34-56-78.", "call [number]."),
        ("ref 123456", "ref [number]"),
        ("in 2019 there were 12 345 pupils", "in 2019 there were 12 345 pupils"),
    ],
)
def test_scrub_takes_out_contact_details_and_keeps_short_numbers(text: str, scrubbed: str) -> None:
    """E-mail addresses and runs of six or more digits go; years and counts stay."""
    assert scrub(text) == scrubbed


def test_a_feedback_database_with_repeated_ratings_keeps_the_newest_of_each(
    tmp_path: Path,
) -> None:
    """A database written before one rating per answer keeps, once opened, the newest rating
    of each answer, and the next rating of one replaces it."""
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, answer_id TEXT NOT NULL,"
            " rating TEXT NOT NULL, reason TEXT, question TEXT, created_at REAL NOT NULL)"
        )
        rows = [("a", "down", "first"), ("a", "down", "replayed"), ("b", "up", None)]
        old.executemany(
            "INSERT INTO feedback (answer_id, rating, reason, created_at) VALUES (?, ?, ?, ?)",
            [(*row, time.time()) for row in rows],
        )
    store = FeedbackStore(path)
    assert [(i["answer_id"], i["reason"]) for i in store.export()] == [
        ("b", None), ("a", "replayed")
    ]  # fmt: skip
    store.add("b", "down", "changed my mind")
    assert [(i["answer_id"], i["rating"]) for i in store.export()] == [("b", "down"), ("a", "down")]


def test_expired_gaps_are_deleted_by_the_store(tmp_path: Path) -> None:
    """A gap older than the retention period is gone on the next read, from the file too."""
    now = [NOW]
    store = GapStore(
        tmp_path / "gaps.sqlite3", retention_days=90, keep_text=True, clock=lambda: now[0]
    )
    store.add(Gap(kind="no_evidence", language="fr", cities=("Oslo",), text="old question marker"))
    now[0] += 90 * DAY
    assert [g.text for g in store.gaps()] == ["old question marker"]
    store.add(Gap(kind="thumbs_down", language="en", text="new question"))
    now[0] += 1 * DAY
    assert [g.text for g in store.gaps()] == ["new question"]
    files = b"".join(p.read_bytes() for p in tmp_path.glob("gaps.sqlite3*"))
    assert b"old question marker" not in files


def test_expired_feedback_is_deleted_by_the_store(tmp_path: Path) -> None:
    """A rating older than the retention period is gone from the export."""
    now = [NOW]
    store = FeedbackStore(tmp_path / "feedback.sqlite3", retention_days=90, clock=lambda: now[0])
    store.add("old", "down", "too old")
    now[0] += 60 * DAY
    store.add("new", "up")
    now[0] += 31 * DAY
    assert [row["answer_id"] for row in store.export()] == ["new"]
    assert store.export()[0]["created_at"] == "2027-01-31T19:53:03Z"


def test_a_replaced_rating_leaves_no_copy_of_its_reason_in_the_files(tmp_path: Path) -> None:
    """The stores keep their connections open: a deleted row must still leave the WAL too."""
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.add("a", "down", "first reason marker")
    store.add("a", "up")
    assert [row["reason"] for row in store.export()] == [None]
    files = b"".join(p.read_bytes() for p in tmp_path.glob("feedback.sqlite3*"))
    assert b"first reason marker" not in files


def test_a_store_whose_file_was_removed_writes_a_new_one(tmp_path: Path) -> None:
    """An operator who removes gaps.sqlite3 (or restores a backup over it) gets the next gaps
    in the file at that path, not in the unlinked one the open connection still holds."""
    path = tmp_path / "gaps.sqlite3"
    store = GapStore(path)
    store.add(Gap(kind="no_evidence", language="en"))
    for stale in tmp_path.glob("gaps.sqlite3*"):
        stale.unlink()
    store.add(Gap(kind="no_evidence", language="de"))
    assert [g.language for g in GapStore(path).gaps()] == ["de"]


def test_a_rating_whose_gap_fails_leaves_the_feedback_file_writable(tmp_path: Path) -> None:
    """A failure inside a rating's transaction rolls it back; it does not keep the file locked
    for the next rating or another process."""
    store = FeedbackStore(tmp_path / "feedback.sqlite3", timeout=0.2)

    def failing(earlier: int | None) -> int | None:
        raise RuntimeError("the gaps file is unavailable")

    with pytest.raises(RuntimeError):
        store.add("a", "down", replace_gap=failing)
    FeedbackStore(tmp_path / "feedback.sqlite3", timeout=0.2).add("b", "up")
    store.add("c", "up")
    assert [row["answer_id"] for row in store.export()] == ["c", "b"]


def test_expired_gaps_are_gone_from_the_report(serve: Serve, tmp_path: Path) -> None:
    """Gaps written 91 days ago do not appear in the report, and leave the file when it is read."""
    url = serve(admin_keys=["admin-key"], own_index=True, gaps_keep_text=True)
    path = data_dir_of(tmp_path) / "gaps.sqlite3"
    past = GapStore(path, keep_text=True, clock=lambda: time.time() - 91 * DAY)
    past.add(Gap(kind="no_evidence", language="sv", cities=("Tilburg",), text="expired marker"))
    recent = GapStore(path, keep_text=True, clock=lambda: time.time() - 89 * DAY)
    recent.add(Gap(kind="no_evidence", language="ca", cities=("Genoa",), text="recent marker"))
    body = report(url)
    assert body["total"] == 1 and body["by_city"] == [{"key": "Genoa", "count": 1}]
    assert [e["text"] for e in body["examples"]] == ["recent marker"]
    assert b"expired marker" not in b"".join(p.read_bytes() for p in path.parent.glob("gaps.*"))


def test_report_filters_by_days(serve: Serve, tmp_path: Path) -> None:
    """`since` and `until` bound the report and the CSV to the days asked for."""
    url = serve(admin_keys=["admin-key"], own_index=True)
    path = data_dir_of(tmp_path) / "gaps.sqlite3"
    for days_ago, city in ((10, "Oslo"), (5, "Parla"), (1, "Genoa")):
        GapStore(path, clock=lambda d=days_ago: time.time() - d * DAY).add(
            Gap(kind="no_evidence", cities=(city,))
        )
    day = lambda d: time.strftime("%Y-%m-%d", time.gmtime(time.time() - d * DAY))  # noqa: E731
    body = report(url, since=day(6), until=day(2))
    assert body["since"] == day(6) and body["until"] == day(2)
    assert body["by_city"] == [{"key": "Parla", "count": 1}]
    assert body["by_day"] == [{"day": day(5), "count": 1}]
    assert report(url, since=day(6))["total"] == 2
    csv_text = httpx.get(
        f"{url}/api/admin/gaps",
        params={"until": day(6), "format": "csv"},
        headers=ADMIN,
        timeout=HTTP_TIMEOUT,
    ).text
    assert [row["cities"] for row in csv.DictReader(io.StringIO(csv_text))] == ["Oslo"]


def test_gaps_need_an_admin_key(serve: Serve) -> None:
    """A client key gets 403, no key 401, an admin key the report."""
    url = serve(admin_keys=["admin-key"], api_keys=["chat-key"])
    refused = httpx.get(
        f"{url}/api/admin/gaps", headers={"Authorization": "Bearer chat-key"}, timeout=HTTP_TIMEOUT
    )
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "permission_denied"
    assert httpx.get(f"{url}/api/admin/gaps", timeout=HTTP_TIMEOUT).status_code == 401
    assert (
        httpx.get(f"{url}/api/admin/gaps", headers=ADMIN, timeout=HTTP_TIMEOUT).status_code == 200
    )


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"since": "2026-02-30"}, "`since` must be a date"),
        ({"since": "yesterday"}, "`since` must be a date"),
        ({"until": "2026/01/31"}, "`until` must be a date"),
        ({"until": "20260131"}, "`until` must be a date"),
        ({"since": "2026-03-01", "until": "2026-02-01"}, "is after `until`"),
        ({"since": "2026-03-01", "until": "2026-02-01", "format": "csv"}, "is after `until`"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_dates_are_a_clear_422(serve: Serve, params: dict[str, str], words: str) -> None:
    """A malformed day, a range that ends before it starts or an unknown format is a 422."""
    url = serve(admin_keys=["admin-key"])
    response = httpx.get(
        f"{url}/api/admin/gaps", params=params, headers=ADMIN, timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] in {"invalid_request", "validation_error"} and words in error["message"]


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ICC_LLM_BASE_URL": "", "ICC_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_cli_gaps_prints_json_csv_and_a_table(tmp_path: Path) -> None:
    """`icc-assistant gaps` reports the data directory's gaps as JSON, CSV or a table."""
    store = GapStore(tmp_path / "gaps.sqlite3", keep_text=True)
    store.add(
        Gap(
            kind="no_evidence",
            language="ro",
            cities=("Parla",),
            topics=("Anti-rumour",),
            filters={"year_from": 2018},
            reason="uncovered_city",
            text="=Parla 2018",
        )
    )
    store.add(Gap(kind="thumbs_down", language="sv", cities=("Tilburg", "Oslo")))
    as_json = run_cli("gaps", "--json", data_dir=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    body = json.loads(as_json.stdout)
    assert body["total"] == 2 and body["by_kind"] == {"no_evidence": 1, "thumbs_down": 1}
    assert body["by_topic"] == [{"key": "Anti-rumour", "count": 1}]
    assert body["examples"][0]["text"] == "=Parla 2018" and body["keeps_text"] is False
    as_csv = run_cli("gaps", "--csv", data_dir=tmp_path)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert list(rows[0]) == [
        "day",
        "kind",
        "language",
        "cities",
        "topics",
        "filters",
        "reason",
        "text",
        "answered_by",
    ]
    assert rows[0]["cities"] == "Tilburg; Oslo" and rows[1]["filters"] == "year_from=2018"
    assert rows[1]["answered_by"] == ""  # no approved answer answers it
    assert rows[1]["reason"] == "uncovered_city" and rows[1]["text"] == "'=Parla 2018"
    table = run_cli("gaps", data_dir=tmp_path)
    assert table.returncode == 0 and "Tilburg" in table.stdout and "By city" in table.stdout
    # the service kept text, this command's settings do not: the header says both, not "not kept"
    header = table.stdout.splitlines()[0]
    assert "not kept by this command's settings" in header and "1 examples below" in header
    assert "=Parla 2018" in table.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--since", "2026-13-01", "--json"), "--since` must be a date"),
        (("--since", "2026-03-01", "--until", "2026-02-01", "--csv"), "is after"),
        (("--json", "--csv"), "one of --json and --csv"),
    ],
)
def test_cli_gaps_refuses_bad_input(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    """A bad day, a range ending before it starts or two output formats is a message on
    stderr and exit code 1."""
    result = run_cli("gaps", *args, data_dir=tmp_path)
    assert result.returncode == 1 and words in result.stderr


def test_a_forged_answer_id_is_refused(serve: Serve) -> None:
    """Feedback on an id this service never gave is a 422; on a real answer's id, a 201."""
    url = serve(admin_keys=["admin-key"], rate_limit_per_minute=1000)
    real = chat(url, "How do cities run campaigns against rumours?")["answer_id"]
    other_deployment = AnswerIds("another deployment's secret").issue()
    nonce, signature = real.split(".")
    for forged in (
        "a1",
        "0" * 32,
        f"{'0' * 32}.{signature}",
        f"{nonce}.{signature[::-1]}",
        other_deployment,
    ):
        response = rate(url, forged, rating="up")
        assert response.status_code == 422, forged
        assert "unknown answer id" in response.json()["error"]["message"].lower()
    assert rate(url, real, rating="up").status_code == 201
    assert len(real) <= 100 and re.fullmatch(r"[A-Za-z0-9._-]+", real)


def test_every_surface_gives_ids_feedback_accepts(serve: Serve, mcp_connect: Connect) -> None:
    """The ids of the stream's done event, /v1 (plain and streamed) and MCP can all be rated."""
    url = serve(admin_keys=["admin-key"], rate_limit_per_minute=1000)
    question = "How do cities run campaigns against rumours?"
    with httpx.stream(
        "POST", f"{url}/api/chat/stream", json={"question": question}, timeout=120
    ) as r:
        done = [json.loads(line[5:]) for line in r.iter_lines() if line.startswith("data:")][-1]
    client = OpenAI(base_url=f"{url}/v1", api_key="unused")
    messages: Any = [{"role": "user", "content": question}]
    plain = client.chat.completions.create(model="icc-assistant", messages=messages)
    streamed = list(
        client.chat.completions.create(model="icc-assistant", messages=messages, stream=True)
    )
    mcp = mcp_connect(http_transport(url, {}))
    ids = [
        done["answer_id"],
        plain.id,
        (plain.model_extra or {})["answer"]["answer_id"],
        streamed[-1].id,
        mcp.result("ask_icc", question=question)["answer_id"],
    ]
    assert [rate(url, i, rating="up").status_code for i in ids] == [201] * len(ids)


def test_feedback_export_gives_iso_utc_times(serve: Serve) -> None:
    """The admin export's `created_at` is an ISO 8601 UTC string."""
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    answer = chat(url, "How do cities run campaigns against rumours?")
    assert rate(url, answer["answer_id"], rating="up").status_code == 201
    (item,) = httpx.get(f"{url}/api/feedback", headers=ADMIN, timeout=HTTP_TIMEOUT).json()["items"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", item["created_at"])
    assert item["created_at"][:10] == time.strftime("%Y-%m-%d", time.gmtime())


def test_a_locked_gaps_database_never_fails_an_answer(serve: Serve, tmp_path: Path) -> None:
    """While another writer holds the gaps database, answers go on; the report is a clear 503."""
    url = serve(admin_keys=["admin-key"], own_index=True, rate_limit_per_minute=1000)
    chat(url, UNCOVERED)
    holder = sqlite3.connect(data_dir_of(tmp_path) / "gaps.sqlite3", timeout=0.1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert chat(url, UNCOVERED)["status"] == "no_evidence"
        locked = httpx.get(f"{url}/api/admin/gaps", headers=ADMIN, timeout=30)
        assert locked.status_code == 503 and locked.json()["error"]["type"] == "gaps_unavailable"
    finally:
        holder.rollback()
        holder.close()
    assert report(url)["total"] == 1
