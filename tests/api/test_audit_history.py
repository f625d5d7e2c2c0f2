"""A review's timeline, and the audit log exported as CSV and JSON Lines."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

import orjson
import pytest
from fastapi.testclient import TestClient

from appraisals.wiring import Container
from commands import messages as m
from testkit.scenario import Org
from tests.api.conftest import Auth

pytestmark = pytest.mark.integration


def _story(container: Container, org: Org) -> tuple[uuid.UUID, int]:
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
        m.ReviseObjective(objective_id=oid, title="Improve phonics and spelling", reason="Wider"),
        org.appraiser,
    )
    last = run(
        m.RecordMeeting(
            review_id=org.review_id, kind="planning", held_on=date(2025, 9, 20), notes="Plan"
        ),
        org.appraiser,
    )
    assert container.projections.wait_for(last.position or 0, timeout=10)
    return oid, last.position or 0


def test_a_reviews_timeline_tells_its_story_and_its_objectives(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    oid, last = _story(api_container, org)
    url = f"/v1/audit/reviews/{org.review_id}/timeline"
    r = client.get(url, headers=auth(org.appraisee))
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    assert [(e["aggregate_type"], e["event_type"]) for e in entries] == [
        ("review", "ReviewStarted"),
        ("objective", "ObjectiveDrafted"),
        ("review", "ObjectiveLinked"),
        ("objective", "ObjectiveAgreed"),
        ("objective", "ObjectiveAgreed"),
        ("objective", "ObjectiveRevised"),
        ("review", "MeetingRecorded"),
    ]
    positions = [e["position"] for e in entries]
    assert positions == sorted(positions) and positions[-1] == last
    revised = entries[5]
    assert revised["aggregate_id"] == str(oid) and revised["reason"] == "Wider"
    assert revised["actor_id"] == str(org.appraiser_id) and revised["actor_role"] == "staff"
    assert revised["data"]["changes"][0]["field"] == "title"
    assert revised["summary"].startswith("Objective revised (title)")
    assert entries[3]["data"]["by"] == "appraiser"
    # Cut at a moment: only what had happened by then.
    then = client.get(
        url, params={"as_of": entries[2]["timestamp"]}, headers=auth(org.auditor)
    ).json()
    assert [e["position"] for e in then["entries"]] == positions[: len(then["entries"])]
    assert len(then["entries"]) < len(entries)


def test_a_timeline_is_scoped_like_the_review(client: TestClient, auth: Auth, org: Org) -> None:
    url = f"/v1/audit/reviews/{org.review_id}/timeline"
    for principal in (org.appraiser, org.school_leader, org.trust_leader, org.auditor):
        assert client.get(url, headers=auth(principal)).status_code == 200
    for principal in (org.other_school_leader, org.analyst):
        assert client.get(url, headers=auth(principal)).status_code == 404
    missing = f"/v1/audit/reviews/{uuid.uuid4()}/timeline"
    assert client.get(missing, headers=auth(org.auditor)).status_code == 404
    # An objective is not a review.
    trust = f"/v1/audit/reviews/{org.trust_id}/timeline"
    assert client.get(trust, headers=auth(org.auditor)).status_code == 404


def test_the_audit_log_exports_as_csv_and_json_lines(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    oid, _ = _story(api_container, org)
    listed = client.get(
        "/v1/audit/events", params={"aggregate_id": str(oid)}, headers=auth(org.auditor)
    ).json()["items"]
    assert len(listed) == 4

    r = client.get(
        "/v1/audit/export",
        params={"format": "csv", "aggregate_id": str(oid)},
        headers=auth(org.auditor),
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(row["position"]) for row in rows] == [e["position"] for e in listed]
    assert rows[3]["summary"] == listed[3]["summary"]
    assert rows[0]["actor_id"] == str(org.appraiser_id)

    r = client.get(
        "/v1/audit/export",
        params={"format": "jsonl", "type": "ObjectiveAgreed"},
        headers=auth(org.auditor),
    )
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [orjson.loads(line) for line in r.text.splitlines()]
    assert {line["event_type"] for line in lines} == {"ObjectiveAgreed"}
    assert {line["trust_id"] for line in lines} == {str(org.trust_id)}
    assert {e["aggregate_id"] for e in lines} >= {str(oid)}

    for principal in (org.appraisee, org.analyst, org.school_leader):
        denied = client.get("/v1/audit/export", headers=auth(principal))
        assert denied.status_code == 403
    bad = client.get("/v1/audit/export", params={"format": "xml"}, headers=auth(org.auditor))
    assert bad.status_code == 422
