"""Bad input is a 400/422 problem naming what was wrong, never a 500, and the connection
stays open: unicode digits, naive and overflowing moments, huge numbers, bad cursors, unknown
query parameters."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from appraisals.wiring import Container
from testkit.scenario import Org
from tests.api.conftest import Auth
from tests.api.test_command_endpoints import ALL_ROUTES, CommandEndpoint, _ids, _request


def _head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


def _kept_alive(response: object) -> bool:
    headers = response.headers  # type: ignore[attr-defined]
    return bool(headers.get("connection", "").lower() != "close")


@pytest.mark.parametrize("route", ALL_ROUTES, ids=lambda r: r.summary)
def test_a_unicode_digit_in_if_match_is_a_400_naming_the_header_on_every_command(
    client: TestClient, api_container: Container, auth: Auth, org: Org, route: CommandEndpoint
) -> None:
    ids = _ids(api_container, org)
    path, body = _request(route, ids)
    before = _head(api_container)
    answer = client.post(
        path, json=body, headers=auth(org.admin) | {"If-Match": '"²"'.encode("latin-1")}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["header"] == "If-Match"
    assert _kept_alive(answer)
    assert _head(api_container) == before


def test_an_idempotency_key_outside_visible_ascii_is_a_400_naming_it(
    client: TestClient, auth: Auth, org: Org
) -> None:
    answer = client.post(
        "/v1/trusts",
        json={"name": "Keyed"},
        headers=auth(org.platform_admin) | {"Idempotency-Key": "café key".encode("latin-1")},
    )
    assert answer.status_code == 400 and answer.json()["header"] == "Idempotency-Key"


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("raw", ["²", "١٢", "9" * 40, "-1", "1.²", "²."])
def test_cursors_with_unicode_digits_or_huge_numbers_are_a_400(
    client: TestClient, auth: Auth, org: Org, raw: str
) -> None:
    for path in (
        "/v1/audit/events",
        f"/v1/cycles/{org.cycle_id}/objective-changes",
    ):
        answer = client.get(path, params={"cursor": _cursor(raw)}, headers=auth(org.auditor))
        assert answer.status_code == 400, (path, raw, answer.text)
        assert answer.json()["type"].endswith("bad-cursor")
    for junk in ("%%%", "ü", "a" * 500):
        answer = client.get("/v1/audit/events", params={"cursor": junk}, headers=auth(org.auditor))
        assert answer.status_code in (400, 422), junk


def test_a_naive_as_of_on_an_aggregate_is_read_as_utc_not_a_500(
    client: TestClient, auth: Auth, org: Org
) -> None:
    answer = client.get(
        f"/v1/audit/aggregates/{org.review_id}",
        params={"as_of": "2030-01-01T00:00:00"},
        headers=auth(org.auditor),
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_moments_the_calendar_cannot_step_past_are_a_422_naming_the_parameter(
    client: TestClient, auth: Auth, org: Org, moment: str
) -> None:
    for path, name in (
        (f"/v1/audit/aggregates/{org.review_id}", "as_of"),
        (f"/v1/schools/{org.school_id}/cycles/{org.cycle_id}/summary", "as_of"),
        ("/v1/audit/events", "since"),
        (f"/v1/cycles/{org.cycle_id}/objective-changes", "until"),
    ):
        answer = client.get(path, params={name: moment}, headers=auth(org.trust_leader))
        assert answer.status_code == 422, (path, answer.text)
        assert name in answer.json()["detail"]


def test_overflowing_dates_on_dashboard_pages_are_refused_not_a_500(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    token = auth(org.trust_leader)["Authorization"].removeprefix("Bearer ")
    # A dashboard session (kept on the server) started with the development token sign-in.
    signed_in = client.post(
        "/session",
        data={"token": token},
        headers={"Origin": str(client.base_url)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    try:
        for path in (
            f"/trusts/{org.trust_id}/cycles/{org.cycle_id}",
            f"/schools/{org.school_id}/cycles/{org.cycle_id}",
        ):
            answer = client.get(path, params={"as_of": "9999-12-31"})
            assert answer.status_code == 422, (path, answer.status_code)
            answer = client.get(path, params={"min_position": str(10**30)})
            assert answer.status_code == 422, (path, answer.status_code)
    finally:
        client.cookies.clear()
    del api_container


def test_huge_numbers_are_a_422(client: TestClient, auth: Auth, org: Org) -> None:
    for params in ({"min_position": str(10**30)}, {"limit": str(10**30)}, {"version": "1e400"}):
        path = (
            f"/v1/audit/aggregates/{org.review_id}" if "version" in params else "/v1/audit/events"
        )
        answer = client.get(path, params=params, headers=auth(org.auditor))
        assert answer.status_code == 422, (params, answer.text)


def test_unknown_query_parameters_are_a_422_naming_them(
    client: TestClient, auth: Auth, org: Org
) -> None:
    cases = [
        # ?as_of= on a live review used to return the present.
        (f"/v1/reviews/{org.review_id}", {"as_of": "2026-01-01T00:00:00Z"}, "as_of"),
        # The CLI's flag name on the export used to export the whole log.
        ("/v1/audit/export", {"aggregate": str(org.review_id)}, "aggregate"),
        # from/to on objective changes were ignored.
        (f"/v1/cycles/{org.cycle_id}/objective-changes", {"from": "2026-01-01"}, "from"),
        (f"/v1/cycles/{org.cycle_id}/objective-changes", {"to": "2026-01-01"}, "to"),
    ]
    for path, params, name in cases:
        answer = client.get(path, params=params, headers=auth(org.trust_leader))
        assert answer.status_code == 422, (path, answer.text)
        body = answer.json()
        assert name in body["detail"]
        assert body["errors"][0]["field"] == f"query.{name}"
        assert _kept_alive(answer)


def test_a_rejected_command_with_bad_headers_records_nothing(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    before = _head(api_container)
    for headers in (
        {"If-Match": 'W/"\u0661"'.encode()},  # an Arabic-Indic digit one
        {"If-Match": '"' + "9" * 40 + '"'},
        {"If-Match": '"¹"'.encode("latin-1")},
    ):
        answer = client.post(
            f"/v1/reviews/{org.review_id}/meetings",
            json={"kind": "planning", "held_on": "2025-10-01", "notes": "Met"},
            headers=auth(org.appraiser) | headers,
        )
        assert answer.status_code == 400
    assert _head(api_container) == before
