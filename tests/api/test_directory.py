"""The directory: names beside ids, lists and search scoped by the read policy."""

from __future__ import annotations

from fastapi.testclient import TestClient

from appraisals.wiring import Container
from testkit.scenario import Org
from tests.api.conftest import Auth


def _head(container: Container) -> int:
    return int(container.store.recorder.max_notification_id() or 0)


def test_the_staff_list_shows_names_and_finds_people_by_name_or_email(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    at = _head(api_container)
    found = client.get(
        "/v1/staff", params={"q": "ann", "min_position": at}, headers=auth(org.trust_leader)
    )
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert [i["person"]["display_name"] for i in items] == ["Ann Appraisee"]
    assert items[0]["school_name"] == "Oak Primary"
    by_email = client.get("/v1/staff", params={"q": "bob@oak"}, headers=auth(org.trust_leader))
    assert [i["person"]["name"] for i in by_email.json()["items"]] == ["Bob Appraiser"]


def test_a_school_leaders_staff_list_holds_only_their_schools(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    at = _head(api_container)
    mine = client.get(
        "/v1/staff", params={"min_position": at}, headers=auth(org.school_leader)
    ).json()
    assert {i["person"]["school_id"] for i in mine["items"]} == {str(org.school_id)}
    assert len(mine["items"]) == 2
    other = client.get("/v1/staff", headers=auth(org.other_school_leader)).json()
    assert other["items"] == []
    analyst = client.get("/v1/staff", headers=auth(org.analyst)).json()
    assert analyst["items"] == []


def test_the_staff_list_pages_with_a_cursor(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    at = _head(api_container)
    first = client.get(
        "/v1/staff", params={"limit": 1, "min_position": at}, headers=auth(org.school_leader)
    ).json()
    second = client.get(
        "/v1/staff",
        params={"limit": 1, "cursor": first["next_cursor"]},
        headers=auth(org.school_leader),
    ).json()
    names = [first["items"][0]["person"]["name"], second["items"][0]["person"]["name"]]
    assert names == ["Ann Appraisee", "Bob Appraiser"]
    assert second["next_cursor"] is None


def test_schools_cycles_and_a_cycle_are_listed_by_name(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    at = _head(api_container)
    schools = client.get(
        "/v1/schools", params={"min_position": at}, headers=auth(org.appraisee)
    ).json()
    assert [s["name"] for s in schools["items"]] == ["Ash Academy", "Oak Primary"]
    cycles = client.get("/v1/cycles", headers=auth(org.appraisee)).json()
    assert [c["name"] for c in cycles["items"]] == ["2025-26"]
    cycle = client.get(f"/v1/cycles/{org.cycle_id}", headers=auth(org.appraisee)).json()
    assert cycle["cycle"]["state"] == "open" and cycle["cycle"]["max_objectives"] == 3
    stranger = client.get(f"/v1/cycles/{org.cycle_id}", headers=auth(build_other(api_container)))
    assert stranger.status_code == 404


def build_other(container: Container):  # type: ignore[no-untyped-def]
    from testkit.scenario import build_org

    return build_org(container.commands, name="Elm Trust").trust_leader


def test_a_cycles_reviews_are_filtered_and_carry_names(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    at = _head(api_container)
    page = client.get(
        f"/v1/cycles/{org.cycle_id}/reviews",
        params={"school_id": str(org.school_id), "stage": "started", "min_position": at},
        headers=auth(org.school_leader),
    ).json()
    assert [r["review"]["review_id"] for r in page["items"]] == [str(org.review_id)]
    assert page["names"][str(org.appraisee_id)] == "Ann Appraisee"
    assert page["names"][str(org.appraiser_id)] == "Bob Appraiser"
    assert page["names"][str(org.school_id)] == "Oak Primary"
    other = client.get(
        f"/v1/cycles/{org.cycle_id}/reviews", headers=auth(org.other_school_leader)
    ).json()
    assert other["items"] == []
    bad = client.get(
        f"/v1/cycles/{org.cycle_id}/reviews",
        params={"stage": "nonsense"},
        headers=auth(org.school_leader),
    )
    assert bad.status_code == 422


def test_a_review_and_the_audit_log_show_names_as_they_were_then(
    client: TestClient, org: Org, auth: Auth
) -> None:
    renamed = client.post(
        f"/v1/staff/{org.appraisee_id}/name",
        json={"new_name": "Ann Married", "preferred_name": "Annie", "reason": "Married"},
        headers=auth(org.admin),
    )
    assert renamed.status_code == 200, renamed.text
    at = renamed.json()["position"]
    review = client.get(
        f"/v1/reviews/{org.review_id}", params={"min_position": at}, headers=auth(org.appraiser)
    ).json()
    assert review["names"][str(org.appraisee_id)] == "Annie Married"
    events = client.get(
        "/v1/audit/events",
        params={"aggregate_id": str(org.review_id), "min_position": at},
        headers=auth(org.auditor),
    ).json()
    started = events["items"][0]
    # The review started when she was still Ann Appraisee: the summary says so.
    assert started["summary"] == "Review started for Ann Appraisee with appraiser Bob Appraiser"
    assert started["aggregate_id"] == str(org.review_id)
    staff = client.get(
        "/v1/audit/events",
        params={"aggregate_id": str(org.appraisee_id)},
        headers=auth(org.auditor),
    ).json()
    assert staff["items"][-1]["aggregate_name"] == "Annie Married"
    assert staff["items"][0]["aggregate_name"] == "Ann Appraisee"
    assert "Oak Primary" in staff["items"][1]["summary"]


def test_an_objective_shows_its_progress_notes_and_evidence_with_names(
    client: TestClient, org: Org, auth: Auth
) -> None:
    drafted = client.post(
        "/v1/objectives",
        json={
            "review_id": str(org.review_id),
            "title": "Raise Year 4 reading",
            "success_criteria": ["85% at the expected standard"],
            "due_date": "2026-07-10",
        },
        headers=auth(org.appraiser),
    )
    assert drafted.status_code == 201, drafted.text
    objective_id = drafted.json()["aggregate_id"]
    for who in (org.appraiser, org.appraisee):
        client.post(f"/v1/objectives/{objective_id}/agreement", headers=auth(who))
    progress = client.post(
        f"/v1/objectives/{objective_id}/progress",
        json={"percent": 40, "note": "Reading group on track", "evidence": ["reading-log.pdf"]},
        headers=auth(org.appraisee),
    )
    assert progress.status_code == 200, progress.text
    at = progress.json()["position"]
    answer = client.get(
        f"/v1/objectives/{objective_id}", params={"min_position": at}, headers=auth(org.appraiser)
    ).json()
    assert answer["title"] == "Raise Year 4 reading"
    [note] = answer["progress"]
    assert note["note"] == "Reading group on track" and note["evidence"] == ["reading-log.pdf"]
    assert answer["names"][note["actor_id"]] == "Ann Appraisee"
    assert answer["names"][str(org.appraiser_id)] == "Bob Appraiser"
    timeline = client.get(
        f"/v1/audit/reviews/{org.review_id}/timeline", headers=auth(org.auditor)
    ).json()
    assert timeline["entries"][-1]["actor_name"] == "Ann Appraisee"
    assert timeline["names"][str(org.appraisee_id)] == "Ann Appraisee"
    aggregate = client.get(f"/v1/audit/aggregates/{org.review_id}", headers=auth(org.auditor))
    assert aggregate.json()["names"][str(org.appraiser_id)] == "Bob Appraiser"
