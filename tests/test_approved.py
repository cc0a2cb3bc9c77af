"""Approved answers through the real HTTP API: stored, matched in any language, served with
their citations on every surface, edited, retired, exported and imported, rated."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import OpenAI

from fakes.fake_openai import FakeOpenAIServer
from fixtures.live_server import NOT_THE_INDEX, ServerThread
from fixtures.mcp_client import Connect, http_transport
from icc_assistant.settings import Settings

SCRIPT = Path(sys.executable).parent / "icc-assistant"
KEY = "admin-key"
ADMIN = {"Authorization": f"Bearer {KEY}"}
JOIN = {
    "question": "How does a city join the Intercultural Cities programme?",
    "variants": ["How can our city become a member of the ICC network?"],
    "answer": "The mayor sends a letter of intent to the ICC secretariat [1]. The city council"
    " then approves the membership agreement, which costs 5,000 euros a year [2].",
    "language": "en",
    "sources": [
        {"url": "https://www.coe.int/en/web/interculturalcities/join", "title": "Join ICC"},
        {"doc_id": "ansan-icc-index-analysis-2020.md"},
    ],
    "approved_by": "ICC secretariat",
    "review_by": "2030-01-31",
}
PARAPHRASE_FR = "Comment une ville peut-elle adhérer au programme des Cités interculturelles ?"
NEAR_MISS = "What are the benefits of joining the Intercultural Cities programme?"


def copy_index(indexed_settings: Settings, target: Path) -> Settings:
    """The shipped corpus' index in a data directory of its own."""
    shutil.copytree(indexed_settings.data_dir, target, ignore=NOT_THE_INDEX)
    return indexed_settings.model_copy(
        update={
            "data_dir": target,
            "admin_keys": [KEY],
            "rate_limit_per_minute": 100_000,
            "gaps_keep_text": True,
        }
    )


@pytest.fixture(scope="module")
def settings(indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return copy_index(indexed_settings, tmp_path_factory.mktemp("approved") / "data")


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    thread = ServerThread(settings).start()
    yield thread.url
    thread.stop()


@pytest.fixture
def url(server: str) -> str:
    """The server, with no approved answer stored (each test writes its own)."""
    for answer in httpx.get(f"{server}/api/admin/answers", headers=ADMIN).json()["answers"]:
        gone = httpx.delete(f"{server}/api/admin/answers/{answer['id']}", headers=ADMIN)
        assert gone.status_code == 204
    return server


def create(url: str, **changes: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/api/admin/answers", json={**JOIN, **changes}, headers=ADMIN, timeout=60
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def chat(url: str, question: str, **extra: Any) -> dict[str, Any]:
    response = httpx.post(f"{url}/api/chat", json={"question": question, **extra}, timeout=60)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """The project's one error shape, with the status and type expected."""
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"type", "message", "request_id"} and error["type"] == kind
    assert error["message"] and error["request_id"] == response.headers["x-request-id"]
    return error


def events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """The (event, data) pairs of a Server-Sent Events body."""
    found, name = [], "message"
    for line in response.text.splitlines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            found.append((name, json.loads(line.split(":", 1)[1])))
    return found


def test_a_paraphrase_in_another_language_gets_the_approved_answer(url: str) -> None:
    """A French paraphrase of an English approved question is answered with its text, its two
    sources as numbered citations, marked approved and framed in French."""
    stored = create(url)
    answer = chat(url, PARAPHRASE_FR)
    assert answer["approved"] == {"id": stored["id"], "approved_at": stored["approved_at"]}
    assert answer["language"] == "fr" and answer["status"] == "answered"
    assert answer["text"].startswith("Le secrétariat de l'ICC a relu et approuvé cette réponse")
    assert JOIN["answer"] in answer["text"]
    assert "autre langue" in answer["text"]  # shown as written, and said so in French
    citations = answer["citations"]
    assert [c["number"] for c in citations] == [1, 2]
    assert citations[0]["url"] == JOIN["sources"][0]["url"]
    assert citations[0]["title"] == "Join ICC"
    assert citations[1]["doc_id"] == "ansan-icc-index-analysis-2020.md"
    assert citations[1]["city"] == "Ansan" and citations[1]["url"]


def test_a_near_miss_is_answered_from_the_material(url: str) -> None:
    """A question about the same subject that asks something else gets no approved answer."""
    create(url)
    answer = chat(url, NEAR_MISS)
    assert answer["approved"] is None
    assert JOIN["answer"] not in answer["text"]


def test_an_answer_without_markers_cites_every_source_at_its_end(url: str) -> None:
    """Sources are numbered citations even when the text cites none."""
    create(url, answer="The mayor writes to the ICC secretariat.")
    answer = chat(url, JOIN["question"])
    assert "The mayor writes to the ICC secretariat. [1][2]" in answer["text"]
    assert [c["number"] for c in answer["citations"]] == [1, 2]


def test_the_stream_serves_it_with_meta_citations_and_done(url: str) -> None:
    """The stream's meta and done events say which approved answer it is; the tokens make its
    text and the citations event lists its sources."""
    stored = create(url)
    mark = {"id": stored["id"], "approved_at": stored["approved_at"]}
    with httpx.Client(timeout=60) as client:
        response = client.post(f"{url}/api/chat/stream", json={"question": PARAPHRASE_FR})
    found = events(response)
    kinds = [kind for kind, _ in found]
    assert kinds[0] == "meta" and kinds[-2:] == ["citations", "done"], kinds
    assert found[0][1]["approved"] == mark and found[-1][1]["approved"] == mark
    text = "".join(data["text"] for kind, data in found if kind == "token")
    assert JOIN["answer"] in text
    assert [c["number"] for c in found[-2][1]["citations"]] == [1, 2]


def test_v1_serves_it_with_the_review_date_and_sources(url: str) -> None:
    """/v1 (plain and streamed) gives the approved text, when it was reviewed, its Sources
    list and `approved`."""
    stored = create(url)
    client = OpenAI(base_url=f"{url}/v1", api_key="none")
    messages: Any = [{"role": "user", "content": PARAPHRASE_FR}]
    completion = client.chat.completions.create(model="icc-assistant", messages=messages)
    content = completion.choices[0].message.content or ""
    assert JOIN["answer"] in content and "Sources:" in content
    assert f"Relu par le secrétariat de l'ICC le {stored['approved_at']}." in content
    extra: dict[str, Any] = completion.model_extra or {}
    assert extra["answer"]["approved"]["id"] == stored["id"]
    chunks = list(
        client.chat.completions.create(model="icc-assistant", messages=messages, stream=True)
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert JOIN["answer"] in streamed
    assert (chunks[-1].model_extra or {})["approved"]["id"] == stored["id"]


def test_mcp_ask_icc_serves_it(url: str, mcp_connect: Connect) -> None:
    """MCP's ask_icc returns the approved answer, marked."""
    stored = create(url)
    client = mcp_connect(http_transport(url, {}))
    answer = client.result("ask_icc", question=PARAPHRASE_FR)
    assert answer["approved"]["id"] == stored["id"]
    assert JOIN["answer"] in answer["text"]


def test_a_brief_summarises_with_the_approved_answer(url: str) -> None:
    """A briefing note on an enquiry that asks for an approved answer has it as its summary,
    with when it was reviewed and its sources listed first."""
    stored = create(url)
    body = {"question": PARAPHRASE_FR, "format": "json"}
    note = httpx.post(f"{url}/api/brief", json=body, timeout=120).json()
    assert note["summary_by"] == "approved" and note["approved"]["id"] == stored["id"]
    assert JOIN["answer"] in note["summary"]
    assert [s["number"] for s in note["sources"][:2]] == [1, 2]
    assert note["sources"][0]["url"] == JOIN["sources"][0]["url"]
    markdown = httpx.post(f"{url}/api/brief", json={**body, "format": "md"}, timeout=120).text
    assert f"Relu par le secrétariat de l'ICC le {stored['approved_at']}." in markdown


def test_a_filter_the_answer_does_not_fit_prevents_the_match(url: str) -> None:
    """A type filter none of its sources has keeps it out; a city one of them is about lets
    it in."""
    create(url)
    narrowed = chat(url, JOIN["question"], filters={"doc_type": "good_practice"})
    assert narrowed["approved"] is None
    fitting = chat(url, JOIN["question"], filters={"city": "Ansan", "doc_type": "index_report"})
    assert fitting["approved"] is not None


def test_a_follow_up_is_matched_on_what_is_searched(url: str) -> None:
    """A follow-up naming no city after a question about Ansan is searched with it
    (history_used), and that joined text is what is matched."""
    create(url)
    history = [
        {"role": "user", "content": "What does Ansan do for migrant children?"},
        {"role": "assistant", "content": "Ansan runs education support centres [1]."},
    ]
    answer = chat(url, PARAPHRASE_FR, history=history)
    assert answer["history_used"] is True and answer["approved"] is not None
    unrelated = chat(url, "Et combien de centres y a-t-il ?", history=history)
    assert unrelated["history_used"] is True and unrelated["approved"] is None


def test_an_edit_is_served_and_a_retired_answer_is_not(url: str) -> None:
    """PUT replaces the text served; PUT with active false retires it; DELETE removes it."""
    stored = create(url)
    answer_url = f"{url}/api/admin/answers/{stored['id']}"
    edited = {**JOIN, "answer": "Write to the ICC secretariat [1]."}
    assert httpx.put(answer_url, json=edited, headers=ADMIN, timeout=60).status_code == 200
    assert "Write to the ICC secretariat [1]." in chat(url, PARAPHRASE_FR)["text"]
    retired = httpx.put(answer_url, json={**edited, "active": False}, headers=ADMIN, timeout=60)
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert chat(url, PARAPHRASE_FR)["approved"] is None
    assert httpx.delete(answer_url, headers=ADMIN).status_code == 204
    error_of(httpx.get(answer_url, headers=ADMIN), 404, "not_found")


def test_the_list_flags_missing_sources_and_overdue_reviews(url: str) -> None:
    """A source the index does not hold and a review-by date in the past are flagged; search
    finds answers by their words."""
    sources = [*JOIN["sources"], {"doc_id": "gone-from-the-index.md"}]
    stored = create(url, sources=sources, approved_at="2024-01-01", review_by="2025-01-01")
    create(url, question="What does membership cost?", variants=[], answer="Nothing [1].")
    listed = httpx.get(f"{url}/api/admin/answers", params={"q": "letter"}, headers=ADMIN).json()
    assert listed["total"] == 2 and [a["id"] for a in listed["answers"]] == [stored["id"]]
    item = listed["answers"][0]
    assert item["missing_sources"] == ["gone-from-the-index.md"] and item["overdue"] is True
    assert chat(url, PARAPHRASE_FR)["approved"]["id"] == stored["id"]  # still served


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"answer": "See [3]."}, "cites [3]"),
        ({"approved_by": "jane.doe@example.org"}, "label"),
        ({"sources": [{"title": "no address"}]}, "doc_id"),
        ({"question": "  ?! "}, "words"),
        ({"review_by": "2020-01-01", "approved_at": "2021-01-01"}, "review_by"),
        ({"language": "english"}, "language"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_refused_with_a_message(url: str, change: dict[str, Any], words: str) -> None:
    """A malformed answer is a 422 in the error shape that says what is wrong; nothing is
    stored."""
    response = httpx.post(f"{url}/api/admin/answers", json={**JOIN, **change}, headers=ADMIN)
    assert words in error_of(response, 422, "invalid_request")["message"]
    assert httpx.get(f"{url}/api/admin/answers", headers=ADMIN).json()["total"] == 0


def test_admin_routes_need_the_admin_key_and_this_origin(url: str) -> None:
    """Without a key 401; a change sent from another site's page 403, before anything."""
    error_of(httpx.get(f"{url}/api/admin/answers"), 401, "authentication")
    foreign = {**ADMIN, "Origin": "https://evil.example"}
    error_of(httpx.post(f"{url}/api/admin/answers", json=JOIN, headers=foreign), 403,
             "permission_denied")  # fmt: skip
    assert httpx.get(f"{url}/api/admin/answers", headers=ADMIN).json()["total"] == 0


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_an_export_imports_again_and_updates_by_id(url: str, kind: str) -> None:
    """An export imported into an empty store recreates the answers with their ids; imported
    again, it updates them."""
    stored = create(url, review_by=None)
    exported = httpx.get(f"{url}/api/admin/answers", params={"format": kind}, headers=ADMIN)
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    httpx.delete(f"{url}/api/admin/answers/{stored['id']}", headers=ADMIN)
    media = {"json": "application/json", "csv": "text/csv"}[kind]
    headers = {**ADMIN, "Content-Type": media}
    first = httpx.post(f"{url}/api/admin/answers/import", content=exported.content,
                       headers=headers, timeout=60)  # fmt: skip
    assert first.json() == {"created": 1, "updated": 0}, first.text
    again = httpx.post(f"{url}/api/admin/answers/import", content=exported.content,
                       headers=headers, timeout=60)  # fmt: skip
    assert again.json() == {"created": 0, "updated": 1}
    back = httpx.get(f"{url}/api/admin/answers/{stored['id']}", headers=ADMIN).json()
    for field in ("question", "variants", "answer", "language", "sources", "approved_by"):
        assert back[field] == stored[field], field


def test_a_bad_import_imports_nothing(url: str) -> None:
    """One bad answer in an import is a 422 naming it, and none of the others is stored."""
    good = {**JOIN}
    bad = {**JOIN, "answer": "See [9]."}
    response = httpx.post(f"{url}/api/admin/answers/import", json={"answers": [good, bad]},
                          headers=ADMIN, timeout=60)  # fmt: skip
    assert "Answer 2" in error_of(response, 422, "invalid_request")["message"]
    not_json = httpx.post(f"{url}/api/admin/answers/import", content=b"{oops",
                          headers={**ADMIN, "Content-Type": "application/json"})  # fmt: skip
    error_of(not_json, 422, "invalid_request")
    assert httpx.get(f"{url}/api/admin/answers", headers=ADMIN).json()["total"] == 0


def test_ratings_of_served_answers_are_shown_beside_it(url: str) -> None:
    """A rating of an answer that served an approved answer counts in its listing."""
    stored = create(url)
    for rating in ("up", "down"):
        answer_id = chat(url, PARAPHRASE_FR)["answer_id"]
        rated = httpx.post(f"{url}/api/feedback", json={"answer_id": answer_id, "rating": rating})
        assert rated.status_code == 201
    chat(url, NEAR_MISS)  # not served: not counted
    item = httpx.get(f"{url}/api/admin/answers/{stored['id']}", headers=ADMIN).json()
    assert item["served"] == 2 and item["ratings"] == {"up": 1, "down": 1}


def test_a_gap_an_approved_answer_now_answers_is_marked(url: str) -> None:
    """A down-rated question kept as a gap is marked answered once an approved answer matches
    it, in the report and its CSV, and unmarked when that answer goes."""
    first = chat(url, PARAPHRASE_FR)
    rated = httpx.post(f"{url}/api/feedback", json={"answer_id": first["answer_id"],
                       "rating": "down", "question": PARAPHRASE_FR})  # fmt: skip
    assert rated.status_code == 201
    report = httpx.get(f"{url}/api/admin/gaps", headers=ADMIN).json()
    assert report["answered"] == 0
    stored = create(url)
    report = httpx.get(f"{url}/api/admin/gaps", headers=ADMIN).json()
    example = next(e for e in report["examples"] if e["text"] == PARAPHRASE_FR)
    assert example["answered_by"] == stored["id"] and report["answered"] >= 1
    rows = httpx.get(f"{url}/api/admin/gaps", params={"format": "csv"}, headers=ADMIN).text
    assert rows.splitlines()[0].endswith(",answered_by") and stored["id"] in rows
    httpx.delete(f"{url}/api/admin/answers/{stored['id']}", headers=ADMIN)
    report = httpx.get(f"{url}/api/admin/gaps", headers=ADMIN).json()
    example = next(e for e in report["examples"] if e["text"] == PARAPHRASE_FR)
    assert example["answered_by"] is None


def test_the_data_directory_file_holds_every_answer(url: str, settings: Settings) -> None:
    """Right after a write, approved.sqlite3 alone (a copy, as a backup takes it) holds it."""
    stored = create(url)
    copy = settings.data_dir.parent / "backup.sqlite3"
    shutil.copyfile(settings.data_dir / "approved.sqlite3", copy)
    with sqlite3.connect(copy) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM answers")]
    assert ids == [stored["id"]]


def test_a_model_translates_it_keeping_its_citations(
    indexed_settings: Settings, tmp_path: Path, fake_llm: FakeOpenAIServer
) -> None:
    """With a model, the approved text is given to it and its translation served, with the
    same citations; a translation that loses them is not served."""
    settings = copy_index(indexed_settings, tmp_path / "data")
    thread = ServerThread(settings.model_copy(update={"llm_base_url": fake_llm.url})).start()
    try:
        create(thread.url)
        answer = chat(thread.url, PARAPHRASE_FR)
        prompts = [str(m["content"]) for r in fake_llm.state.requests for m in r["messages"]]
        assert any(JOIN["answer"] in p and "into French" in p for p in prompts)
        assert answer["text"].splitlines()[2] == "[French]" and answer["model"]
        assert "[1]" in answer["text"] and "[2]" in answer["text"]
        assert [c["number"] for c in answer["citations"]] == [1, 2]
        fake_llm.state.reset("nocite")
        unchanged = chat(thread.url, PARAPHRASE_FR)
        assert JOIN["answer"] in unchanged["text"] and "autre langue" in unchanged["text"]
        assert unchanged["model"] is None and unchanged["approved"] is not None
    finally:
        thread.stop()


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ICC_DATA_DIR": str(data_dir), "ICC_LLM_BASE_URL": ""}
    return subprocess.run(
        [str(SCRIPT), "answers", *args], capture_output=True, text=True, env=env, timeout=600,
        check=False,
    )  # fmt: skip


def test_the_command_line_imports_exports_and_lists(
    indexed_settings: Settings, tmp_path: Path
) -> None:
    """`answers import` stores an export's answers (and nothing of a bad one, exit code 1),
    `answers list` and `answers export` show them."""
    data_dir = copy_index(indexed_settings, tmp_path / "data").data_dir
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"answers": [JOIN, {**JOIN, "language": "xx-yy"}]}))
    refused = cli(data_dir, "import", str(bad))
    assert refused.returncode == 1 and "Answer 2" in refused.stderr
    good = tmp_path / "answers.json"
    good.write_text(json.dumps({"answers": [{**JOIN, "id": "join-1"}]}))
    imported = cli(data_dir, "import", str(good))
    assert imported.returncode == 0, imported.stderr
    assert "1 created, 0 updated" in imported.stdout
    listed = json.loads(cli(data_dir, "list", "--json").stdout)
    assert [a["id"] for a in listed] == ["join-1"]
    exported = cli(data_dir, "export", "--csv").stdout
    assert exported.splitlines()[0].startswith("id,question,variants,answer")
    assert "join-1" in exported and "letter of intent" in exported


def test_ingest_rebuild_keeps_the_approved_answers(
    indexed_settings: Settings, tmp_path: Path
) -> None:
    """`ingest --rebuild` empties the index, not the approved answers stored beside it."""
    data_dir = copy_index(indexed_settings, tmp_path / "data").data_dir
    export = tmp_path / "answers.json"
    export.write_text(json.dumps({"answers": [{**JOIN, "id": "join-1"}]}))
    assert cli(data_dir, "import", str(export)).returncode == 0
    note = tmp_path / "note.md"
    note.write_text("# Reading circles\n\nVexmoor runs moonlight reading circles for newcomers.\n")
    env = {**os.environ, "ICC_DATA_DIR": str(data_dir), "ICC_LLM_BASE_URL": ""}
    rebuilt = subprocess.run(
        [str(SCRIPT), "ingest", str(note), "--rebuild"], capture_output=True, text=True, env=env,
        timeout=600, check=False,
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr
    listed = json.loads(cli(data_dir, "list", "--json").stdout)
    assert [a["id"] for a in listed] == ["join-1"]
