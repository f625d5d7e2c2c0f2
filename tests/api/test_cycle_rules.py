"""Cycles of one trust do not overlap; closing a cycle with reviews unfinished, through the app."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from testkit.scenario import Org
from tests.api.conftest import Auth

NEXT_YEAR = {
    "start_date": "2026-09-01",
    "end_date": "2027-08-31",
    "objective_setting_deadline": "2026-10-31",
    "mid_year_window_start": "2027-02-01",
    "mid_year_window_end": "2027-03-31",
    "end_year_deadline": "2027-07-15",
}


def test_a_cycle_overlapping_another_of_the_trust_is_a_422_naming_it(
    client: TestClient, auth: Auth, org: Org
) -> None:
    body = {
        "trust_id": str(org.trust_id),
        "name": "Spring pilot",
        "start_date": "2026-06-01",
        "end_date": "2027-05-31",
        "objective_setting_deadline": "2026-07-31",
        "mid_year_window_start": "2026-11-01",
        "mid_year_window_end": "2026-12-15",
        "end_year_deadline": "2027-05-01",
    }
    r = client.post("/v1/cycles", json=body, headers=auth(org.admin))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["rule"] == "cycles-do-not-overlap"
    assert "2025-26" in problem["detail"] and "Spring pilot" in problem["detail"]
    # The next year, starting the day after, is fine.
    r = client.post(
        "/v1/cycles",
        json={**NEXT_YEAR, "trust_id": str(org.trust_id), "name": "2026-27"},
        headers=auth(org.admin),
    )
    assert r.status_code == 201, r.text


def test_two_overlapping_cycles_scheduled_at_once_give_one_cycle_and_one_422(
    client: TestClient, auth: Auth, org: Org
) -> None:
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict[str, object]]] = []

    def schedule(name: str) -> None:
        body = {**NEXT_YEAR, "trust_id": str(org.trust_id), "name": name}
        barrier.wait()
        r = client.post("/v1/cycles", json=body, headers=auth(org.admin))
        answers.append((r.status_code, r.json()))

    threads = [threading.Thread(target=schedule, args=(n,)) for n in ("Plan A", "Plan B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in answers)
    assert codes == [201, 422], answers
    refused = next(body for code, body in answers if code == 422)
    assert refused["rule"] == "cycles-do-not-overlap"


def test_closing_with_a_review_unfinished_needs_a_reason_and_the_leaders_report_lists_it(
    client: TestClient, auth: Auth, org: Org
) -> None:
    closing = f"/v1/cycles/{org.cycle_id}/closing"
    r = client.post(closing, json={}, headers=auth(org.admin))
    assert r.status_code == 422, r.text
    assert r.json()["rule"] == "unfinished-reviews-need-reason"
    assert "Ann Appraisee" in r.json()["detail"]
    # Refused: nothing recorded, the cycle is still open and the report says so.
    report = client.get(f"/v1/cycles/{org.cycle_id}/unfinished-reviews", headers=auth(org.admin))
    assert report.status_code == 200 and report.json()["status"] == "open", report.text

    reason = "Ann is on long-term leave; the board closes the year"
    r = client.post(closing, json={"reason": reason}, headers=auth(org.admin))
    assert r.status_code == 200, r.text
    # Read from the cycle_closings read model: wait for it to include the close.
    report_url = f"/v1/cycles/{org.cycle_id}/unfinished-reviews?min_position={r.json()['position']}"

    for reader in (org.trust_leader, org.school_leader):
        report = client.get(report_url, headers=auth(reader))
        assert report.status_code == 200, report.text
        body = report.json()
        assert body["status"] == "closed" and body["reason"] == reason
        assert [u["appraisee_name"] for u in body["unfinished"]] == ["Ann Appraisee"]
        assert body["unfinished"][0]["school_name"] == "Oak Primary"
        assert body["unfinished"][0]["left_at"] == "no objectives"
    # The other school's leader sees the close but none of Oak Primary's reviews.
    other = client.get(
        f"/v1/cycles/{org.cycle_id}/unfinished-reviews", headers=auth(org.other_school_leader)
    )
    assert other.status_code == 200 and other.json()["unfinished"] == []
    # Staff do not read the report; it answers as if the cycle did not exist.
    denied = client.get(
        f"/v1/cycles/{org.cycle_id}/unfinished-reviews", headers=auth(org.appraisee)
    )
    assert denied.status_code == 404


def test_closing_a_cycle_with_no_unfinished_review_needs_no_reason(
    client: TestClient, auth: Auth, org: Org
) -> None:
    body = {**NEXT_YEAR, "trust_id": str(org.trust_id), "name": "2026-27"}
    r = client.post("/v1/cycles", json=body, headers=auth(org.admin))
    assert r.status_code == 201, r.text
    cycle_id = r.json()["aggregate_id"]
    assert (
        client.post(f"/v1/cycles/{cycle_id}/opening", json={}, headers=auth(org.admin)).status_code
        == 200
    )
    r = client.post(f"/v1/cycles/{cycle_id}/closing", json={}, headers=auth(org.admin))
    assert r.status_code == 200, r.text
    after = r.json()["position"]
    report = client.get(
        f"/v1/cycles/{cycle_id}/unfinished-reviews?min_position={after}", headers=auth(org.admin)
    ).json()
    assert report["reason"] is None and report["unfinished"] == []
