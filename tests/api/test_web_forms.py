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
from commands.principal import Principal
from tests.api.conftest import Auth
from tests.scenario import Org

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
    return client.post(
        url, data={"idempotency_key": str(uuid4()), **data}, headers=ORIGIN, follow_redirects=False
    )


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
    assert "Recorded: write your self-assessment." in page.text


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
