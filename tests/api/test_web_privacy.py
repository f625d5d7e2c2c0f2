"""The dashboard's privacy page over HTTP (web/privacy.py): a trust's administrator sets the
retention policy, reads the plan by name and erases a leaver after typing their name; bad
input and broken rules are shown at their fields and record nothing; a replayed form erases
once; anyone else signed in (other roles, another trust's admin) gets the dashboard's 404,
the signed out are sent to sign in, and a cross-site post is refused.

Erasure deletes keys and rewrites read-model rows (records that are not events): this
module runs on a database of its own, not the session's shared one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

from appraisals.wiring import Container
from commands import messages as m
from commands.principal import Principal
from commands.states import STAFF
from config.settings import Settings
from events.base import Role
from privacy.retention import erase_on
from testkit.scenario import Org, build_org
from tests.api.conftest import Auth
from tests.conftest import create_database, drop_database

ORIGIN = {"Origin": "http://testserver"}
SignIn = Callable[[Principal], None]


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    url = create_database("appraisals_webprivacy")
    blobs = tmp_path_factory.mktemp("blobs")
    try:
        # No retention timer: the tests decide when anything is erased.
        yield Settings(
            database_url=url,
            context_cache_ttl=0,
            blob_dir=str(blobs),
            privacy_retention_interval_seconds=0,
            # Every test signs in many people from one address.
            sign_in_rate_limit="1000/minute",
            failed_auth_rate_limit="1000/minute",
        )
    finally:
        drop_database(url)


@pytest.fixture
def signed_in(client: TestClient, auth: Auth, api_container: Container) -> Iterator[SignIn]:
    def sign_in(principal: Principal) -> None:
        client.post("/session/end", headers=ORIGIN)
        token = auth(principal)["Authorization"].removeprefix("Bearer ")
        assert client.post("/session", data={"token": token}, headers=ORIGIN).status_code < 400
        api_container.projections.catch_up()

    yield sign_in
    client.post("/session/end", headers=ORIGIN)


def head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def post(client: TestClient, url: str, **data: str) -> httpx.Response:
    response: httpx.Response = client.post(
        url, data={"idempotency_key": str(uuid4()), **data}, headers=ORIGIN, follow_redirects=False
    )
    return response


def erased(container: Container, person: UUID) -> bool:
    """Their StaffMember says erased (only ``Eraser.erase`` is called here: its internals
    are its own)."""
    return bool(container.commands.states.get(STAFF, person, max_age=0).erased)


def leave(container: Container, org: Org, person: UUID, on: date) -> None:
    result = container.commands.execute(
        m.RecordStaffLeaving(staff_id=person, effective_date=on, reason="moved away"), org.admin
    )
    assert container.projections.wait_for(result.position or 0, timeout=30)


def test_an_admin_sets_the_retention_policy_and_reads_the_plan_by_name(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    today = date.today()
    # Due in 20 days under a six-year policy: not in today's plan, in a month's.
    left_on = today.replace(year=today.year - 6) + timedelta(days=20)
    leave(api_container, org, org.appraisee_id, left_on)
    signed_in(org.admin)
    before = client.get("/privacy")
    assert before.status_code == 200
    assert "No retention period is set" in before.text
    assert 'href="/privacy"' in before.text  # the nav names the page for administrators

    r = post(client, "/privacy/retention", erase_after_years="6", reason="Retention schedule s4")
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/privacy?min_position=")
    shown = client.get(r.headers["location"])
    assert "The retention policy is saved." in shown.text
    assert "<strong>6 years</strong>" in shown.text
    assert "Retention schedule s4" in shown.text  # why, with who and when
    assert 'id="policy-set"' in shown.text
    assert "Ann Appraisee" not in shown.text.split('id="due"')[1].split("</table>")[0]

    ahead = client.get(f"/privacy?until={(today + timedelta(days=30)).isoformat()}")
    due = ahead.text.split('id="due"')[1].split("</table>")[0]
    assert "Ann Appraisee" in due and f"/privacy/erasures/{org.appraisee_id}" in due
    assert left_on.isoformat() in due and erase_on(left_on, 6).isoformat() in due
    assert "1 leaver due for erasure" in due

    # The policy cleared (an empty number): kept until erased by hand.
    cleared = post(client, "/privacy/retention", erase_after_years="", reason="Under review")
    assert cleared.status_code == 303
    assert "No retention period is set" in client.get(cleared.headers["location"]).text


def test_bad_retention_input_and_a_broken_rule_are_shown_at_their_fields_and_record_nothing(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.admin)
    assert post(client, "/privacy/retention", erase_after_years="7", reason="s4").status_code == 422
    at = head(api_container)
    for years, reason, field in (
        ("0", "Retention schedule", "erase_after_years"),
        ("101", "Retention schedule", "erase_after_years"),
        ("six", "Retention schedule", "erase_after_years"),
        ("6", "", "reason"),
        ("6", "x", "reason"),
    ):
        r = post(client, "/privacy/retention", erase_after_years=years, reason=reason)
        assert r.status_code == 422, (years, reason)
        assert f'id="retention-{field}-error"' in r.text, (years, reason)
        assert 'aria-invalid="true"' in r.text and 'role="alert"' in r.text
        assert f'aria-describedby="retention-{field}-hint retention-{field}-error"' in r.text or (
            f'aria-describedby="retention-{field}-error"' in r.text
        )
    assert head(api_container) == at
    # Setting what is already in force is the aggregate's rule, shown at the years field.
    assert (
        post(client, "/privacy/retention", erase_after_years="7", reason="Schedule s4").status_code
        == 303
    )
    at = head(api_container)
    same = post(client, "/privacy/retention", erase_after_years="7", reason="Schedule s4 again")
    assert same.status_code == 422
    error = same.text.split('id="retention-erase_after_years-error"')[1].split("</p>")[0]
    assert "The retention policy is already that" in error
    assert head(api_container) == at


def test_an_admin_erases_a_leaver_after_typing_their_name_and_a_replay_erases_once(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    leave(api_container, org, org.appraisee_id, date(2024, 7, 31))
    signed_in(org.admin)
    found = client.get("/privacy?q=ann")
    leavers = found.text.split('id="leavers"')[1].split("</table>")[0]
    assert "Ann Appraisee" in leavers and f"/privacy/erasures/{org.appraisee_id}" in leavers
    # The employed are not offered.
    assert "Bob Appraiser" not in leavers and str(org.appraiser_id) not in leavers

    url = f"/privacy/erasures/{org.appraisee_id}"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Erase Ann Appraisee's personal data" in confirm.text
    assert "2024-07-31" in confirm.text and "1 review" in confirm.text
    assert "Type their name to confirm" in confirm.text

    at = head(api_container)
    wrong = post(client, url, reason="Their written request", basis="request", confirm_name="Ann")
    assert wrong.status_code == 422
    assert 'id="erase-confirm_name-error"' in wrong.text and "Not erased" in wrong.text
    for bad in (
        {"reason": "", "basis": "request", "confirm_name": "Ann Appraisee"},
        {"reason": "Their request", "basis": "whim", "confirm_name": "Ann Appraisee"},
    ):
        r = post(client, url, **bad)
        assert r.status_code == 422
        assert 'aria-invalid="true"' in r.text and 'role="alert"' in r.text
    assert head(api_container) == at
    assert erased(api_container, org.appraisee_id) is False

    key = str(uuid4())
    data = {
        "idempotency_key": key,
        "reason": "Their written request of 1 May",
        "basis": "request",
        "confirm_name": "  ann   APPRAISEE ",
    }
    first = client.post(url, data=data, headers=ORIGIN, follow_redirects=False)
    assert first.status_code == 303, first.text
    assert head(api_container) == at + 1
    done = client.get(first.headers["location"])
    assert "Personal data erased" in done.text and "Erased person" in done.text
    assert "Ann Appraisee" not in done.text
    assert "Their written request of 1 May" in done.text  # the record: who, when, why
    assert erased(api_container, org.appraisee_id)

    # The same form again (a double click, a retry): the first answer, nothing recorded.
    again = client.post(url, data=data, headers=ORIGIN, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].split("&")[0] == first.headers["location"].split("&")[0]
    assert head(api_container) == at + 1
    # A new form for someone already erased: the rule's words, nothing recorded.
    twice = post(client, url, reason="Asked again", basis="request", confirm_name="Erased person")
    assert twice.status_code == 422
    assert "already erased" in twice.text and 'role="alert"' in twice.text
    assert head(api_container) == at + 1

    # The audit log shows the erasure, by the administrator, with why; no name is left.
    api_container.projections.catch_up()
    log = client.get(f"/audit/log?record={org.appraisee_id}")
    assert "Personal data erased (request): Their written request of 1 May" in log.text
    assert "Ann Appraisee" not in log.text
    assert "Ann Appraisee" not in client.get("/privacy?q=ann").text


def test_someone_still_employed_is_refused_with_the_rules_words_and_nothing_recorded(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.admin)
    url = f"/privacy/erasures/{org.appraiser_id}"
    shown = client.get(url)
    assert shown.status_code == 200
    assert "Cannot be erased" in shown.text and "has not left the trust" in shown.text
    assert "Type their name to confirm" not in shown.text  # no form that can only fail
    at = head(api_container)
    name = shown.text.split("<h1>Erase ")[1].split("'s personal data")[0]
    r = post(client, url, reason="Their request", basis="request", confirm_name=name)
    assert r.status_code == 422
    alert = r.text.split('id="erase-error"')[1].split("</p>")[0]
    assert "has not left the trust: record their leaving first" in alert
    assert head(api_container) == at


def test_nobody_but_the_trusts_admins_finds_the_privacy_pages(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    leave(api_container, org, org.appraisee_id, date(2024, 7, 31))
    other = build_org(api_container.commands, name="Elm Learning Trust")
    url = f"/privacy/erasures/{org.appraisee_id}"
    # The dashboard's page for a record that does not exist, to an administrator.
    signed_in(org.admin)
    missing = client.get(f"/privacy/erasures/{uuid4()}")
    assert missing.status_code == 404 and "<h1>" in missing.text
    at = head(api_container)
    platform = Principal(uuid4(), Role.ADMIN)
    for who in (
        org.trust_leader,
        org.school_leader,
        org.appraiser,
        org.appraisee,
        org.auditor,
        org.analyst,
        platform,
    ):
        signed_in(who)
        home = client.get("/home")
        assert 'href="/privacy"' not in home.text, who.role
        for r in (
            client.get("/privacy"),
            client.get(url),
            client.get(f"/privacy/erasures/{uuid4()}"),
            post(client, "/privacy/retention", erase_after_years="6", reason="Schedule s4"),
            post(
                client, url, reason="Their request", basis="request", confirm_name="Ann Appraisee"
            ),
        ):
            assert r.status_code == 404, (who.role, who.trust_id, r.request.url)
            assert r.text == missing.text
    # Another trust's administrator has their own trust's page, and none of this trust's
    # people: the same 404 as someone who does not exist.
    signed_in(other.admin)
    theirs = client.get("/privacy?q=ann")
    assert theirs.status_code == 200 and str(org.appraisee_id) not in theirs.text
    for r in (
        client.get(url),
        post(client, url, reason="Their request", basis="request", confirm_name="Ann Appraisee"),
    ):
        assert r.status_code == 404 and r.text == missing.text
    signed_in(org.admin)
    assert client.get(f"/privacy/erasures/{other.appraisee_id}").text == missing.text
    client.post("/session/end", headers=ORIGIN)
    for r in (
        client.get("/privacy", follow_redirects=False),
        client.get(url, follow_redirects=False),
        post(client, url, reason="Their request", basis="request", confirm_name="Ann Appraisee"),
    ):
        # Signed out: sent to sign in, as from every page of the dashboard.
        assert r.status_code == 303 and r.headers["location"] == "/"
    assert head(api_container) == at
    assert erased(api_container, org.appraisee_id) is False


def test_a_cross_site_post_is_refused_and_records_nothing(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    leave(api_container, org, org.appraisee_id, date(2024, 7, 31))
    signed_in(org.admin)
    at = head(api_container)
    url = f"/privacy/erasures/{org.appraisee_id}"
    data = {
        "idempotency_key": str(uuid4()),
        "reason": "Their request",
        "basis": "request",
        "confirm_name": "Ann Appraisee",
    }
    for headers in ({"Origin": "https://evil.example"}, {}, {"Referer": "https://evil.example/"}):
        for target, body in (
            (url, data),
            (
                "/privacy/retention",
                {"idempotency_key": str(uuid4()), "erase_after_years": "6", "reason": "Schedule"},
            ),
        ):
            r = client.post(target, data=body, headers=headers, follow_redirects=False)
            assert r.status_code == 403, (headers, target)
    assert head(api_container) == at
    assert erased(api_container, org.appraisee_id) is False
