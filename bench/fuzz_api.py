"""Schemathesis over the whole OpenAPI schema with a large example budget (the suite runs a
bounded one), once without a key and once as an admin (so /api/sync and the other admin routes
get past the key check), then generated JSON-RPC messages and garbage to /mcp: prints requests
per operation, 5xx and schema violations (targets: zero).

    python bench/fuzz_api.py [--examples 200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.live_server import ServerThread  # noqa: E402
from fuzzing import fuzz, fuzz_mcp  # noqa: E402
from icc_assistant.settings import Settings  # noqa: E402

APP = Path(sys.executable).parent / "icc-assistant"
ADMIN = {"Authorization": "Bearer admin-key"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per operation")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), admin_keys=["admin-key"], rate_limit_per_minute=10_000_000,
            log_level="ERROR", sync_timeout=1.0, sync_retries=0,
        )  # fmt: skip
        subprocess.run([str(APP), "ingest", "--data-dir", tmp, str(ROOT / "corpus")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        server = ServerThread(settings).start()
        try:
            started = time.perf_counter()
            calls, failures = fuzz(server.url, args.examples)
            admin_calls, admin_failures = fuzz(server.url, args.examples, ADMIN)
            mcp_calls, mcp_failures = fuzz_mcp(server.url, args.examples)
            elapsed = time.perf_counter() - started
            calls.update({f"(admin) {label}": n for label, n in admin_calls.items()})
            calls.update({f"/mcp {label}": n for label, n in mcp_calls.items()})
            failures += admin_failures + mcp_failures
        finally:
            server.stop()
    for label, count in sorted(calls.items()):
        print(f"{count:6d}  {label}")
    print(f"{sum(calls.values())} requests over {len(calls)} operations in {elapsed:.0f} s")
    server_errors = sum("not_a_server_error" in f or "Server error" in f for f in failures)
    print(f"failures: {len(failures)} (server errors {server_errors})")
    for failure in failures:
        print("  " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
