"""The security log: denied commands and reads, failed sign-ins and revoked-token use are
recorded (who, what, when, from where), readable by the trust's auditors, and never appended
to the appraisal event log."""

from __future__ import annotations

from fastapi.testclient import TestClient

from appraisals.wiring import Container
from testkit.scenario import Org, build_org
from tests.api.conftest import Auth


def _head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def _entries(client: TestClient, auth: Auth, org: Org, kind: str) -> list[dict[str, object]]:
    answer = client.get(
        "/v1/audit/security", params={"kind": kind, "limit": 500}, headers=auth(org.auditor)
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_a_denied_command_is_recorded_with_who_what_when_and_where_not_as_an_event(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    before = _head(api_container)
    denied = client.post(
        f"/v1/reviews/{org.review_id}/appraiser",
        json={"appraiser_id": str(org.appraisee_id), "reason": "I appraise myself"},
        headers=auth(org.appraisee),
    )
    assert denied.status_code == 403
    assert _head(api_container) == before  # the appraisal log did not grow
    mine = [
        e
        for e in _entries(client, auth, org, "denied-command")
        if e["actor_id"] == str(org.appraisee.id)
    ]
    assert mine, "the denial was not recorded"
    entry = mine[-1]
    assert entry["path"] == f"/v1/reviews/{org.review_id}/appraiser"
    assert entry["method"] == "POST" and entry["role"] == "staff"
    assert entry["client"] and entry["at"]


def test_a_hidden_denial_is_recorded_though_it_answers_not_found(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    other = build_org(api_container.commands, name="Hazel Trust")
    answer = client.get(f"/v1/audit/aggregates/{other.review_id}", headers=auth(org.auditor))
    assert answer.status_code == 404
    reads = _entries(client, auth, org, "denied-read")
    assert any(e["path"] == f"/v1/audit/aggregates/{other.review_id}" for e in reads)


def test_revoked_token_use_is_recorded(client: TestClient, auth: Auth, org: Org) -> None:
    headers = auth(org.appraiser)
    assert client.delete("/v1/session", headers=headers).status_code == 204
    assert client.get(f"/v1/audit/aggregates/{org.review_id}", headers=headers).status_code == 401
    used = _entries(client, auth, org, "revoked-token-used")
    assert any(e["actor_id"] == str(org.appraiser.id) for e in used)


def test_a_failed_dashboard_sign_in_is_recorded(
    client: TestClient, api_container: Container, org: Org
) -> None:
    before = api_container.security.log.count()
    site = {"Origin": str(client.base_url)}
    answer = client.post("/session", data={"token": "not-a-token"}, headers=site)
    assert answer.status_code == 422
    entries = api_container.security.log.entries(trust_id=None, kind=None, after=0, limit=10_000)
    assert api_container.security.log.count() > before
    assert entries[-1].kind.value == "failed-sign-in"
    del org


def test_auditors_read_only_their_own_trusts_security_log(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    other = build_org(api_container.commands, name="Rowan Trust")
    client.post(
        f"/v1/reviews/{other.review_id}/appraiser",
        json={"appraiser_id": str(other.appraisee_id), "reason": "Self appraisal"},
        headers=auth(other.appraisee),
    )
    seen = client.get("/v1/audit/security", headers=auth(org.auditor)).json()["items"]
    assert all(e["trust_id"] == str(org.trust_id) for e in seen)
    assert client.get("/v1/audit/security", headers=auth(org.appraisee)).status_code == 403
    assert (
        client.get("/v1/audit/security", params={"kind": "nonsense"}, headers=auth(org.auditor))
    ).status_code == 422
