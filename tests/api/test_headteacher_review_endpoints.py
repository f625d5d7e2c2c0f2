"""A headteacher's review through the real app: governors, the panel, the adviser, the page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from appraisals.wiring import Container
from commands.principal import Principal
from events.base import Role
from testkit.scenario import Org
from tests.api.conftest import Auth
from tests.oracle import assert_consistent

WEB_COOKIE = "appraisals_session"


def _post(client: TestClient, auth: Auth, who: Any, path: str, body: Any = None) -> Any:
    r = client.post(path, json=body or {}, headers=auth(who))
    assert r.status_code in (200, 201), r.text
    return r.json()


def _governor(
    client: TestClient, auth: Auth, org: Org, name: str, school: UUID | None
) -> Principal:
    body: dict[str, Any] = {"name": name}
    if school is not None:
        body["school_id"] = str(school)
    answer = _post(client, auth, org.admin, f"/v1/trusts/{org.trust_id}/governors", body)
    schools = frozenset({school}) if school else frozenset()
    return Principal(
        UUID(answer["created_id"]), Role.GOVERNOR, trust_id=org.trust_id, school_ids=schools
    )


def test_a_headteachers_review_is_run_by_a_governors_panel_with_an_external_adviser(
    client: TestClient, auth: Auth, org: Org, api_container: Container
) -> None:
    hana = _post(
        client,
        auth,
        org.admin,
        "/v1/staff",
        {
            "trust_id": str(org.trust_id),
            "name": "Hana Head",
            "email": "hana@oak.example",
            "job_title": "Headteacher",
            "category": "headteacher",
            "school_id": str(org.school_id),
            "start_date": "2020-09-01",
        },
    )["aggregate_id"]
    chair = _governor(client, auth, org, "Grace Chair", org.school_id)
    trustee = _governor(client, auth, org, "Tom Trustee", None)

    # A classroom teacher is refused as the headteacher's appraiser, naming the rule.
    r = client.post(
        "/v1/reviews",
        json={
            "cycle_id": str(org.cycle_id),
            "appraisee_id": hana,
            "appraiser_id": str(org.appraisee_id),
        },
        headers=auth(org.school_leader),
    )
    assert r.status_code == 422 and r.json()["rule"] == "headteacher-appraised-by-panel", r.text

    started = _post(
        client,
        auth,
        org.trust_leader,
        "/v1/reviews/headteacher",
        {
            "cycle_id": str(org.cycle_id),
            "appraisee_id": hana,
            "panel": [str(chair.id), str(trustee.id)],
            "adviser_name": "Dr Morag Finch",
            "adviser_organisation": "Northern School Improvement",
        },
    )
    rv = f"/v1/reviews/{started['aggregate_id']}"
    objective = {
        "review_id": started["aggregate_id"],
        "title": "Lead the reading strategy",
        "success_criteria": ["Reading at standard up 10 points"],
        "standards": ["HS3"],
        "due_date": "2026-07-10",
    }
    r = client.post("/v1/objectives", json=objective, headers=auth(chair))
    assert r.status_code == 422 and r.json()["rule"] == "adviser-consulted", r.text
    # Ordinary staff (the appraiser of another review) cannot act for the panel.
    consult = {"held_on": "2025-09-20", "summary": "Adviser reviewed the school's data"}
    r = client.post(f"{rv}/adviser-consultations", json=consult, headers=auth(org.appraiser))
    assert r.status_code in (403, 404), r.text
    _post(client, auth, trustee, f"{rv}/adviser-consultations", consult)
    position = _post(client, auth, chair, "/v1/objectives", objective)["position"]

    for reader in (trustee, org.trust_leader):
        got = client.get(f"{rv}?min_position={position}", headers=auth(reader))
        assert got.status_code == 200, got.text
        review = got.json()["review"]
        assert [m["name"] for m in review["panel"]] == ["Grace Chair", "Tom Trustee"]
        assert review["adviser"] == {
            "name": "Dr Morag Finch",
            "organisation": "Northern School Improvement",
        }
        assert review["adviser_consulted_on"] == "2025-09-20"
        assert review["objectives_active"] == 1

    # The dashboard's development sign-in: a session whose cookie holds an opaque id.
    token = auth(trustee)["Authorization"].split()[1]
    signed_in = client.post(
        "/session", data={"token": token}, headers={"Origin": "http://testserver"}
    )
    assert signed_in.status_code in (200, 303), signed_in.text
    assert WEB_COOKIE in client.cookies
    try:
        page = client.get(f"/reviews/{started['aggregate_id']}?min_position={position}")
        home = client.get("/home")
    finally:
        client.cookies.clear()
    assert page.status_code == 200, page.text
    assert "Grace Chair (chair)" in page.text and "Tom Trustee — you" in page.text
    assert "Dr Morag Finch, Northern School Improvement" in page.text
    assert home.status_code == 200 and "reviews on your panel" in home.text

    assert_consistent(api_container.store, api_container.projections)
