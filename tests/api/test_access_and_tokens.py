"""Roles granted and revoked over HTTP (events in the audit log; who could see what, when)
and personal API tokens: created, used as bearer tokens, read-only, revoked, expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from appraisals.wiring import Container
from testkit.scenario import Org
from tests.api.conftest import Auth


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def grant_head(client: TestClient, auth: Auth, org: Org) -> dict[str, Any]:
    response = client.post(
        f"/v1/people/{org.appraiser_id}/roles",
        headers=auth(org.admin),
        json={"role": "school_leader", "school_ids": [str(org.school_id)], "reason": "Acting head"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_grant_and_its_revocation_are_events_with_who_and_why(
    client: TestClient, auth: Auth, org: Org
) -> None:
    granted = grant_head(client, auth, org)
    before_revocation = datetime.now(UTC)
    revoked = client.post(
        f"/v1/people/{org.appraiser_id}/roles/{granted['created_id']}/revocation",
        headers=auth(org.admin),
        json={"reason": "Permanent head appointed"},
    )
    assert revoked.status_code == 200, revoked.text
    position = revoked.json()["position"]

    events = client.get(
        f"/v1/audit/events?trust_id={org.trust_id}&min_position={position}",
        headers=auth(org.auditor),
    ).json()["items"]
    kinds = [(e["event_type"], e["actor_id"]) for e in events if e["event_type"].startswith("Role")]
    assert kinds[-2:] == [("RoleGranted", str(org.admin.id)), ("RoleRevoked", str(org.admin.id))]
    assert "Permanent head appointed" in events[-1]["summary"]

    now = client.get(
        f"/v1/trusts/{org.trust_id}/access?min_position={position}", headers=auth(org.auditor)
    ).json()
    assert now["grants"] == []
    then = client.get(
        f"/v1/trusts/{org.trust_id}/access",
        params={"as_of": before_revocation.isoformat()},
        headers=auth(org.auditor),
    ).json()
    [held] = then["grants"]
    assert held["person_name"] == "Bob Appraiser"
    assert held["role"] == "school_leader"
    assert held["school_names"] == ["Oak Primary"]
    assert held["grant_reason"] == "Acting head"
    history = client.get(
        f"/v1/trusts/{org.trust_id}/access/history", headers=auth(org.auditor)
    ).json()["grants"]
    assert history[0]["revoke_reason"] == "Permanent head appointed"


def test_only_administrators_grant_and_others_see_no_trust_access(
    client: TestClient, auth: Auth, org: Org
) -> None:
    body = {"role": "auditor", "reason": "Audit"}
    for who in (org.trust_leader, org.appraisee, org.auditor):
        response = client.post(f"/v1/people/{org.appraisee_id}/roles", headers=auth(who), json=body)
        assert response.status_code == 403, who
    bad = client.post(
        f"/v1/people/{org.appraisee_id}/roles",
        headers=auth(org.admin),
        json={"role": "owner", "reason": "Audit"},
    )
    assert bad.status_code == 422
    assert (
        client.get(f"/v1/trusts/{org.trust_id}/access", headers=auth(org.appraisee)).status_code
        == 404
    )


def test_a_granted_role_acts_through_a_personal_token_and_a_revoked_one_stops_at_once(
    client: TestClient, auth: Auth, org: Org
) -> None:
    granted = grant_head(client, auth, org)
    # Bob signs in (development token for his staff id) and makes himself a token.
    made = client.post(
        "/v1/me/tokens",
        headers=auth(org.appraiser),
        json={"name": "School report script", "scope": "full", "expires_in_days": 30},
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    me = client.get("/v1/me", headers=bearer(token)).json()
    assert me["role"] == "school_leader" and me["name"] == "Bob Appraiser"
    assert me["school_ids"] == [str(org.school_id)]
    client.post(
        f"/v1/people/{org.appraiser_id}/roles/{granted['created_id']}/revocation",
        headers=auth(org.admin),
        json={"reason": "Stepped down"},
    )
    assert client.get("/v1/me", headers=bearer(token)).json()["role"] == "staff"


def test_personal_tokens_are_listed_without_the_secret_read_only_revoked_and_expired(
    client: TestClient, auth: Auth, org: Org, api_container: Container
) -> None:
    made = client.post(
        "/v1/me/tokens", headers=auth(org.appraisee), json={"name": "Reader", "scope": "read"}
    ).json()
    token = made["token"]
    listed = client.get("/v1/me/tokens", headers=auth(org.appraisee)).json()
    assert [t["name"] for t in listed] == ["Reader"]
    assert token not in str(listed)

    head = api_container.store.recorder.max_notification_id() or 0
    assert api_container.projections.wait_for(head, timeout=30)
    review = client.get(f"/v1/reviews/{org.review_id}", headers=bearer(token))
    assert review.status_code == 200
    refused = client.post(
        "/v1/objectives",
        headers=bearer(token),
        json={
            "review_id": str(org.review_id),
            "title": "Read more",
            "success_criteria": ["one book a week"],
            "due_date": "2026-07-01",
        },
    )
    assert refused.status_code == 403
    assert "read-only" in refused.json()["detail"]
    assert (
        client.post(
            "/v1/me/tokens", headers=bearer(token), json={"name": "escalate", "scope": "full"}
        ).status_code
        == 403
    )

    revoked = client.post(f"/v1/me/tokens/{made['id']}/revocation", headers=auth(org.appraisee))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/v1/me", headers=bearer(token)).status_code == 401
    assert (
        client.post(
            f"/v1/me/tokens/{made['id']}/revocation", headers=auth(org.appraisee)
        ).status_code
        == 404
    )

    expiring = client.post(
        "/v1/me/tokens",
        headers=auth(org.appraisee),
        json={"name": "Short", "scope": "read", "expires_in_days": 1},
    ).json()["token"]
    assert client.get("/v1/me", headers=bearer(expiring)).status_code == 200
    tokens = api_container.identity.tokens  # type: ignore[union-attr]
    real_clock = tokens.clock
    tokens.clock = lambda: real_clock() + timedelta(days=2)
    try:
        assert client.get("/v1/me", headers=bearer(expiring)).status_code == 401
    finally:
        tokens.clock = real_clock
    assert client.get("/v1/me", headers=bearer("apl_" + "x" * 43)).status_code == 401


def test_an_administrator_ends_a_persons_sessions(
    client: TestClient, auth: Auth, org: Org, api_container: Container
) -> None:
    identity = api_container.identity
    assert identity is not None
    secret, _ = identity.sessions.start(
        person_id=org.appraisee_id, trust_id=org.trust_id, method="oidc"
    )
    assert client.get("/v1/me/sessions", headers=auth(org.appraisee)).json()[0]["method"] == "oidc"
    denied = client.post(
        f"/v1/people/{org.appraisee_id}/sessions/end", headers=auth(org.trust_leader)
    )
    assert denied.status_code == 404
    ended = client.post(f"/v1/people/{org.appraisee_id}/sessions/end", headers=auth(org.admin))
    assert ended.json() == {"ended": 1}
    assert identity.sessions.find(secret) is None
