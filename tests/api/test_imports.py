"""Onboarding from an MIS export: dry run, real run, re-run, a changed row, bad files."""

from __future__ import annotations

from fastapi.testclient import TestClient

from appraisals.wiring import Container
from testkit.scenario import Org
from tests.api.conftest import Auth

HEADER = (
    "Staff Code,Forename,Surname,Preferred Name,Email,Job Title,Category,School,"
    "Line Manager Code,Start Date\n"
)


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _post(client: TestClient, auth: Auth, org: Org, body: bytes, **params: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/imports/staff",
        content=body,
        params={k: str(v).lower() for k, v in params.items()},
        headers={**auth(org.admin), "Content-Type": "text/csv"},
    )


def _head(container: Container) -> int:
    return int(container.store.recorder.max_notification_id() or 0)


FILE = _csv(
    "S1,Carol,Head,,carol@oak.example,Headteacher,Headteacher,Oak Primary,,2019-09-01",
    "S2,Dan,Teach,Danny,dan@oak.example,Year 3 Teacher,Teacher,Oak Primary,S1,01/09/2022",
    "S3,Eve,Assist,,eve@oak.example,Teaching Assistant,Support,Ash Academy,S1,2023-01-09",
    ",Ann,Appraisee,,ann@oak.example,Class Teacher,Teacher,Oak Primary,,2020-09-01",
    ",Bob,Appraiser,,bob@oak.example,Phase Leader,Teacher,Oak Primary,,2020-09-01",
)


def test_a_dry_run_plans_and_records_nothing(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    before = _head(api_container)
    plan = _post(client, auth, org, FILE, dry_run=True)
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["rows"] == 5 and len(body["add"]) == 3 and body["change"] == []
    assert body["rejected"] == [] and body["commands_recorded"] == 0
    assert _head(api_container) == before


def test_a_real_run_records_the_file_and_a_rerun_records_nothing(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    done = _post(client, auth, org, FILE, dry_run=False)
    assert done.status_code == 200, done.text
    assert done.json()["commands_recorded"] == 5  # 3 registered, 2 line managers
    head = _head(api_container)
    staff = client.get(
        "/v1/staff", params={"q": "danny", "min_position": head}, headers=auth(org.admin)
    ).json()["items"]
    assert staff[0]["person"]["display_name"] == "Danny Teach"
    assert staff[0]["line_manager_name"] == "Carol Head"
    again = _post(client, auth, org, FILE, dry_run=False)
    assert again.json()["commands_recorded"] == 0
    assert _head(api_container) == head
    # A changed row: a new job title and school is recorded as its own events.
    changed = FILE.replace(
        b"Year 3 Teacher,Teacher,Oak Primary", b"Year 4 Lead,Teacher,Ash Academy"
    )
    plan = _post(client, auth, org, changed, dry_run=False).json()
    assert plan["change"] and "job title" in plan["change"][0] and "school" in plan["change"][0]
    assert plan["commands_recorded"] == 2


def test_leavers_are_recorded_only_after_confirmation(
    client: TestClient, org: Org, auth: Auth
) -> None:
    without_bob = _csv(
        ",Ann,Appraisee,,ann@oak.example,Class Teacher,Teacher,Oak Primary,,2020-09-01"
    )
    plan = _post(client, auth, org, without_bob, dry_run=False).json()
    assert "leave" in plan, plan
    assert plan["leave"] == ["Bob Appraiser <bob@oak.example>"]
    assert plan["commands_recorded"] == 0
    confirmed = _post(client, auth, org, without_bob, dry_run=False, confirm_leavers=True)
    assert confirmed.json()["commands_recorded"] == 1


def test_a_malformed_file_lists_every_bad_row_and_records_nothing(
    client: TestClient, api_container: Container, org: Org, auth: Auth
) -> None:
    before = _head(api_container)
    bad = _csv(
        "S1,Carol,Head,,carol@oak.example,Headteacher,Headteacher,Oak Primary,,2019-09-01",
        "S2,Dan,Teach,,not-an-email,Teacher,Teacher,Oak Primary,S1,2022-09-01",
        "S3,Eve,Assist,,carol@oak.example,TA,Support,Ash Academy,,2023-01-09",
        "S4,Fay,Far,,fay@oak.example,TA,Support,Nowhere School,,2023-01-09",
        "S5,Gus,Lost,,gus@oak.example,TA,Support,Ash Academy,S99,2023-01-09",
        "S6,Hal,Odd,,hal@oak.example,TA,Wizard,Ash Academy,,31/31/2023",
    )
    answer = _post(client, auth, org, bad, dry_run=False)
    assert answer.status_code == 422
    rejected = {r["line"]: r["reason"] for r in answer.json()["rejected"]}
    assert set(rejected) == {3, 4, 5, 6, 7}
    assert "not an email" in rejected[3]
    assert "also on line 2" in rejected[4]
    assert "unknown school" in rejected[5]
    assert "line manager 'S99'" in rejected[6]
    assert "unknown category" in rejected[7] and "not a date" in rejected[7]
    assert _head(api_container) == before
    header = _post(client, auth, org, b"Name,Mail\nx,y\n", dry_run=True).json()
    assert header["rejected"][0]["line"] == 1 and "missing" in header["rejected"][0]["reason"]


def test_only_administrators_import(client: TestClient, org: Org, auth: Auth) -> None:
    answer = client.post(
        "/v1/imports/staff",
        content=FILE,
        headers={**auth(org.trust_leader), "Content-Type": "text/csv"},
    )
    assert answer.status_code == 403
