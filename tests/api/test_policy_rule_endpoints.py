"""The appraisal-policy rules through the real app: what a caller is told."""

from __future__ import annotations

from fastapi.testclient import TestClient

from testkit.scenario import Org
from tests.api.conftest import Auth


def test_starting_a_second_review_for_the_same_person_and_cycle_is_a_409_linking_it(
    client: TestClient, auth: Auth, org: Org
) -> None:
    body = {
        "cycle_id": str(org.cycle_id),
        "appraisee_id": str(org.appraisee_id),
        "appraiser_id": str(org.appraiser_id),
    }
    r = client.post("/v1/reviews", json=body, headers=auth(org.school_leader))
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"].endswith("already-exists")
    assert "already has a review" in problem["detail"]
    assert problem["existing_id"] == str(org.review_id)
    assert problem["existing"] == f"/v1/reviews/{org.review_id}"


def test_an_objective_citing_an_unknown_standard_is_a_422_naming_the_code(
    client: TestClient, auth: Auth, org: Org
) -> None:
    r = client.post(
        "/v1/objectives",
        json={
            "review_id": str(org.review_id),
            "title": "Raise reading",
            "success_criteria": ["85%"],
            "standards": ["TS2", "ZZ99"],
            "due_date": "2026-07-10",
        },
        headers=auth(org.appraiser),
    )
    assert r.status_code == 422, r.text
    assert r.json()["rule"] == "standard-known" and "ZZ99" in r.json()["detail"]


def test_a_meeting_outside_its_window_without_a_reason_is_a_422(
    client: TestClient, auth: Auth, org: Org
) -> None:
    rv = f"/v1/reviews/{org.review_id}/meetings"
    late = {"kind": "planning", "held_on": "2025-12-01", "notes": "Planned late"}
    r = client.post(rv, json=late, headers=auth(org.appraiser))
    assert r.status_code == 422 and r.json()["rule"] == "meeting-window-reason", r.text
    r = client.post(
        rv, json={**late, "outside_window_reason": "Long-term absence"}, headers=auth(org.appraiser)
    )
    assert r.status_code == 200, r.text


def test_a_review_with_no_agreed_objective_is_not_assessed(
    client: TestClient, auth: Auth, org: Org
) -> None:
    rv = f"/v1/reviews/{org.review_id}"
    for kind, day in (
        ("planning", "2025-09-20"),
        ("mid_year", "2026-02-20"),
        ("end_year", "2026-07-01"),
    ):
        r = client.post(
            f"{rv}/meetings",
            json={"kind": kind, "held_on": day, "notes": "Met"},
            headers=auth(org.appraiser),
        )
        assert r.status_code == 200, r.text
    r = client.post(
        f"{rv}/assessment",
        json={"overall": "meets", "summary": "Good"},
        headers=auth(org.appraiser),
    )
    assert r.status_code == 422 and r.json()["rule"] == "objectives-agreed", r.text
