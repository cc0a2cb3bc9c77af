"""A short chat's latency while one client floods briefing notes, against the same chat idle.

Starts `icc-assistant serve` (one process, the embedded index of corpus/ plus
../shared/eval/multilingual/corpus when it is there) believing X-Forwarded-For from loopback, so
the bench speaks as several clients: a chatter asks short questions one after another, and a
flooder keeps `--flooders` requests for Word briefing notes on 2,000-character enquiries in
flight, as fast as the service answers them. Prints the chatter's p50 and p95 idle and under the
flood, and their ratio (the goal: p95 within 2x of idle), what the flooder got (notes written,
429s), and the service's CPU seconds. `--clients N` spreads the flood over N addresses (each
with its own budget), which leaves only the bound on concurrent notes between them and the
chats. First it measures what each kind of request costs the service in CPU seconds, beside the
units it is charged (`api/limits.py`).

Run it on another tree's code to compare: install that tree into the venv, or run this script
with that tree's `icc-assistant` as `--app`.

    python bench/limits.py [--chats 40] [--flooders 8] [--clients 1] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from brief import build_index  # noqa: E402

from fixtures.chroma_server import free_port  # noqa: E402

APP = Path(sys.executable).parent / "icc-assistant"
TOPICS = ("migrant pupils", "anti-rumour work", "newcomers", "housing", "public space",
          "language classes", "festivals", "youth", "libraries", "sport clubs", "elders",
          "refugees", "employment", "mediation", "participation", "media")  # fmt: skip
CITIES = ("Ansan", "cities", "Bergen", "Lisbon", "Oslo")
WORDS = ("city", "migrants", "rumour", "schools", "housing", "inclusion", "festival",
         "library", "council", "youth", "sport", "neighbourhood", "volunteers")  # fmt: skip


def short_questions(count: int) -> list[str]:
    """Distinct short questions, so no cache answers one."""
    forms = ("What does {} do about {}?", "How does {} handle {}?", "Why does {} care for {}?")
    asked = [form.format(c, t) for form in forms for c in CITIES for t in TOPICS]
    random.Random(7).shuffle(asked)
    return asked[:count]


def long_enquiry(seed: int) -> str:
    """A distinct enquiry of about 1,990 characters."""
    rng = random.Random(seed)
    text = f"Enquiry {seed}: how do cities run anti-rumour campaigns with "
    while len(text) < 1990:
        text += rng.choice(WORDS) + " "
    return text[:1990]


class Service:
    """`icc-assistant serve` on a free port, its CPU time read from /proc."""

    def __init__(self, app: Path, data_dir: Path, store: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {**os.environ, "ICC_DATA_DIR": str(data_dir), "ICC_TRUSTED_PROXIES": "127.0.0.1",
               "ICC_RATE_LIMIT_STORE": str(store), "ICC_LOG_LEVEL": "WARNING"}  # fmt: skip
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [str(app), "serve", "--port", port], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the service did not start")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def post(url: str, path: str, body: dict, address: str) -> tuple[int, float]:
    """Status and seconds of one POST from `address`."""
    started = time.perf_counter()
    response = httpx.post(
        f"{url}{path}", json=body, headers={"X-Forwarded-For": address}, timeout=300
    )
    return response.status_code, time.perf_counter() - started


def chat_latencies(url: str, questions: list[str], address: str) -> list[float]:
    times = []
    for question in questions:
        status, seconds = post(url, "/api/chat", {"question": question}, address)
        assert status == 200, status
        times.append(seconds)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure_costs(service: Service) -> None:
    """CPU seconds the service spends on each kind of request (median of three, each from an
    address of its own, so that no budget runs out), beside the units it is charged."""
    try:
        from icc_assistant.api.limits import brief_cost, question_cost
    except ImportError:  # a tree without cost units
        brief_cost = question_cost = None  # type: ignore[assignment]
    kinds = {
        "chat, short question": ("/api/chat", lambda i: {"question": f"What is RIMU, {i}?"}),
        "chat, 2,000 chars": ("/api/chat", lambda i: {"question": long_enquiry(100 + i)}),
        "note (md), short": ("/api/brief", lambda i: {"question": f"Anti-rumour work {i}?"}),
        "note (md), 2,000 chars": ("/api/brief", lambda i: {"question": long_enquiry(200 + i)}),
        "note (docx), 2,000 chars": (
            "/api/brief", lambda i: {"question": long_enquiry(300 + i), "format": "docx"}
        ),
    }  # fmt: skip
    print(f"{'request':<32} {'CPU s':>7} {'units':>6}")
    for n, (name, (path, body)) in enumerate(kinds.items()):
        seconds = []
        for i in range(3):
            before = service.cpu_seconds()
            status, _ = post(service.url, path, body(i), f"203.0.113.{3 * n + i + 1}")
            assert status == 200, (name, status)
            seconds.append(service.cpu_seconds() - before)
        units = "-"
        if question_cost is not None:
            question = body(0)["question"]
            docx = body(0).get("format") == "docx"
            brief = path == "/api/brief"
            units = str(brief_cost(question, docx) if brief else question_cost(question))
        print(f"{name:<32} {statistics.median(seconds):>7.3f} {units:>6}")


def flood(url: str, flooders: int, clients: int, stop: Event, out: Queue) -> None:
    """Keep `flooders` note requests in flight from `clients` addresses until `stop`; put the
    count of each status in `out`. Runs in a process of its own at the lowest priority, as a
    client on another machine would: its own CPU is not the service's to pay."""
    os.nice(19)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def flooder(n: int) -> None:
        address, seed = f"198.51.100.{n % clients + 1}", 1000 * (n + 1)
        with httpx.Client(timeout=300) as client:
            while not stop.is_set():
                seed += 1
                body = {"question": long_enquiry(seed), "format": "docx"}
                status = client.post(
                    f"{url}/api/brief", json=body, headers={"X-Forwarded-For": address}
                ).status_code
                with lock:
                    statuses[status] += 1

    threads = [threading.Thread(target=flooder, args=(n,)) for n in range(flooders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(dict(statuses))


def flooded_chats(
    service: Service, args: argparse.Namespace, questions: list[str]
) -> tuple[list[float], tuple[float, float], Counter[int]]:
    """The chatter's latencies while the flood runs; (seconds, service CPU seconds) of the
    flood; the flooder's statuses."""
    stop, out = multiprocessing.Event(), multiprocessing.Queue()
    flooding = multiprocessing.Process(
        target=flood, args=(service.url, args.flooders, args.clients, stop, out)
    )
    cpu = service.cpu_seconds()
    started = time.monotonic()
    flooding.start()
    time.sleep(2)  # the flood is under way before the first timed chat
    seconds = chat_latencies(service.url, questions, "192.0.2.2")
    stop.set()
    statuses = Counter(out.get(timeout=600))
    flooding.join()
    return seconds, (time.monotonic() - started, service.cpu_seconds() - cpu), statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=60, help="Chats timed idle, and flooded.")
    parser.add_argument("--rounds", type=int, default=3, help="Idle and flooded blocks, in turn.")
    parser.add_argument("--flooders", type=int, default=8, help="Note requests in flight.")
    parser.add_argument("--clients", type=int, default=1, help="Addresses the flood comes from.")
    parser.add_argument("--data-dir", type=Path, help="An index to use (built if missing).")
    parser.add_argument("--app", type=Path, default=APP, help="The icc-assistant to serve with.")
    parser.add_argument("--skip-costs", action="store_true", help="Do not measure costs first.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        build_index(data_dir)
        service = Service(args.app, data_dir, Path(tmp) / "limits.sqlite3")
        try:
            questions = short_questions(2 * args.chats + 5)
            assert len(questions) == 2 * args.chats + 5, "not that many distinct questions"
            chat_latencies(service.url, questions[:5], "192.0.2.9")  # warm up
            if not args.skip_costs:
                measure_costs(service)
            idle, flooded, statuses = [], [], Counter[int]()
            elapsed = cpu = 0.0
            per_round = args.chats // args.rounds
            for n in range(args.rounds):  # alternating, so that the machine's drift hits both
                start = 5 + 2 * n * per_round
                idle += chat_latencies(
                    service.url, questions[start : start + per_round], "192.0.2.1"
                )
                asked = questions[start + per_round : start + 2 * per_round]
                seconds, used, got = flooded_chats(service, args, asked)
                flooded += seconds
                statuses.update(got)
                elapsed, cpu = elapsed + used[0], cpu + used[1]
        finally:
            service.stop()
    other = sum(statuses.values()) - statuses[200] - statuses[429]
    print(f"\nchat latency, {len(idle)} short questions one after another (seconds)")
    print(f"{'':<10} {'p50':>7} {'p95':>7}")
    for name, times in (("idle", idle), ("flooded", flooded)):
        print(f"{name:<10} {percentile(times, 0.5):>7.3f} {percentile(times, 0.95):>7.3f}")
    ratio = percentile(flooded, 0.95) / percentile(idle, 0.95)
    print(f"p95 flooded / idle: {ratio:.2f} (goal: at most 2)")
    print(
        f"flood: {args.flooders} Word notes on 2,000-character enquiries in flight from "
        f"{args.clients} address(es) for {elapsed:.0f} s: {statuses[200]} written, "
        f"{statuses[429]} refused (429), other {other}; "
        f"service CPU {cpu:.1f} s ({cpu / elapsed:.2f} cores)"
    )  # fmt: skip


if __name__ == "__main__":
    main()
