"""Regression: an upheld appeal reopens the review in every read model and on the dashboard.

It used to leave review_status "moderated" with both signatures and the summaries counting the
review complete, while the Review aggregate was reopened.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from appraisals.wiring import Container
from testkit.scenario import Org
from tests.api.conftest import Auth
from tests.oracle import assert_consistent
from web.session import principal_json

WEB_COOKIE = "appraisals_session"


def _post(client: TestClient, auth: Auth, who: Any, path: str, body: Any = None) -> int:
    r = client.post(path, json=body or {}, headers=auth(who))
    assert r.status_code in (200, 201), r.text
    return int(r.json()["position"])


def test_an_upheld_appeal_shows_the_review_reopened_everywhere(
    client: TestClient, auth: Auth, org: Org, api_container: Container
) -> None:
    rv = f"/v1/reviews/{org.review_id}"
    for kind, held_on in (
        ("planning", "2025-09-20"),
        ("mid_year", "2026-02-20"),
        ("end_year", "2026-07-01"),
    ):
        _post(
            client,
            auth,
            org.appraiser,
            f"{rv}/meetings",
            {"kind": kind, "held_on": held_on, "notes": "Met"},
        )
    r = client.post(
        "/v1/objectives",
        json={
            "review_id": str(org.review_id),
            "title": "Raise Year 4 reading",
            "success_criteria": ["85% at the expected standard"],
            "due_date": "2026-07-10",
        },
        headers=auth(org.appraiser),
    )
    assert r.status_code == 201, r.text
    objective = r.json()["aggregate_id"]
    _post(client, auth, org.appraisee, f"/v1/objectives/{objective}/agreement")
    _post(client, auth, org.appraiser, f"/v1/objectives/{objective}/agreement")
    _post(client, auth, org.appraiser, f"{rv}/assessment", {"overall": "meets", "summary": "Good"})
    _post(client, auth, org.appraiser, f"{rv}/report")
    _post(client, auth, org.appraisee, f"{rv}/sign-off")
    _post(client, auth, org.appraiser, f"{rv}/sign-off")
    _post(client, auth, org.school_leader, f"{rv}/moderation", {"outcome": "confirmed"})
    _post(client, auth, org.appraisee, f"{rv}/appeals", {"grounds": "Evidence was missed"})
    position = _post(
        client,
        auth,
        org.trust_leader,
        f"{rv}/appeals/decision",
        {"outcome": "upheld", "note": "The evidence was not considered"},
    )

    got = client.get(f"{rv}?min_position={position}", headers=auth(org.school_leader))
    assert got.status_code == 200, got.text
    review = got.json()["review"] if "review" in got.json() else got.json()
    assert review["stage"] == "reopened"
    assert review["reopened"] == 1
    assert review["appeal"] == "upheld"
    assert not review["signed_by_appraisee"] and not review["signed_by_appraiser"]
    assert review["moderation"] is None and review["report_issued_on"] is None

    summary = client.get(
        f"/v1/schools/{org.school_id}/cycles/{org.cycle_id}/summary?min_position={position}",
        headers=auth(org.school_leader),
    ).json()["summary"]
    assert summary["reviews_complete"] == 0 and summary["reports_issued"] == 0

    # A dashboard session for the school leader (sessions are kept on the server).
    assert api_container.identity is not None
    session, _ = api_container.identity.sessions.start(
        person_id=None,
        trust_id=org.trust_id,
        method="development-token",
        fixed_principal=principal_json(org.school_leader),
    )
    client.cookies.set(WEB_COOKIE, session)
    try:
        page = client.get(f"/reviews/{org.review_id}?min_position={position}")
    finally:
        client.cookies.clear()
    assert page.status_code == 200
    assert 'id="stage">reopened<' in page.text

    # Already reopened: a manual reopening is refused, saying so.
    r = client.post(f"{rv}/reopening", json={"reason": "again"}, headers=auth(org.trust_leader))
    assert r.status_code == 422 and "already reopened" in r.json()["detail"]

    assert_consistent(api_container.store, api_container.projections)
