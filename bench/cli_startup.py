"""How long `ask`, `search` and `stats` take from the shell, against the import floor.

The floor is a Python process that only imports chromadb and onnxruntime, which every one of
these commands needs (the index and the embedder); the goal is each command within 3x of it.
Each command runs RUNS times, alternating with the floor so that the machine's load falls on
both alike; the medians and ratios are printed, with the load average before and after. The
index is built once in a temporary data directory from corpus/ (or give --data-dir).

    python bench/cli_startup.py [--runs 7] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = Path(sys.executable).parent / "icc-assistant"
FLOOR = [sys.executable, "-c", "import chromadb, onnxruntime"]
COMMANDS = {
    "ask": [str(APP), "ask", "How do cities fight rumours?"],
    "search": [str(APP), "search", "anti-rumour strategy", "--json"],
    "stats": [str(APP), "stats"],
}


def seconds(command: list[str], env: dict[str, str]) -> float:
    """Wall time of one run, its output to a pipe (not a terminal), as a script would read it."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[1:3])} failed:\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="an index to use (default: built here)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data_dir = args.data_dir or Path(work) / "data"
        env = {**os.environ, "ICC_DATA_DIR": str(data_dir)}
        env.pop("ICC_LLM_BASE_URL", None)
        if args.data_dir is None:
            subprocess.run([str(APP), "ingest", str(ROOT / "corpus")], env=env, check=True,
                           capture_output=True)  # fmt: skip
        for command in COMMANDS.values():
            seconds(command, env)  # first runs build the user's caches (encoder graph, tables)
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        floor: list[float] = []
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):
            for name, command in COMMANDS.items():
                floor.append(seconds(FLOOR, env))
                times[name].append(seconds(command, env))
        base = statistics.median(floor)
        print(f"import chromadb, onnxruntime: median {base:.2f} s ({len(floor)} runs)")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:7s} median {median:.2f} s  {median / base:.1f}x the floor")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
