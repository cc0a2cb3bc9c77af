"""Load on loopback: concurrent streaming chats for a bounded time, two deployments compared.

(a) one process on the embedded store, (b) `serve --workers 2` against a `chroma run` server;
both answer through the fake OpenAI-compatible model. Prints throughput, p50/p95 time to the
first token, errors and the peak RSS of the service's processes.

    python bench/load.py [--clients 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.fake_openai import FakeOpenAIServer  # noqa: E402
from fixtures.chroma_server import ChromaProcess, free_port  # noqa: E402

APP = Path(sys.executable).parent / "icc-assistant"
QUESTIONS = [
    "Comment les villes organisent-elles des campagnes anti-rumeurs ?",
    "How many elementary schools are there in Ansan?",
    "안산시는 외국인 주민을 위한 신문을 발행하나요?",
    "What does Ansan's Research and Monitoring Unit (RIMU) do?",
]


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
    n: int,
    ttft: list[float],
    errors: list[str],
) -> int:
    done = 0
    while time.perf_counter() < deadline:
        question = QUESTIONS[(n + done) % len(QUESTIONS)]
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


async def load(url: str, clients: int, seconds: float) -> tuple[int, list[float], list[str]]:
    ttft: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        counts = await asyncio.gather(
            *(client_loop(client, url, deadline, n, ttft, errors) for n in range(clients))
        )
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


def measure(label: str, env: dict[str, str], workers: int, clients: int, seconds: float) -> None:
    port = free_port()
    subprocess.run([str(APP), "ingest", str(ROOT / "corpus")], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    service = start_service(env, port, workers)
    try:
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        done, ttft, errors = asyncio.run(load(url, clients, seconds))
        elapsed = time.perf_counter() - started
        p50, p95 = (
            float(np.percentile(ttft, q)) * 1000 if ttft else float("nan") for q in (50, 95)
        )
        rss = peak_rss_mb(service.pid)
        print(
            f"{label:32} {done / elapsed:8.1f} chats/s  TTFT p50 {p50:7.0f} ms  p95 {p95:7.0f} ms"
            f"  errors {len(errors):4d}  peak RSS {rss:7.0f} MB"
        )
    finally:
        service.terminate()
        service.wait(timeout=30)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    fake = FakeOpenAIServer().start()
    base = {**os.environ, "ICC_LLM_BASE_URL": fake.url, "ICC_LLM_MODEL": "fake-model",
            "ICC_LLM_MAX_RETRIES": "0", "ICC_RATE_LIMIT_PER_MINUTE": "1000000",
            "ICC_LOG_LEVEL": "WARNING"}  # fmt: skip
    print(f"{args.clients} concurrent streaming chats for {args.seconds:.0f} s on loopback")
    with tempfile.TemporaryDirectory() as tmp:
        embedded = {**base, "ICC_DATA_DIR": str(Path(tmp) / "embedded")}
        measure("1 process, embedded Chroma", embedded, 1, args.clients, args.seconds)
        chroma = ChromaProcess(Path(tmp) / "chroma").start()
        try:
            server = {
                **base,
                "ICC_DATA_DIR": str(Path(tmp) / "server"),
                "ICC_CHROMA_HOST": "127.0.0.1",
                "ICC_CHROMA_PORT": str(chroma.port),
            }
            measure("2 workers + chroma run server", server, 2, args.clients, args.seconds)
        finally:
            chroma.stop()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
