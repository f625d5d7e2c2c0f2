"""No existence oracles: a record of another trust and an unknown id give byte-identical
problems (apart from the id in ``instance``), for commands, reads and ids inside a body."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aggregates.errors import NotFound
from appraisals.wiring import Container
from commands import messages as m
from testkit.scenario import Org, build_org
from tests.api.conftest import Auth


def _same(a: Any, b: Any, *ids: tuple[uuid.UUID, uuid.UUID]) -> None:
    """Bodies equal once each id of the first is written as its counterpart in the second."""
    text = a.text
    for mine, theirs in ids:
        text = text.replace(str(mine), str(theirs))
    assert a.status_code == b.status_code
    assert text == b.text


def test_a_command_on_another_trusts_record_answers_as_an_unknown_id(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    other = build_org(api_container.commands, name="Elm Trust")
    meeting = {"kind": "planning", "held_on": "2025-10-01", "notes": "Met"}
    unknown = uuid.uuid4()
    theirs = client.post(
        f"/v1/reviews/{other.review_id}/meetings", json=meeting, headers=auth(org.admin)
    )
    missing = client.post(f"/v1/reviews/{unknown}/meetings", json=meeting, headers=auth(org.admin))
    assert missing.status_code == 404
    _same(theirs, missing, (other.review_id, unknown))


def test_a_read_of_another_trusts_record_answers_as_an_unknown_id(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    other = build_org(api_container.commands, name="Birch Trust")
    unknown = uuid.uuid4()
    for path in ("/v1/audit/aggregates/{}", "/v1/audit/reviews/{}/timeline"):
        theirs = client.get(path.format(other.review_id), headers=auth(org.auditor))
        missing = client.get(path.format(unknown), headers=auth(org.auditor))
        assert missing.status_code == 404
        _same(theirs, missing, (other.review_id, unknown))


def test_ids_of_another_trust_inside_a_body_answer_as_unknown_ids(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    other = build_org(api_container.commands, name="Ash Trust")
    unknown = uuid.uuid4()
    # A colleague elsewhere named as appraiser; a cycle of another trust; a line manager.
    cases: list[tuple[str, dict[str, Any], uuid.UUID]] = [
        (
            f"/v1/reviews/{org.review_id}/appraiser",
            {"appraiser_id": str(other.appraiser_id), "reason": "Moved"},
            other.appraiser_id,
        ),
        (
            f"/v1/staff/{org.appraisee_id}/line-manager",
            {"line_manager_id": str(other.appraiser_id), "reason": "Moved"},
            other.appraiser_id,
        ),
    ]
    for path, body, foreign in cases:
        theirs = client.post(path, json=body, headers=auth(org.admin))
        swapped = {k: (str(unknown) if v == str(foreign) else v) for k, v in body.items()}
        missing = client.post(path, json=swapped, headers=auth(org.admin))
        assert missing.status_code == 404, (path, missing.text)
        _same(theirs, missing, (foreign, unknown))


def test_starting_a_review_in_another_trusts_cycle_answers_as_an_unknown_cycle(
    api_container: Container, org: Org
) -> None:
    other = build_org(api_container.commands, name="Yew Trust")
    newcomer = api_container.commands.execute(
        m.RegisterStaff(
            trust_id=org.trust_id,
            name="Nia Newcomer",
            email="nia@oak.example",
            job_title="Teacher",
            school_id=org.school_id,
            start_date=date(2021, 9, 1),
        ),
        org.admin,
    ).aggregate_id
    messages = []
    for cycle in (other.cycle_id, uuid.uuid4()):
        with pytest.raises(NotFound) as caught:
            api_container.commands.execute(
                m.StartReview(cycle_id=cycle, appraisee_id=newcomer, appraiser_id=org.appraiser_id),
                org.admin,
            )
        messages.append(caught.value.message)
    assert messages[0] == messages[1]
