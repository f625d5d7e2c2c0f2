"""An aggregate as it was, through the API: at a version, at a moment, and scoped by role."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient

from appraisals.wiring import Container
from commands import messages as m
from commands.principal import Principal
from events.base import Role
from testkit.scenario import Org, build_org
from tests.api.conftest import Auth

pytestmark = pytest.mark.integration


def _revised_objective(container: Container, org: Org) -> uuid.UUID:
    run = container.commands.execute
    oid = run(
        m.DraftObjective(
            review_id=org.review_id,
            title="Improve Year 2 phonics",
            success_criteria=["90% pass the screening check"],
            due_date=date(2026, 6, 30),
        ),
        org.appraiser,
    ).aggregate_id
    run(m.AgreeObjective(objective_id=oid), org.appraiser)
    run(m.AgreeObjective(objective_id=oid), org.appraisee)
    run(
        m.ReviseObjective(
            objective_id=oid, title="Improve Year 2 phonics and spelling", reason="Wider focus"
        ),
        org.appraiser,
    )
    return oid


def test_an_auditor_sees_an_objective_as_it_was_at_each_version(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    oid = _revised_objective(api_container, org)
    now = client.get(f"/v1/audit/aggregates/{oid}", headers=auth(org.auditor)).json()
    assert now["kind"] == "objective" and now["version"] == 4
    assert now["state"]["content"]["title"] == "Improve Year 2 phonics and spelling"
    assert now["state"]["status"] == "draft"  # revision cleared the agreement
    assert [e["type"] for e in now["events"]] == [
        "ObjectiveDrafted",
        "ObjectiveAgreed",
        "ObjectiveAgreed",
        "ObjectiveRevised",
    ]
    revised = now["events"][3]
    assert revised["data"]["reason"] == "Wider focus"
    assert revised["actor_id"] == str(org.appraiser_id)
    # Each event carries the hash of the record before it.
    for before, after in zip(now["events"], now["events"][1:], strict=False):
        assert after["prev_hash"] == before["record_hash"]

    then = client.get(f"/v1/audit/aggregates/{oid}?version=3", headers=auth(org.auditor)).json()
    assert then["version"] == 3 and then["state"]["status"] == "agreed"
    assert then["state"]["content"]["title"] == "Improve Year 2 phonics"

    moment = now["events"][0]["timestamp"]
    at_draft = client.get(
        f"/v1/audit/aggregates/{oid}", params={"as_of": moment}, headers=auth(org.auditor)
    ).json()
    assert at_draft["version"] == 1


def test_who_may_see_an_aggregates_history(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    oid = _revised_objective(api_container, org)
    other = build_org(api_container.commands, name="Birch Trust")
    allowed = [org.auditor, org.trust_leader, org.admin, org.school_leader, org.appraisee]
    allowed.append(org.appraiser)
    for principal in allowed:
        r = client.get(f"/v1/audit/aggregates/{oid}", headers=auth(principal))
        assert r.status_code == 200, principal
    stranger = Principal(uuid.uuid4(), Role.STAFF, trust_id=org.trust_id)
    denied = [org.analyst, org.other_school_leader, stranger, other.auditor, other.admin]
    missing = client.get(f"/v1/audit/aggregates/{uuid.uuid4()}", headers=auth(org.auditor))
    for principal in denied:
        r = client.get(f"/v1/audit/aggregates/{oid}", headers=auth(principal))
        # Denied reads look exactly like records that do not exist.
        assert r.status_code == 404, principal
        assert r.json()["detail"].split(" ")[:3] == missing.json()["detail"].split(" ")[:3]
    assert client.get(f"/v1/audit/aggregates/{oid}").status_code == 401
