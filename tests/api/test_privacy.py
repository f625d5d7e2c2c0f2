"""Erasure and retention over HTTP: admins only (404 to anyone else), problems for bad
input, idempotent retries, and the retention plan by name."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from api.auth import mint_token
from appraisals.wiring import Container
from commands import messages as m
from commands.principal import Principal
from config.settings import Settings
from testkit.scenario import Org
from tests.api.conftest import Auth


def _leave(container: Container, org: Org, on: str = "2024-01-31") -> None:
    from datetime import date

    container.commands.execute(
        m.RecordStaffLeaving(
            staff_id=org.appraisee_id, effective_date=date.fromisoformat(on), reason="moved"
        ),
        org.admin,
    )


def _head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def test_an_admin_erases_a_leaver_and_a_retry_answers_the_same(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    _leave(api_container, org)
    headers = auth(org.admin) | {"Idempotency-Key": f"erase-{uuid.uuid4()}"}
    url = f"/v1/privacy/erasures/{org.appraisee_id}"
    first = client.post(url, json={"reason": "their written request"}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["person_id"] == str(org.appraisee_id) and body["replayed"] is False
    head = _head(api_container)
    again = client.post(url, json={"reason": "their written request"}, headers=headers)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["position"] == body["position"]
    assert _head(api_container) == head
    person = client.get(f"/v1/staff/{org.appraisee_id}", headers=auth(org.admin))
    if person.status_code == 200:
        assert "Ann" not in person.text
    # A second erasure (without the key) is a rule, not a second event.
    twice = client.post(url, json={"reason": "again please"}, headers=auth(org.admin))
    assert twice.status_code == 422 and twice.json()["rule"] == "not-erased"
    assert _head(api_container) == head


def test_anyone_but_the_trusts_admins_is_answered_not_found(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    _leave(api_container, org)
    head = _head(api_container)
    url = f"/v1/privacy/erasures/{org.appraisee_id}"
    missing = client.post(
        f"/v1/privacy/erasures/{uuid.uuid4()}", json={"reason": "asked"}, headers=auth(org.admin)
    )
    assert missing.status_code == 404
    for who in (org.trust_leader, org.school_leader, org.appraiser, org.appraisee, org.auditor):
        answer = client.post(url, json={"reason": "asked"}, headers=auth(who))
        assert answer.status_code == 404, (who.role, answer.text)
        assert answer.json()["detail"] == missing.json()["detail"]
    assert _head(api_container) == head


def test_bad_input_is_a_problem_and_records_nothing(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    head = _head(api_container)
    url = f"/v1/privacy/erasures/{org.appraisee_id}"
    for body in ({}, {"reason": ""}, {"reason": "asked", "basis": "whim"}, {"reason": 5}):
        answer = client.post(url, json=body, headers=auth(org.admin))
        assert answer.status_code == 422, body
        assert answer.headers["content-type"].startswith("application/problem+json")
    bad_id = client.post(
        "/v1/privacy/erasures/not-a-uuid", json={"reason": "asked"}, headers=auth(org.admin)
    )
    assert bad_id.status_code == 422
    # Someone still employed is not erased: their leaving comes first.
    employed = client.post(url, json={"reason": "asked"}, headers=auth(org.admin))
    assert employed.status_code == 422 and employed.json()["rule"] == "erase-only-leavers"
    assert _head(api_container) == head


def test_the_retention_plan_lists_leavers_due_by_name(
    client: TestClient, api_container: Container, org: Org, auth: Auth, api_settings: Settings
) -> None:
    _leave(api_container, org, "2020-03-31")
    policy = client.post(
        "/v1/privacy/retention-policy",
        json={"trust_id": str(org.trust_id), "erase_after_years": 6, "reason": "schedule s4"},
        headers=auth(org.admin),
    )
    assert policy.status_code == 200, policy.text
    api_container.projections.wait_for(policy.json()["position"], timeout=30)
    plan_url = f"/v1/privacy/retention?trust_id={org.trust_id}"
    before = client.get(plan_url + "&on=2026-03-30", headers=auth(org.admin))
    assert before.status_code == 200 and before.json() == []
    due = client.get(plan_url + "&on=2026-03-31", headers=auth(org.admin)).json()
    assert [(d["person_id"], d["erase_on"], d["years"]) for d in due] == [
        (str(org.appraisee_id), "2026-03-31", 6)
    ]
    assert due[0]["name"] and due[0]["name"] != "Erased person"
    for who in (org.trust_leader, org.appraisee, org.auditor):
        assert client.get(plan_url, headers=auth(who)).status_code == 404
    other = Principal(uuid.uuid4(), org.admin.role, trust_id=uuid.uuid4())
    token = mint_token(
        other, secret=api_settings.jwt_secret.get_secret_value(), issuer=api_settings.jwt_issuer
    )
    assert client.get(plan_url, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    # Only admins set the policy.
    refused = client.post(
        "/v1/privacy/retention-policy",
        json={"trust_id": str(org.trust_id), "erase_after_years": 7, "reason": "schedule s5"},
        headers=auth(org.trust_leader),
    )
    assert refused.status_code in (403, 404)
