"""Schemathesis over a running service's OpenAPI schema: shared by the suite and bench/."""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def fuzz(
    url: str, examples: int, headers: dict[str, str] | None = None
) -> tuple[Counter[str], list[str]]:
    """Generate `examples` requests per operation; return (calls per operation, failures).

    A failure is a 5xx, a status the schema does not document, or a body or content type that
    does not match the schema."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    calls: Counter[str] = Counter()
    failures: list[str] = []
    for operation in operations:
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers, timeout=60)
            calls[label] += 1  # noqa: B023 - called before the loop moves on
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (AssertionError, FailureGroup) as exc:
                first = str(exc).strip().splitlines()[:6]
                failures.append(
                    f"{case.method} {case.formatted_path} -> "
                    f"{response.status_code}: {' | '.join(first)}"
                )

        call()
    return calls, failures
