"""The scale-out deployment on loopback: `serve --workers 2` against a `chroma run` server,
answering concurrent chats while a separate `icc-assistant ingest` process rewrites the index."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fixtures.chroma_server import ChromaProcess, free_port
from fixtures.cli_server import clean_environment, start_serve
from fixtures.timeouts import HTTP_TIMEOUT, wait_until
from icc_assistant.index.catalog_loader import REFRESH_SECONDS

pytestmark = pytest.mark.server

APP = Path(sys.executable).parent / "icc-assistant"
QUESTION = "How many anti-rumour agents has Bilbao trained?"
OLD = (
    "Back Anti-rumour agents in Bilbao\n\n2018\n\nBilbao trained 40 anti-rumour agents who "
    "answer prejudice about migrants in bars, schools and sports clubs."
)
NEW = (
    "Back Anti-rumour agents in Bilbao\n\n2018\n\nBilbao has now trained 120 anti-rumour "
    "agents who answer prejudice about migrants in bars, markets, schools and sports clubs."
)
OSLO = (
    "Back Welcome desk in Oslo\n\n2021\n\nOslo opened a welcome desk where newcomers get "
    "help with housing, language courses and registering their children at school."
)
FILLER = (
    "Back Intercultural festival in {city}\n\n2019\n\n" + "{city} holds a yearly festival "
    "where residents of many origins cook, play music and tell their stories. " * 12
)


@dataclass
class Reply:
    started: float
    status: int
    text: str
    error: str = ""


def chat_until(url: str, stop: threading.Event, replies: list[Reply]) -> None:
    """Ask the same question over and over until told to stop, keeping every reply."""
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = client.post(f"{url}/api/chat", json={"question": QUESTION})
                replies.append(Reply(started, response.status_code, response.text))
            except httpx.HTTPError as exc:
                replies.append(Reply(started, 0, "", repr(exc)))


def run_cli(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([str(APP), *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """(service url, environment, corpus dir) of 2 workers over a fresh Chroma server."""
    chroma = ChromaProcess(tmp_path / "chroma").start()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bilbao.txt").write_text(OLD, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "ICC_DATA_DIR": str(tmp_path / "data"), "ICC_CHROMA_HOST": "127.0.0.1",
           "ICC_CHROMA_PORT": str(chroma.port), "ICC_RATE_LIMIT_PER_MINUTE": "100000",
           "ICC_LOG_LEVEL": "WARNING", "ICC_PORT": str(port)}  # fmt: skip
    run_cli(env, "ingest", str(corpus))
    log = (tmp_path / "service.log").open("wb")  # read it when this test fails
    service = subprocess.Popen(
        [str(APP), "serve", "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/ready", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and service.poll() is None, "service did not start"
            time.sleep(0.3)
        yield url, env, corpus
    finally:
        service.terminate()
        service.wait(timeout=30)
        log.close()
        chroma.stop()


def settled_after(replies: list[Reply], done: float) -> list[Reply]:
    """The replies to chats begun once every worker must have seen a commit made at `done`."""
    return [r for r in list(replies) if r.started > done + REFRESH_SECONDS + 0.5]


def test_workers_answer_through_an_ingest_without_errors_or_stale_answers(
    deployment: tuple[str, dict[str, str], Path],
) -> None:
    """Chats during a re-ingest get the old or the new page, never a mix; then only the new."""
    url, env, corpus = deployment
    (corpus / "bilbao.txt").write_text(NEW, encoding="utf-8")
    (corpus / "oslo.txt").write_text(OSLO, encoding="utf-8")
    for city in ("Lyon", "Turin", "Dublin", "Tampere", "Bergen", "Patras"):
        (corpus / f"festival-{city.lower()}.txt").write_text(FILLER.format(city=city), "utf-8")
    stop = threading.Event()
    replies: list[Reply] = []
    chatters = [threading.Thread(target=chat_until, args=(url, stop, replies)) for _ in range(4)]
    for thread in chatters:
        thread.start()
    try:
        wait_until(lambda: len(replies) >= 4, "the first answers")
        ingest_started = time.monotonic()
        run_cli(env, "ingest", str(corpus))
        ingest_done = time.monotonic()
        # a worker sees a commit within REFRESH_SECONDS: wait for answers begun after that
        wait_until(lambda: len(settled_after(replies, ingest_done)) >= 4, "answers after it")
    finally:
        stop.set()
        for thread in chatters:
            thread.join(timeout=60)

    assert not [r for r in replies if r.status != 200], [r for r in replies if r.status != 200][:3]
    during = [r for r in replies if ingest_started <= r.started <= ingest_done]
    settled = settled_after(replies, ingest_done)
    assert during and settled
    for reply in replies:
        old, new = "40 anti-rumour" in reply.text, "120 anti-rumour" in reply.text
        assert old != new, reply.text  # exactly one version, never both or neither
    assert all("120 anti-rumour" in r.text for r in settled)
    oslo = httpx.post(
        f"{url}/api/chat",
        json={"question": "Where can newcomers in Oslo get help?"},
        timeout=HTTP_TIMEOUT,
    )
    assert oslo.status_code == 200 and "welcome desk" in oslo.text


def test_workers_keep_the_data_dir_given_on_the_command_line(tmp_path: Path) -> None:
    """`serve --workers 2 --data-dir D` serves D's index and keeps its feedback in D."""
    chroma = ChromaProcess(tmp_path / "chroma").start()
    corpus, given, from_env = tmp_path / "corpus", tmp_path / "given", tmp_path / "env-data"
    corpus.mkdir()
    (corpus / "bilbao.txt").write_text(OLD, encoding="utf-8")
    env = clean_environment(
        ICC_DATA_DIR=str(from_env), ICC_CHROMA_HOST="127.0.0.1", ICC_CHROMA_PORT=str(chroma.port),
        ICC_LOG_LEVEL="WARNING",
    )  # fmt: skip
    try:
        run_cli(env, "ingest", "--data-dir", str(given), str(corpus))
        server = start_serve(
            env, tmp_path / "serve.log", "--workers", "2", "--data-dir", str(given), ready="/ready"
        )
        try:
            answer = httpx.post(f"{server.url}/api/chat", json={"question": QUESTION}, timeout=60)
            assert "40 anti-rumour" in answer.text
            rating = {"answer_id": answer.json()["answer_id"], "rating": "up"}
            assert (
                httpx.post(
                    f"{server.url}/api/feedback", json=rating, timeout=HTTP_TIMEOUT
                ).status_code
                == 201
            )
        finally:
            server.stop()
        assert (given / "feedback.sqlite3").is_file()
        assert not (from_env / "feedback.sqlite3").exists()
    finally:
        chroma.stop()
