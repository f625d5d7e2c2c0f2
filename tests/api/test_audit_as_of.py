"""School and trust summaries ``?as_of=`` a past moment, over HTTP, equal what was live then."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from appraisals.wiring import Container
from commands import messages as m
from testkit.scenario import Org
from tests.api.conftest import Auth

pytestmark = pytest.mark.integration


def _settle(container: Container, position: int) -> None:
    assert container.projections.wait_for(position, timeout=10)


def test_summaries_as_of_a_moment_equal_what_was_live_then(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    run = api_container.commands.execute
    draft = run(
        m.DraftObjective(
            review_id=org.review_id,
            title="Improve Year 2 phonics",
            success_criteria=["90% pass the screening check"],
            due_date=date(2026, 6, 30),
        ),
        org.appraiser,
    )
    _settle(api_container, draft.position or 0)
    school = f"/v1/schools/{org.school_id}/cycles/{org.cycle_id}/summary"
    trust = f"/v1/trusts/{org.trust_id}/cycles/{org.cycle_id}/summary"
    leader = auth(org.trust_leader)
    before_school = client.get(school, headers=leader).json()
    before_trust = client.get(trust, headers=leader).json()
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    oid = draft.aggregate_id
    run(m.AgreeObjective(objective_id=oid), org.appraiser)
    last = run(m.AgreeObjective(objective_id=oid), org.appraisee)
    _settle(api_container, last.position or 0)
    now = client.get(school, headers=leader).json()
    assert now["summary"]["objectives_agreed"] == before_school["summary"]["objectives_agreed"] + 1

    then = client.get(school, params={"as_of": moment.isoformat()}, headers=leader)
    assert then.status_code == 200, then.text
    body = then.json()
    assert body["summary"] == before_school["summary"]
    # Drafting also links the objective to its review: one event after the draft's own.
    assert (draft.position or 0) <= body["position"] < (last.position or 0)
    assert body["as_of"] is not None
    then_trust = client.get(trust, params={"as_of": moment.isoformat()}, headers=leader).json()
    assert then_trust["summary"] == before_trust["summary"]
    # A moment without a zone is UTC; the head of the log is "now".
    naive = moment.replace(tzinfo=None).isoformat()
    assert client.get(school, params={"as_of": naive}, headers=leader).json() == body
    latest = client.get(school, params={"as_of": "2999-01-01T00:00:00Z"}, headers=leader).json()
    assert latest["summary"] == now["summary"]


def test_as_of_is_scoped_like_the_live_summary(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    _settle(api_container, api_container.store.recorder.max_notification_id() or 0)
    school = f"/v1/schools/{org.school_id}/cycles/{org.cycle_id}/summary"
    trust = f"/v1/trusts/{org.trust_id}/cycles/{org.cycle_id}/summary"
    params = {"as_of": "2999-01-01T00:00:00Z"}
    assert client.get(school, params=params, headers=auth(org.school_leader)).status_code == 200
    assert client.get(school, params=params, headers=auth(org.analyst)).status_code == 200
    for principal in (org.other_school_leader, org.appraisee):
        assert client.get(school, params=params, headers=auth(principal)).status_code == 404
    assert client.get(trust, params=params, headers=auth(org.school_leader)).status_code == 404
    assert (
        client.get(school, params={"as_of": "yesterday"}, headers=auth(org.auditor)).status_code
        == 422
    )
