"""Schemathesis over the app's OpenAPI schema, on a real server: no input makes it fail (5xx)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from fixtures.live_server import Serve

EXAMPLES_PER_OPERATION = 6


def test_no_generated_request_causes_a_server_error(serve: Serve) -> None:
    """Bounded generated requests to every operation in the schema never get a 5xx."""
    url = serve(admin_keys=["admin-key"], rate_limit_per_minute=100_000)
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(timeout=60)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")

        call()
    assert failures == []
