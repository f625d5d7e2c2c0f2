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

from api.app import create_app
from appraisals.wiring import Container
from tests.api.conftest import Auth
from tests.scenario import build_org

pytestmark = pytest.mark.integration

CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_api_never_fails_and_answers_as_documented(
    api_container: Container, auth: Auth
) -> None:
    org = build_org(api_container.commands, name="Fuzz Trust")
    headers = auth(org.trust_leader)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(container=api_container))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def exercise(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            case.validate_response(response, checks=CHECKS)

        exercise()
