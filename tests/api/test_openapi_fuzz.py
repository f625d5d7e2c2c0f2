"""Schemathesis against our own OpenAPI: no 5xx, and every response conforms to the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from appraisals.app import create_app
from appraisals.wiring import Container
from testkit.scenario import build_org
from tests.api.conftest import Auth

pytestmark = pytest.mark.integration

CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
# Examples per operation: over 40 operations, well past the 1,000 the service must survive.
EXAMPLES_PER_OPERATION = 25


def test_the_api_never_fails_and_answers_as_documented(
    api_container: Container, auth: Auth
) -> None:
    org = build_org(api_container.commands, name="Fuzz Trust")
    headers = auth(org.trust_leader)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(container=api_container))
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) > 40
    calls = 0
    failures: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def exercise(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.path}: {response.text[:300]}")
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            case.validate_response(response, checks=CHECKS)

        exercise()
    assert not failures
    assert calls >= 1000, calls
