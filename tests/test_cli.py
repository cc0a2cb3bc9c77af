"""The command line as users run it: the installed console script in a subprocess."""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from fixtures.cli_server import ServeProcess
from icc_assistant.settings import Settings

SCRIPT = Path(sys.executable).parent / "icc-assistant"
CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def run(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ICC_LLM_BASE_URL": "", "COLUMNS": "200"}
    if data_dir is not None:
        env["ICC_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@functools.cache
def help_of(*command: str) -> subprocess.CompletedProcess[str]:
    """`icc-assistant *command --help`, run once per module: several tests read each page."""
    return run(*command, "--help")


def test_help_lists_every_command() -> None:
    """--help names the six commands."""
    result = help_of()
    assert result.returncode == 0
    for command in ("ingest", "stats", "inspect", "search", "ask", "serve"):
        assert command in result.stdout


COMMANDS = ("ingest", "sync", "stats", "inspect", "search", "ask", "gaps", "serve", "mcp")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_type_for_flags(command: str) -> None:
    """A flag takes no value, so its help shows no `<bool>` type (nor does --help's)."""
    result = help_of(command)
    assert result.returncode == 0, result.stderr
    assert "--help" in result.stdout and "<bool>" not in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_keeps_each_paragraph_of_the_docstring_whole(command: str) -> None:
    """Each paragraph of a command's docstring is one line of a wide --help, not cut where
    the source wrapped it."""
    from icc_assistant.cli import app

    callbacks = [c.callback for c in app.registered_commands if c.callback is not None]
    (callback,) = [c for c in callbacks if c.__name__ == command]
    assert callback is not None and callback.__doc__
    lines = [" ".join(line.split()) for line in help_of(command).stdout.splitlines()]
    for paragraph in inspect.cleandoc(callback.__doc__).split("\n\n"):
        assert " ".join(paragraph.split()) in lines


def test_inspect_shows_metadata_and_chunks() -> None:
    """inspect prints a seed's city and its chunks without touching any index."""
    result = run("inspect", str(CORPUS / "ansan-democratic-citizenship.txt"))
    assert result.returncode == 0, result.stderr
    assert "Ansan" in result.stdout and "chunks" in result.stdout


def test_missing_path_fails_with_a_message(tmp_path: Path) -> None:
    """Ingesting a path that does not exist says so and exits non-zero."""
    result = run("ingest", str(tmp_path / "nope.txt"), data_dir=tmp_path / "data")
    assert result.returncode != 0
    assert "nope.txt" in result.stdout + result.stderr


def test_inspect_of_unsupported_file_is_one_clear_line(tmp_path: Path) -> None:
    """A domain error is a message on stderr and exit code 1, not a traceback."""
    bad = tmp_path / "slides.pptx"
    bad.write_bytes(b"PK\x03\x04junk")
    result = run("inspect", str(bad))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "slides.pptx" in result.stderr


def test_search_json_on_an_indexed_corpus(indexed_settings: Settings) -> None:
    """search --json returns ranked passages with document metadata."""
    result = run(
        "search",
        "multicultural newspaper",
        "--k",
        "3",
        "--json",
        data_dir=indexed_settings.data_dir,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "found"
    assert len(data["passages"]) == 3
    assert data["passages"][0]["document"]["city"] == "Ansan"


def test_scores_as_csv_and_json(indexed_settings: Settings) -> None:
    """scores --csv prints Ansan's education row under a header; --json the same rows whole."""
    options = ("scores", "--city", "ansan", "--indicator", "education")
    result = run(*options, "--csv", data_dir=indexed_settings.data_dir)
    assert result.returncode == 0, result.stderr
    header, row, *rest = result.stdout.splitlines()
    assert header.startswith("city,year,indicator,") and not rest
    assert row.startswith("Ansan,2020,education,") and ",95.0,points," in row
    data = json.loads(run(*options, "--json", data_dir=indexed_settings.data_dir).stdout)
    assert [(r["value"], r["sample_value"]) for r in data] == [(95, 68)]


def test_scores_of_one_document(indexed_settings: Settings) -> None:
    """scores --doc keeps the rows read from that document, as GET /api/scores?doc_id does."""
    report = "ansan-icc-index-analysis-2020.md"
    data = json.loads(
        run("scores", "--doc", report, "--json", data_dir=indexed_settings.data_dir).stdout
    )
    assert data and {r["doc_id"] for r in data} == {report}
    other = run("scores", "--doc", "ansan-democratic-citizenship.txt", "--json",
                data_dir=indexed_settings.data_dir)  # fmt: skip
    assert json.loads(other.stdout) == []


def test_search_prints_what_it_recognised(indexed_settings: Settings) -> None:
    """The table output names the city found in a Korean question, the relevance the gate
    judged against its threshold, and ranked passages with score, city and document."""
    result = run(
        "search", "안산시의 참여 분야 점수는?", "--k", "3", data_dir=indexed_settings.data_dir
    )
    assert result.returncode == 0, result.stderr
    first_line = result.stdout.splitlines()[0]
    assert "status: found" in first_line
    assert "cities: Ansan" in first_line
    assert re.search(r"relevance: 0\.\d{3} \(threshold 0\.\d{3}\)", first_line)
    assert re.search(r"^1\. 0\.\d{3} Ansan \| ", result.stdout, re.MULTILINE)


def test_search_with_history_searches_the_follow_up_as_a_chat_would(
    indexed_settings: Settings, tmp_path: Path
) -> None:
    """A follow-up that does not name its subject ("and how many primary schools are there?")
    is searched with the earlier user turn, so the city of the conversation is recognised."""
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps([{"role": "user", "content": "How does Ansan support migrant pupils?"}]),
        encoding="utf-8",
    )
    question = "Und wie viele Grundschulen hat die Stadt?"
    alone = run("search", question, "--json", data_dir=indexed_settings.data_dir)
    followed = run(
        "search", question, "--history", str(history), "--json",
        data_dir=indexed_settings.data_dir,
    )  # fmt: skip
    assert followed.returncode == 0, followed.stderr
    assert json.loads(alone.stdout)["cities"] == []
    assert json.loads(followed.stdout)["cities"] == ["Ansan"]
    assert json.loads(followed.stdout)["gate"]["reason"] == "relevant"


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_refuses_an_empty_question(indexed_settings: Settings, question: str) -> None:
    """ask with an empty question exits 1 with a message."""
    result = run("ask", question, data_dir=indexed_settings.data_dir)
    assert result.returncode == 1
    assert "empty" in result.stderr


def test_unknown_city_filter_is_an_error(indexed_settings: Settings) -> None:
    """ask --city with a name no gazetteer knows exits 1 with the invalid_filter message."""
    result = run("ask", "anti-rumour", "--city", "Gotham", data_dir=indexed_settings.data_dir)
    assert result.returncode == 1
    assert "Unknown city 'Gotham'" in result.stderr


def test_serve_refuses_workers_with_embedded_storage(tmp_path: Path) -> None:
    """Several workers on the embedded (not process-safe) store are refused with a hint."""
    result = run("serve", "--workers", "2", data_dir=tmp_path)
    assert result.returncode == 1
    assert "ICC_CHROMA_HOST" in result.stderr


def start_line(server: ServeProcess) -> str:
    """The line `serve` printed when it started listening."""
    lines = [line for line in server.output().splitlines() if line.startswith("ICC Assistant on")]
    assert len(lines) == 1, server.output()
    return lines[0]


def test_serve_prints_where_it_listens_and_what_it_serves(
    serve_process: Callable[..., ServeProcess], indexed_settings: Settings
) -> None:
    """serve prints one line with its URL, the documents and chunks it serves, and that no
    model is configured."""
    server = serve_process()
    line = start_line(server)
    stats = json.loads(run("stats", "--json", data_dir=indexed_settings.data_dir).stdout)
    assert f"on {server.url} " in line
    assert f"{stats['documents']} documents, {stats['chunks']} chunks" in line
    assert "no model configured" in line
    assert f"admin console: {server.url}/admin, locked: no admin key is set" in line
    assert "ICC_ADMIN_KEYS" in line and "--admin-key-file" in line


def test_serve_opens_the_console_with_an_admin_key_file(
    serve_process: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    """`serve --admin-key-file FILE` (ICC_ADMIN_KEY_FILE) takes its keys, one a line: the start
    line shows the console open and the file's key administers."""
    key_file = tmp_path / "admin.key"
    key_file.write_text("# made with secrets.token_urlsafe\nfile-key-7c1d0e\n\n", encoding="utf-8")
    server = serve_process(ICC_ADMIN_KEY_FILE=str(key_file))
    line = start_line(server)
    assert f"admin console: {server.url}/admin" in line and "locked" not in line
    headers = {"Authorization": "Bearer file-key-7c1d0e"}
    assert httpx.get(f"{server.url}/api/feedback", headers=headers, timeout=60).status_code == 200
    result = run("serve", "--admin-key-file", str(tmp_path / "missing.key"))
    assert result.returncode == 1 and "ICC_ADMIN_KEY_FILE" in result.stderr


def test_serve_start_line_names_the_configured_model(
    serve_process: Callable[..., ServeProcess],
) -> None:
    """With ICC_LLM_BASE_URL set, the start line names the model and its endpoint's host."""
    server = serve_process(ICC_LLM_BASE_URL="http://127.0.0.1:9/v1", ICC_LLM_MODEL="llama3.1")
    assert "answers: model llama3.1 at 127.0.0.1:9" in start_line(server)


def test_ingest_reports_each_file_and_is_incremental(tmp_path: Path) -> None:
    """ingest prints a per-file summary; a second run finds every file unchanged."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "page.txt").write_text(
        "Back Welcome desk in Oslo\n\n2021\n\nOslo runs a welcome desk for newcomers.",
        encoding="utf-8",
    )
    (corpus / "bad.txt").write_bytes(b"\x00\x01junk")
    first = run("ingest", str(corpus), data_dir=tmp_path / "data")
    assert first.returncode == 1  # one file failed; the other was ingested
    assert "added" in first.stdout and "failed" in first.stdout
    (corpus / "bad.txt").unlink()
    second = run("ingest", str(corpus), "--prune", data_dir=tmp_path / "data")
    assert second.returncode == 0 and "unchanged" in second.stdout
    stats = run("stats", "--json", data_dir=tmp_path / "data")
    assert json.loads(stats.stdout)["cities"] == {"Oslo": 1}


def passages_of(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    return [p["document"] for p in found["passages"] or found["nearest"]]


def test_search_takes_the_filters_http_takes(multilingual_settings: Settings) -> None:
    """search --type/--language/--country/--year-* keep only the documents they name, as the
    API's filters do; without them, the same question draws on other documents too."""
    data_dir = multilingual_settings.data_dir
    question = "intercultural strategy"
    everything = passages_of(run("search", question, "--k", "10", "--json", data_dir=data_dir))
    assert {d["doc_type"] for d in everything} > {"index_report"}
    reports = passages_of(
        run("search", question, "--type", "index_report", "--json", data_dir=data_dir)
    )
    assert reports and {d["doc_type"] for d in reports} == {"index_report"}
    german = passages_of(run("search", question, "--language", "de", "--json", data_dir=data_dir))
    assert german and {d["language"] for d in german} == {"de"}
    korean = passages_of(
        run("search", question, "--country", "South Korea", "--json", data_dir=data_dir)
    )
    assert korean and {d["country"] for d in korean} == {"South Korea"}
    years = sorted(d["year"] for d in everything if d["year"])
    recent = passages_of(
        run("search", question, "--year-from", str(years[-1]), "--json", data_dir=data_dir)
    )
    assert recent and all(d["year"] >= years[-1] for d in recent)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--type", "leaflet"], "--type"),
        (["--language", "French"], "--language"),
        (["--year-from", "2020", "--year-to", "2010"], "after year_to"),
        (["--year-from", "1200"], "--year-from"),
    ],
)
def test_ask_refuses_a_bad_filter_with_a_message(
    indexed_settings: Settings, options: list[str], message: str
) -> None:
    """A malformed filter exits 1 naming the option, as the API answers 422."""
    result = run("ask", "anti-rumour", *options, data_dir=indexed_settings.data_dir)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_type_help_names_every_document_type() -> None:
    """--type's help lists exactly the document types the index knows."""
    from icc_assistant.documents import DOC_TYPES

    help_text = " ".join(help_of("search").stdout.split())
    for doc_type in DOC_TYPES:
        assert doc_type in help_text


def test_ask_into_a_pipe_keeps_links_whole_and_gives_every_source_its_link(
    indexed_settings: Settings,
) -> None:
    """Written to a pipe, `ask` wraps no line (a Markdown link stays on one line, however
    long), and each source line ends with the link that opens its document at the quotes."""
    env = {**os.environ, "ICC_LLM_BASE_URL": "", "ICC_DATA_DIR": str(indexed_settings.data_dir)}
    env.pop("COLUMNS", None)  # the width of no terminal: rich would assume 80 columns
    result = subprocess.run(
        [str(SCRIPT), "ask", "How do cities run campaigns against rumours?"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    links = [line for line in lines if "](" in line]
    assert links and all(re.search(r"\]\(https://[^)\s]+#:~:text=[^)\s]+\)", x) for x in links)
    assert max(len(line) for line in lines) > 80
    sources = [line for line in lines if re.match(r"\[\d+\] ", line)]
    assert sources and all(re.search(r" - https://\S+#:~:text=\S+$", s) for s in sources)


def test_stats_loads_no_embedding_model(indexed_settings: Settings) -> None:
    """`stats` only reads the index: it never starts onnxruntime's session for the encoder."""
    probe = (
        "import sys; from icc_assistant.cli import app\n"
        "try:\n    app(['stats'])\nexcept SystemExit:\n    pass\n"
        "print('encoder loaded:', 'icc_assistant.encoder.encoder' in sys.modules)"
    )
    env = {**os.environ, "ICC_DATA_DIR": str(indexed_settings.data_dir)}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300
    )
    assert "documents: 5" in result.stdout, result.stderr
    assert result.stdout.rstrip().endswith("encoder loaded: False")
