"""Reminders through the real app: the trust's policy, a person's page, chase now, unsubscribe."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from api.reminders import COMMAND_ENDPOINTS
from appraisals.wiring import Container
from commands import messages as m
from commands.principal import Principal
from events.base import Role
from events.reminders import Milestone
from reminders.planner import Reminder
from reminders.tokens import unsubscribe_token
from testkit.scenario import Org, build_org
from tests.api.conftest import Auth

ORIGIN = {"Origin": "http://testserver"}


def test_the_policy_starts_as_the_defaults_and_changes_by_a_command_with_an_event(
    client: TestClient, org: Org, auth: Auth
) -> None:
    url = f"/v1/trusts/{org.trust_id}/reminder-policy"
    first = client.get(url, headers=auth(org.appraisee))
    assert first.status_code == 200
    assert first.json()["default"] is True
    policy = first.json()["policy"]
    policy["quiet_periods"] = [
        {"name": "Christmas", "start": "2025-12-20", "end": "2026-01-04"},
    ]
    policy["weekly_digest"] = False
    body = {"policy": policy, "reason": "Quiet over Christmas"}

    assert client.post(url, json=body, headers=auth(org.appraisee)).status_code == 403
    changed = client.post(url, json=body, headers=auth(org.trust_leader))
    assert changed.status_code == 200, changed.text
    position = changed.json()["position"]
    after = client.get(f"{url}?min_position={position}", headers=auth(org.school_leader)).json()
    assert after["default"] is False
    assert after["policy"]["quiet_periods"][0]["name"] == "Christmas"
    assert after["policy"]["weekly_digest"] is False
    history = client.get(
        f"/v1/audit/events?aggregate_id={org.trust_id}&min_position={position}",
        headers=auth(org.admin),
    )
    assert "Reminder policy changed: Quiet over Christmas" in history.text


def test_a_bad_policy_is_a_problem_naming_what_is_wrong_and_records_nothing(
    client: TestClient, org: Org, auth: Auth
) -> None:
    url = f"/v1/trusts/{org.trust_id}/reminder-policy"
    policy = client.get(url, headers=auth(org.admin)).json()["policy"]
    policy["milestones"][0]["steps"].reverse()
    answer = client.post(url, json={"policy": policy, "reason": "Oops"}, headers=auth(org.admin))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "date order" in answer.text
    same = client.post(
        url,
        json={"policy": client.get(url, headers=auth(org.admin)).json()["policy"], "reason": "x y"},
        headers=auth(org.admin),
    )
    assert same.status_code == 422
    assert same.json()["rule"] == "reminder-policy-changed"


def test_a_persons_page_lists_their_pending_reminders_and_their_preference(
    client: TestClient, org: Org, auth: Auth, api_container: Container
) -> None:
    now = datetime(2026, 3, 20, 8, tzinfo=UTC)
    api_container.projections.catch_up()
    api_container.reminders.ledger.record(
        [
            Reminder(
                trust_id=org.trust_id,
                person_id=org.appraisee_id,
                review_id=org.review_id,
                milestone=Milestone.MID_YEAR_REVIEW,
                step="-14",
                roles=("appraisee",),
                email="ann@oak.example",
                name="Ann Appraisee",
                appraisee_id=org.appraisee_id,
                appraisee_name="Ann Appraisee",
                deadline=date(2026, 3, 31),
                deliver_on=date(2026, 3, 23),
                optional=True,
                digest=True,
            )
        ],
        now,
    )
    url = f"/v1/staff/{org.appraisee_id}/reminders"
    mine = client.get(url, headers=auth(org.appraisee))
    assert mine.status_code == 200
    assert mine.json()["name"] == "Ann Appraisee"
    (pending,) = mine.json()["pending"]
    assert (pending["milestone"], pending["about"], pending["deliver_on"]) == (
        "mid_year_review",
        "Ann Appraisee",
        "2026-03-23",
    )
    assert client.get(url, headers=auth(org.appraiser)).status_code == 404
    assert client.get(url, headers=auth(org.school_leader)).status_code == 200

    pref = f"/v1/staff/{org.appraisee_id}/reminder-preference"
    body = {"frequency": "digest", "optional_reminders": False}
    assert client.post(pref, json=body, headers=auth(org.appraiser)).status_code == 403
    changed = client.post(pref, json=body, headers=auth(org.appraisee))
    assert changed.status_code == 200, changed.text
    after = client.get(
        f"{url}?min_position={changed.json()['position']}", headers=auth(org.appraisee)
    ).json()
    assert (after["frequency"], after["optional_reminders"]) == ("digest", False)
    bad = client.post(pref, json={"frequency": "hourly"}, headers=auth(org.appraisee))
    assert bad.status_code == 422


def test_chase_now_is_recorded_for_leaders_and_rate_limited(
    client: TestClient, org: Org, auth: Auth, api_container: Container
) -> None:
    url = f"/v1/reviews/{org.review_id}/chase"
    body = {"milestone": "objectives_agreed", "note": "Please meet this week"}
    assert client.post(url, json=body, headers=auth(org.appraisee)).status_code == 403
    assert client.post(url, json=body, headers=auth(org.other_school_leader)).status_code == 403
    chased = client.post(url, json=body, headers=auth(org.school_leader))
    assert chased.status_code == 200, chased.text
    again = client.post(url, json=body, headers=auth(org.school_leader))
    assert again.status_code == 422
    assert again.json()["rule"] == "chase-rate-limit"
    unknown = client.post(url, json={"milestone": "lunch"}, headers=auth(org.school_leader))
    assert unknown.status_code == 422
    # The chase is in the read model the scheduler plans from, addressed to both parties.
    assert api_container.projections.wait_for(
        chased.json()["position"], names=["reminder_context", "review_status"], timeout=60
    )
    planned = [p.reminder for p in api_container.reminders.plan()]
    chases = [r for r in planned if r.review_id == org.review_id and r.step.startswith("chase")]
    assert {r.name for r in chases} == {"Ann Appraisee", "Bob Appraiser"}
    assert {r.note for r in chases} == {"Please meet this week"}
    # The chase is the review's next version in every read model that shows one.
    review = client.get(f"/v1/reviews/{org.review_id}", headers=auth(org.school_leader)).json()
    assert review["review"]["version"] == chased.json()["version"]


def test_the_unsubscribe_link_asks_then_records_the_persons_own_choice(
    client: TestClient, org: Org, api_container: Container, auth: Auth
) -> None:
    api_container.projections.catch_up()
    secret = api_container.settings.unsubscribe_secret.get_secret_value()
    token = unsubscribe_token(secret, org.appraisee_id, org.trust_id)
    page = client.get(f"/reminders/unsubscribe?token={token}")
    assert page.status_code == 200
    assert "Ann Appraisee, stop the optional reminders" in page.text
    done = client.post("/reminders/unsubscribe", data={"token": token})
    assert done.status_code == 200
    assert "no more optional reminders" in done.text
    # RFC 8058's one-click POST from a mail client, again: nothing new, still fine.
    again = client.post(
        f"/reminders/unsubscribe?token={token}", data={"List-Unsubscribe": "One-Click"}
    )
    assert again.status_code == 200
    api_container.projections.catch_up()
    mine = client.get(f"/v1/staff/{org.appraisee_id}/reminders", headers=auth(org.appraisee))
    assert mine.json()["optional_reminders"] is False

    forged = unsubscribe_token(
        "not-our-secret-but-long-enough-for-hs256-keys", org.appraisee_id, org.trust_id
    )
    assert client.get(f"/reminders/unsubscribe?token={forged}").status_code == 400
    other_trust = unsubscribe_token(secret, org.appraisee_id, uuid4())
    assert client.post("/reminders/unsubscribe", data={"token": other_trust}).status_code == 400


def test_a_school_leader_chases_from_the_review_page(
    client: TestClient, org: Org, auth: Auth, api_container: Container
) -> None:
    token = auth(org.school_leader)["Authorization"].removeprefix("Bearer ")
    client.post("/session", data={"token": token}, headers=ORIGIN)
    api_container.projections.catch_up()
    page = client.get(f"/reviews/{org.review_id}")
    assert page.status_code == 200
    assert "Chase now" in page.text
    assert "Agree objectives (due 2025-10-31)" in page.text
    sent = client.post(
        f"/reviews/{org.review_id}/chase",
        data={"idempotency_key": str(uuid4()), "milestone": "mid_year_review"},
        headers=ORIGIN,
    )
    assert sent.status_code == 200
    assert "Chased: a reminder is on its way." in sent.text
    client.post("/session/end", headers=ORIGIN)


@pytest.mark.parametrize("command", list(COMMAND_ENDPOINTS), ids=lambda c: c.__name__)
def test_reminder_commands_deny_every_out_of_scope_role_and_record_nothing(
    client: TestClient, api_container: Container, auth: Auth, command: type[m.Command]
) -> None:
    org = build_org(api_container.commands)
    other = build_org(api_container.commands, name="Elm Trust")
    path, body = COMMAND_ENDPOINTS[command]
    path = (
        path.replace("{trust_id}", str(org.trust_id))
        .replace("{staff_id}", str(org.appraisee_id))
        .replace("{review_id}", str(org.review_id))
    )
    denied = {
        "auditor": org.auditor,
        "analyst": org.analyst,
        "unrelated staff": Principal(uuid4(), Role.STAFF, trust_id=org.trust_id),
        "admin of another trust": other.admin,
        "trust leader of another trust": other.trust_leader,
        "appraiser of another trust": other.appraiser,
    }
    if command is not m.ChangeReminderPreference:
        denied["leader of another school"] = org.other_school_leader
    head = api_container.store.recorder.max_notification_id()
    assert client.post(path, json=body).status_code == 401
    for who, principal in denied.items():
        response = client.post(path, json=body, headers=auth(principal))
        assert response.status_code in (403, 404), (who, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if "another trust" in who:
            assert response.status_code == 404, who
    assert api_container.store.recorder.max_notification_id() == head
    allowed = {
        m.ChangeReminderPolicy: org.trust_leader,
        m.ChangeReminderPreference: org.appraisee,
        m.ChaseReview: org.school_leader,
    }[command]
    response = client.post(path, json=body, headers=auth(allowed))
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
