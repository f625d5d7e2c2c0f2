"""The dashboard's command forms over HTTP: bad input is an inline error and records nothing, a
command the person may not run looks missing, a retry records once, and only the forms the
rules allow now are offered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from uuid import uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

from appraisals.wiring import Container
from commands import messages as m
from commands.principal import Principal
from testkit.scenario import Org
from tests.api.conftest import Auth

ORIGIN = {"Origin": "http://testserver"}
SignIn = Callable[[Principal], None]


@pytest.fixture
def signed_in(client: TestClient, auth: Auth, api_container: Container) -> Iterator[SignIn]:
    def sign_in(principal: Principal) -> None:
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


def test_a_draft_with_bad_fields_shows_inline_errors_and_records_nothing(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.appraisee)
    before = head(api_container)
    r = client.post(
        f"/reviews/{org.review_id}/actions/draft",
        data={"idempotency_key": str(uuid4()), "title": "", "due_date": "31/12/2025"},
        headers=ORIGIN,
    )
    assert r.status_code == 422
    assert 'id="draft-title-error"' in r.text and "Title: this is required" in r.text
    assert 'id="draft-due_date-error"' in r.text
    assert 'id="draft-success_criteria-error"' in r.text
    assert 'role="alert"' in r.text and 'aria-invalid="true"' in r.text
    assert head(api_container) == before


def test_a_broken_rule_is_shown_at_its_field_and_records_nothing(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.appraiser)
    before = head(api_container)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    r = post(
        client,
        f"/reviews/{org.review_id}/actions/meeting-planning",
        held_on=tomorrow,
        notes="Planning",
    )
    assert r.status_code == 422
    text = r.text
    assert 'id="meeting-planning-held_on-error"' in text
    assert "Not recorded:" in text
    assert head(api_container) == before


def test_a_command_the_person_may_not_run_looks_missing(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.appraisee)
    before = head(api_container)
    moderate = post(client, f"/reviews/{org.review_id}/actions/moderate", outcome="confirmed")
    assert moderate.status_code == 404
    unknown = post(client, f"/reviews/{org.review_id}/actions/delete-everything")
    assert unknown.status_code == 404
    nobody = post(client, f"/reviews/{uuid4()}/actions/self-assessment", text="Hello")
    assert nobody.status_code == 404
    assert head(api_container) == before


def test_a_form_posted_twice_records_once_and_then_is_not_offered(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.appraisee)
    page = client.get(f"/reviews/{org.review_id}")
    assert "Write your self-assessment" in page.text and "Draft an objective" in page.text
    # Only the appraisee's own forms: nothing an appraiser or a leader does.
    assert "Issue the report" not in page.text and "Moderate the report" not in page.text
    key = str(uuid4())
    url = f"/reviews/{org.review_id}/actions/self-assessment"
    data = {"idempotency_key": key, "text": "A good year"}
    first = client.post(url, data=data, headers=ORIGIN, follow_redirects=False)
    assert first.status_code == 303
    at = head(api_container)
    again = client.post(url, data=data, headers=ORIGIN, follow_redirects=False)
    assert again.status_code == 303 and head(api_container) == at
    assert again.headers["location"] == first.headers["location"]
    page = client.get(first.headers["location"])
    assert "Self-assessment submitted." in page.text


def test_a_form_from_another_site_is_refused(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.appraisee)
    before = head(api_container)
    r = client.post(
        f"/reviews/{org.review_id}/actions/self-assessment",
        data={"idempotency_key": str(uuid4()), "text": "Injected"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and head(api_container) == before


def test_starting_reviews_in_bulk_names_who_was_not_started(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.school_leader)
    url = f"/schools/{org.school_id}/cycles/{org.cycle_id}/reviews"
    before = head(api_container)
    nobody = post(client, url)
    assert nobody.status_code == 422
    assert "Tick at least one person" in nobody.text
    # The appraisee already has a review: refused on their row, nothing recorded.
    twice = post(
        client,
        url,
        start=str(org.appraisee_id),
        **{f"appraiser-{org.appraisee_id}": str(org.appraiser_id)},
    )
    assert head(api_container) == before
    assert twice.status_code == 422
    assert "already has a review" in twice.text
    # Another school's leader: the school's page and its form look missing.
    signed_in(org.other_school_leader)
    other = post(client, url, start=str(org.appraisee_id))
    assert other.status_code == 404
    assert client.get(f"/schools/{org.school_id}/cycles/{org.cycle_id}").status_code == 404
    assert head(api_container) == before


def test_the_appraiser_carries_an_objective_forward_into_the_next_cycle(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    svc = api_container.commands
    draft = m.DraftObjective(
        review_id=org.review_id,
        title="Lead phonics",
        success_criteria=["All staff trained"],
        due_date=date(2026, 6, 30),
    )
    objective_id = svc.execute(draft, org.appraisee).aggregate_id
    next_cycle = svc.execute(
        m.ScheduleCycle(
            trust_id=org.trust_id,
            name="2026-27",
            start_date=date(2026, 9, 1),
            end_date=date(2027, 8, 31),
            objective_setting_deadline=date(2026, 10, 31),
            mid_year_window_start=date(2027, 2, 1),
            mid_year_window_end=date(2027, 3, 31),
            end_year_deadline=date(2027, 7, 15),
        ),
        org.admin,
    ).aggregate_id
    svc.execute(m.OpenCycle(cycle_id=next_cycle), org.admin)
    start = m.StartReview(
        cycle_id=next_cycle, appraisee_id=org.appraisee_id, appraiser_id=org.appraiser_id
    )
    next_review = svc.execute(start, org.school_leader).aggregate_id
    signed_in(org.appraiser)
    page = client.get(f"/reviews/{org.review_id}")
    assert "Carry forward" in page.text and "Cycle 2026-27" in page.text
    url = f"/objectives/{objective_id}/actions/carry-forward"
    before = head(api_container)
    outside = post(client, url, to_review_id=str(next_review), due_date="2030-01-01")
    assert outside.status_code == 422 and head(api_container) == before
    assert "due date must fall within the cycle" in outside.text
    done = post(client, url, to_review_id=str(next_review), due_date="2027-06-30")
    assert done.status_code == 303
    api_container.projections.catch_up()
    carried = client.get(f"/reviews/{next_review}")
    assert "Lead phonics" in carried.text
    # Carried once: the form is no longer offered.
    assert "Carry forward" not in client.get(f"/reviews/{org.review_id}").text


def test_a_refused_pay_form_is_shown_on_the_pay_page_and_records_nothing(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.school_leader)
    before = head(api_container)
    # No report has been issued on the review yet: the domain refuses the recommendation.
    r = post(
        client,
        f"/reviews/{org.review_id}/pay-recommendation",
        recommendation="progress",
        reasons="All objectives met",
    )
    assert r.status_code == 422
    assert "<h1>Pay recommendation:" in r.text
    assert 'class="error" role="alert"' in r.text
    assert head(api_container) == before


def test_a_refused_development_form_is_shown_on_the_development_page_and_records_nothing(
    client: TestClient, org: Org, signed_in: SignIn, api_container: Container
) -> None:
    signed_in(org.appraisee)
    before = head(api_container)
    r = post(client, f"/reviews/{org.review_id}/cpd", title="", hours="2")
    assert r.status_code == 422
    assert "<h1>Development:" in r.text and 'id="form-error"' in r.text
    assert head(api_container) == before
