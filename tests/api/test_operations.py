"""Operational endpoints: liveness, readiness with projection lag, Prometheus metrics."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from testkit.scenario import Org
from tests.api.conftest import Auth

pytestmark = pytest.mark.integration


def test_health_and_readiness(client: TestClient, org: Org) -> None:  # noqa: ARG001 - org makes events
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code in (200, 503)
    body = ready.json()
    assert body["head_position"] > 0
    assert set(body["projections"]) >= {"objective_current", "audit_log"}


def test_metrics_count_requests_and_commands_and_show_projection_lag(
    client: TestClient, auth: Auth, org: Org
) -> None:
    client.post(
        f"/v1/reviews/{org.review_id}/self-assessment",
        json={"text": "I led the phonics catch-up."},
        headers=auth(org.appraisee),
    )
    client.post(
        f"/v1/reviews/{org.review_id}/self-assessment",
        json={"text": "x"},
        headers=auth(org.appraiser),
    )
    text = client.get("/metrics").text
    assert 'appraisals_commands_total{command="SubmitSelfAssessment",outcome="accepted"}' in text
    assert 'appraisals_commands_total{command="SubmitSelfAssessment",outcome="forbidden"}' in text
    assert "appraisals_http_request_seconds_bucket" in text
    assert 'appraisals_projection_lag_events{projection="audit_log"' in text


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
