"""Load on loopback: concurrent streaming chats for a bounded time, two deployments compared.

(a) one process on the embedded store, (b) `serve --workers 2` against a `chroma run` server;
both answer through the fake OpenAI-compatible model. Every chat asks a question no chat asked
before (the development questions of both sets, and each one naming a city asked again about
every other city the corpus covers), so no cache can flatter the figures. Prints throughput,
p50/p95 time to the first token, errors and the peak RSS of the service's processes; with
--profile, where one chat's CPU goes (cProfile over chats in this process).

The load generator is Python (httpx, asyncio) by default, and it shares the two cores with the
service, so its own CPU lowers the figure. `--generator wrk` drives the same chats with wrk, a
compiled generator (Debian: `apt-get install wrk`), and `both` runs one then the other against
the same service, wrk on the questions the first run did not ask. wrk times a whole streamed
answer (it cannot see the first token): it prints chats/s and the latency to the end.

    python bench/load.py [--clients 50] [--seconds 60] [--profile 40] [--generator both]
                         [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.fake_openai import FakeOpenAIServer  # noqa: E402
from fixtures.chroma_server import ChromaProcess, free_port  # noqa: E402

APP = Path(sys.executable).parent / "icc-assistant"
CORPORA = [ROOT / "corpus", ROOT.parent / "shared/eval/multilingual/corpus"]
QUESTION_FILES = [
    ROOT.parent / "shared/eval/questions_dev.jsonl",
    ROOT.parent / "shared/eval/multilingual/questions.jsonl",
]


def distinct_questions() -> list[str]:
    """Every development question, and each one naming a city once more for every other city
    the corpora cover, shuffled: thousands of different questions."""
    from icc_assistant import gazetteer

    asked = [
        json.loads(line)["question"]
        for path in QUESTION_FILES
        if path.exists()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    cities = sorted({c for q in asked for c in gazetteer.find_cities(q)})
    found = list(asked)
    for question in asked:
        mentions = gazetteer.mentions(question)
        if mentions:
            first = mentions[0]
            found += [
                question[: first.start] + city + question[first.end :]
                for city in cities
                if city != first.city
            ]
    unique = list(dict.fromkeys(found))
    random.Random(0).shuffle(unique)
    return unique


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (VmHWM), in MB."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for each in pids:
        status = Path(f"/proc/{each}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


async def client_loop(
    client: httpx.AsyncClient,
    url: str,
    deadline: float,
    questions: Iterator[str],
    ttft: list[float],
    errors: list[str],
) -> int:
    done = 0
    while time.perf_counter() < deadline:
        question = next(questions)
        started = time.perf_counter()
        first = None
        try:
            async with client.stream(
                "POST", f"{url}/api/chat/stream", json={"question": question}
            ) as r:
                if r.status_code != 200:
                    errors.append(str(r.status_code))
                    continue
                async for line in r.aiter_lines():
                    if line.startswith("event: token") and first is None:
                        first = time.perf_counter() - started
                    elif line.startswith("event: error"):
                        errors.append("error event")
            if first is not None:
                ttft.append(first)
            done += 1
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
    return done


async def load(
    url: str, clients: int, seconds: float, questions: list[str]
) -> tuple[int, list[float], list[str]]:
    ttft: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients)
    shared = itertools.cycle(questions)  # one iterator: no two chats ask the same question
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        counts = await asyncio.gather(
            *(client_loop(client, url, deadline, shared, ttft, errors) for _ in range(clients))
        )
    if sum(counts) > len(questions):
        print(f"  ({sum(counts)} chats for {len(questions)} questions: some were asked twice)")
    return sum(counts), ttft, errors


def start_service(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(APP), "serve", "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("service did not start")


def measure(
    label: str,
    env: dict[str, str],
    workers: int,
    clients: int,
    seconds: float,
    questions: list[str],
    generator: str,
) -> None:
    port = free_port()
    corpora = [str(c) for c in CORPORA if c.exists()]
    subprocess.run([str(APP), "ingest", *corpora], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    service = start_service(env, port, workers)
    try:
        url = f"http://127.0.0.1:{port}"
        asked = 0
        if generator in ("python", "both"):
            asked = python_load(label, url, clients, seconds, questions)
            print(f"{'':32} peak RSS {peak_rss_mb(service.pid):7.0f} MB")
        if generator in ("wrk", "both"):
            wrk_load(label, url, clients, seconds, questions[asked:] + questions[:asked])
            print(f"{'':32} peak RSS {peak_rss_mb(service.pid):7.0f} MB")
    finally:
        service.terminate()
        service.wait(timeout=30)


def python_load(label: str, url: str, clients: int, seconds: float, questions: list[str]) -> int:
    """Chats/s, TTFT and errors with the Python generator; returns how many chats it made."""
    started = time.perf_counter()
    done, ttft, errors = asyncio.run(load(url, clients, seconds, questions))
    elapsed = time.perf_counter() - started
    p50, p95 = (float(np.percentile(ttft, q)) * 1000 if ttft else float("nan") for q in (50, 95))
    print(
        f"{label + ', python':32} {done / elapsed:8.1f} chats/s  TTFT p50 {p50:7.0f} ms"
        f"  p95 {p95:7.0f} ms  errors {len(errors):4d}"
    )
    return done


# Each wrk thread has its own Lua state: thread n asks questions n, n + threads, n + 2 threads...
# so no two chats of a run ask the same question while the list lasts. A chat fails if it is not
# a 200 or its stream carries an error event.
WRK_SCRIPT = """
local bodies = {%(bodies)s}
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  n = 0
  failed = 0
end
function request()
  local k = (id + n * %(threads)d) %% #bodies + 1
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[k])
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, "event: error", 1, true) then
    failed = failed + 1
  end
end
function done(summary, latency, requests)
  local failed_total = 0
  for _, thread in ipairs(threads) do failed_total = failed_total + thread:get("failed") end
  io.write(string.format("ICC %%d %%d %%.3f %%.3f %%.3f %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    failed_total + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def wrk_load(label: str, url: str, clients: int, seconds: float, questions: list[str]) -> None:
    """Chats/s and time to the end of the answer with wrk, a compiled load generator."""
    threads = 2
    bodies = ",\n".join(f"[==[{json.dumps({'question': q})}]==]" for q in questions)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"bodies": bodies, "threads": threads})
    try:
        run = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "120s",
             "-s", script.name, f"{url}/api/chat/stream"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    line = next(x for x in run.stdout.splitlines() if x.startswith("ICC "))
    requests, duration_us, p50, p95, p99, failed = line.split()[1:]
    rate = int(requests) / (int(duration_us) / 1e6)
    if int(requests) > len(questions):
        print(f"  ({requests} chats for {len(questions)} questions: some were asked twice)")
    print(
        f"{label + ', wrk':32} {rate:8.1f} chats/s  whole answer p50 {float(p50) / 1000:7.0f} ms"
        f"  p95 {float(p95) / 1000:7.0f} ms  p99 {float(p99) / 1000:7.0f} ms  errors {failed:>4}"
    )


def profile_chats(data_dir: Path, fake_url: str, questions: list[str], chats: int) -> None:
    """Where a chat's CPU goes: cProfile over `chats` chats through the library."""
    from icc_assistant.answer import AnswerRequest
    from icc_assistant.assistant import Assistant
    from icc_assistant.settings import Settings

    settings = Settings(
        data_dir=data_dir, llm_base_url=fake_url, llm_model="fake-model", llm_max_retries=0
    )
    assistant = Assistant.open(settings)
    assistant.ask(AnswerRequest(question="warm-up question"))
    profiler = cProfile.Profile()
    profiler.enable()
    for question in questions[:chats]:
        assistant.ask(AnswerRequest(question=question))
    profiler.disable()
    print(f"\nprofile of {chats} chats (cumulative seconds, top 25):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--profile", type=int, default=0, help="Profile this many chats.")
    parser.add_argument(
        "--generator", choices=("python", "wrk", "both"), default="python",
        help="Load generator: Python (httpx), wrk (compiled; apt-get install wrk), or both.",
    )  # fmt: skip
    parser.add_argument(
        "--keep", type=Path, default=None,
        help="Keep both deployments' indexes under DIR and reuse them (ingest skips what it "
        "holds), so that repeated runs time the service, not the ingest.",
    )  # fmt: skip
    args = parser.parse_args(argv)
    questions = distinct_questions()
    fake = FakeOpenAIServer().start()
    base = {**os.environ, "ICC_LLM_BASE_URL": fake.url, "ICC_LLM_MODEL": "fake-model",
            "ICC_LLM_MAX_RETRIES": "0", "ICC_RATE_LIMIT_PER_MINUTE": "1000000",
            "ICC_LOG_LEVEL": "WARNING"}  # fmt: skip
    print(
        f"{args.clients} concurrent streaming chats for {args.seconds:.0f} s on loopback, "
        f"{len(questions)} distinct questions"
    )
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        embedded = {**base, "ICC_DATA_DIR": str(Path(tmp) / "embedded")}
        measure(
            "1 process, embedded Chroma", embedded, 1, args.clients, args.seconds, questions,
            args.generator,
        )  # fmt: skip
        if args.profile:
            profile_chats(Path(tmp) / "embedded", fake.url, questions[::-1], args.profile)
        chroma = ChromaProcess(Path(tmp) / "chroma").start()
        try:
            server = {
                **base,
                "ICC_DATA_DIR": str(Path(tmp) / "server"),
                "ICC_CHROMA_HOST": "127.0.0.1",
                "ICC_CHROMA_PORT": str(chroma.port),
            }
            measure(
                "2 workers + chroma run server", server, 2, args.clients, args.seconds,
                questions, args.generator,
            )  # fmt: skip
        finally:
            chroma.stop()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
