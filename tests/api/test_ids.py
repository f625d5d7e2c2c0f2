"""Ids the server derives (uuid5 of a cycle's trust and name, of a review's cycle and
appraisee) can never be claimed by a client; client-chosen ids stay idempotent on retry."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from aggregates.cycle import cycle_id_for
from aggregates.review import review_id_for
from appraisals.wiring import Container
from testkit.scenario import Org
from tests.api.conftest import Auth

OBJECTIVE: dict[str, object] = {
    "title": "Improve phonics outcomes",
    "success_criteria": ["90% pass the screening check"],
    "due_date": "2026-06-30",
}


def _head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def test_staff_cannot_squat_the_id_of_a_cycle_not_yet_scheduled(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    squatted = cycle_id_for(org.trust_id, "2026-27")
    before = _head(api_container)
    answer = client.post(
        "/v1/objectives",
        json=OBJECTIVE | {"review_id": str(org.review_id), "objective_id": str(squatted)},
        headers=auth(org.appraisee),
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "objective_id"
    assert _head(api_container) == before
    scheduled = client.post(
        "/v1/cycles",
        json={
            "trust_id": str(org.trust_id),
            "name": "2026-27",
            "start_date": "2026-09-01",
            "end_date": "2027-08-31",
            "objective_setting_deadline": "2026-10-31",
            "mid_year_window_start": "2027-02-01",
            "mid_year_window_end": "2027-03-15",
            "end_year_deadline": "2027-07-15",
        },
        headers=auth(org.trust_leader),
    )
    assert scheduled.status_code == 201, scheduled.text
    assert scheduled.json()["aggregate_id"] == str(squatted)


def test_staff_cannot_squat_a_colleagues_review(client: TestClient, auth: Auth, org: Org) -> None:
    colleague = uuid.uuid4()
    squatted = review_id_for(org.cycle_id, colleague)
    for path, body in (
        (
            "/v1/objectives",
            OBJECTIVE | {"review_id": str(org.review_id), "objective_id": str(squatted)},
        ),
    ):
        answer = client.post(path, json=body, headers=auth(org.appraisee))
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "objective_id"


def test_carrying_forward_to_a_derived_id_is_refused_naming_the_field(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    drafted = client.post(
        "/v1/objectives",
        json=OBJECTIVE | {"review_id": str(org.review_id)},
        headers=auth(org.appraiser),
    ).json()["aggregate_id"]
    answer = client.post(
        f"/v1/objectives/{drafted}/carry-forward",
        json={
            "to_review_id": str(org.review_id),
            "due_date": "2027-06-30",
            "new_objective_id": str(cycle_id_for(org.trust_id, "2027-28")),
        },
        headers=auth(org.appraiser),
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "new_objective_id"
    del api_container


def test_a_retry_with_a_client_chosen_id_is_idempotent(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    chosen = str(uuid.uuid4())
    body = OBJECTIVE | {"review_id": str(org.review_id), "objective_id": chosen}
    first = client.post("/v1/objectives", json=body, headers=auth(org.appraiser))
    assert first.status_code == 201, first.text
    head = _head(api_container)
    retry = client.post("/v1/objectives", json=body, headers=auth(org.appraiser))
    assert retry.status_code == 201
    assert retry.json() | {"replayed": False} == first.json()
    assert retry.json()["replayed"] is True
    assert _head(api_container) == head


def test_time_ordered_v7_ids_are_accepted(client: TestClient, auth: Auth, org: Org) -> None:
    v7 = uuid.UUID(int=(uuid.uuid4().int & ~(0xF << 76)) | (0x7 << 76))
    assert v7.version == 7
    answer = client.post(
        "/v1/objectives",
        json=OBJECTIVE | {"review_id": str(org.review_id), "objective_id": str(v7)},
        headers=auth(org.appraiser),
    )
    assert answer.status_code == 201, answer.text
