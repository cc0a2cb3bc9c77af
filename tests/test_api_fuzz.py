"""Schemathesis over the app's OpenAPI schema, on a real server: no input gets a 5xx, a status
the schema does not document, or a body that breaks the schema. bench/fuzz_api.py runs the
same with a larger budget."""

from __future__ import annotations

from fixtures.live_server import Serve
from fuzzing import fuzz

EXAMPLES_PER_OPERATION = 6


def test_no_generated_request_breaks_the_schema_or_the_server(serve: Serve) -> None:
    """Bounded generated requests to every operation conform and never get a 5xx."""
    url = serve(admin_keys=["admin-key"], rate_limit_per_minute=100_000)
    calls, failures = fuzz(url, EXAMPLES_PER_OPERATION)
    assert len(calls) >= 10
    assert failures == []
