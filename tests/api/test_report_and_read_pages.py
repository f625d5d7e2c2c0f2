"""The written report (page and PDF) and the read-side pages over HTTP on the real app and
PostgreSQL: a whole cycle is run, then the report is opened as each reader would; denial looks
missing; bad query input gets an RFC 9457 problem."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from appraisals.wiring import Container
from commands.principal import Principal
from replay.report import build_report, render_report_pdf
from testkit.scenario import Org
from tests.api.conftest import Auth
from web.session import principal_json

WEB_COOKIE = "appraisals_session"
OBJECTIVE = "Raise Year 4 reading fluency"


def _post(client: TestClient, auth: Auth, who: Principal, path: str, body: Any = None) -> int:
    r = client.post(path, json=body or {}, headers=auth(who))
    assert r.status_code in (200, 201), r.text
    return int(r.json()["position"])


@pytest.fixture(scope="module")
def cycle(client: TestClient, auth: Auth, api_container: Container) -> tuple[Org, int]:
    """One review from its start to moderation, an appeal upheld and signed again."""
    from testkit.scenario import build_org

    org = build_org(api_container.commands, name="Elm Report Trust")
    rv = f"/v1/reviews/{org.review_id}"
    for kind, held_on in (
        ("planning", "2025-09-20"),
        ("mid_year", "2026-02-20"),
        ("end_year", "2026-07-01"),
    ):
        _post(
            client,
            auth,
            org.appraiser,
            f"{rv}/meetings",
            {"kind": kind, "held_on": held_on, "notes": "Met"},
        )
    r = client.post(
        "/v1/objectives",
        json={
            "review_id": str(org.review_id),
            "title": OBJECTIVE,
            "success_criteria": ["85% at the expected standard"],
            "due_date": "2026-07-10",
        },
        headers=auth(org.appraiser),
    )
    assert r.status_code == 201, r.text
    objective = r.json()["aggregate_id"]
    _post(client, auth, org.appraisee, f"/v1/objectives/{objective}/agreement")
    _post(client, auth, org.appraiser, f"/v1/objectives/{objective}/agreement")
    _post(client, auth, org.appraisee, f"{rv}/self-assessment", {"text": "Reading rose all year"})
    _post(
        client,
        auth,
        org.appraiser,
        f"/v1/objectives/{objective}/assessment",
        {"outcome": "met", "comment": "Clearly met"},
    )
    _post(
        client,
        auth,
        org.appraiser,
        f"{rv}/assessment",
        {"overall": "meets", "summary": "A strong year"},
    )
    _post(client, auth, org.appraiser, f"{rv}/report")
    _post(client, auth, org.appraisee, f"{rv}/comments", {"comment": "I agree with the report"})
    _post(client, auth, org.appraisee, f"{rv}/sign-off")
    _post(client, auth, org.appraiser, f"{rv}/sign-off")
    _post(
        client,
        auth,
        org.school_leader,
        f"{rv}/moderation",
        {"outcome": "confirmed", "note": "Consistent"},
    )
    _post(client, auth, org.appraisee, f"{rv}/appeals", {"grounds": "Evidence was missed"})
    position = _post(
        client,
        auth,
        org.trust_leader,
        f"{rv}/appeals/decision",
        {"outcome": "upheld", "note": "Evidence not weighed"},
    )
    assert api_container.projections.wait_for(position, timeout=30)
    return org, position


@pytest.fixture
def as_who(client: TestClient, api_container: Container) -> Iterator[Any]:
    def sign_in(p: Principal) -> TestClient:
        assert api_container.identity is not None
        session, _ = api_container.identity.sessions.start(
            person_id=None,
            trust_id=p.trust_id,
            method="development-token",
            fixed_principal=principal_json(p),
        )
        client.cookies.set(WEB_COOKIE, session)
        return client

    yield sign_in
    client.cookies.clear()


def test_the_report_page_and_pdf_name_the_people_objectives_signatures_and_log_position(
    cycle: tuple[Org, int], as_who: Any, api_container: Container
) -> None:
    org, position = cycle
    client = as_who(org.appraisee)
    page = client.get(f"/reviews/{org.review_id}/report")
    assert page.status_code == 200, page.text
    for text in (
        "Ann Appraisee",
        OBJECTIVE,
        "Reading rose all year",
        "I agree with the report",
        "Evidence was missed",
        "upheld",
        "Signed before the review was reopened",
    ):
        assert text in page.text
    pdf = client.get(f"/reviews/{org.review_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf.content)).pages)
    text = " ".join(text.split())
    report = build_report(api_container.projections.db, api_container.store.recorder, org.review_id)
    for expected in ("Ann Appraisee", OBJECTIVE, "Signatures", "Clearly met", "Consistent"):
        assert expected in text, expected
    assert f"log position {report.log_head}" in text and report.log_head >= position
    assert report.review_record_hash[:12] in text.replace(" ", "")
    # The footer's hash is the stored record's at that version (what the audit API shows).
    assert report.review_record_hash == _hash_at(api_container, org, report.review_version)
    assert render_report_pdf(report).startswith(b"%PDF")


def _hash_at(container: Container, org: Org, version: int) -> str:
    from replay.aggregates import history

    return history(container.store.recorder, org.review_id, upto=version)[-1].record_hash


def test_a_report_is_missing_for_whoever_may_not_read_the_review(
    cycle: tuple[Org, int], as_who: Any
) -> None:
    org, _ = cycle
    for who in (org.analyst, org.other_school_leader):
        client = as_who(who)
        for suffix in ("report", "report.pdf"):
            r = client.get(f"/reviews/{org.review_id}/{suffix}")
            assert r.status_code == 404, (who.role, suffix)
    client = as_who(org.auditor)
    assert client.get(f"/reviews/{org.review_id}/report").status_code == 200
    assert client.get(f"/reviews/{org.appraisee_id}/report").status_code == 404


def test_read_pages_answer_bad_query_input_with_a_problem(
    cycle: tuple[Org, int], as_who: Any
) -> None:
    org, _ = cycle
    client = as_who(org.auditor)
    for path in (
        "/audit/log?since=yesterday",
        "/audit/log?after=-1",
        "/audit/log?type=Drop%20table",
        "/audit/log?actor=not-a-uuid",
        "/audit/log.xml",
        f"/audit/reviews/{org.review_id}?as_of=2026-02-30",
        f"/audit/records/{org.review_id}?as_of=99999-01-01",
        f"/trusts/{org.trust_id}/cycles/{org.cycle_id}/schools.csv?as_of=soon",
    ):
        r = client.get(path)
        assert r.status_code == 422, (path, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json"), path
        assert r.json()["status"] == 422


def test_the_auditor_reads_the_log_a_timeline_as_of_a_diff_and_exports(
    cycle: tuple[Org, int], as_who: Any
) -> None:
    org, _ = cycle
    client = as_who(org.auditor)
    # The filter form's empty boxes mean "any", not a malformed date.
    assert client.get("/audit/log?type=&since=&until=").status_code == 200
    log = client.get("/audit/log?type=AppealDecided")
    assert log.status_code == 200 and "Appeal decided" in log.text
    exported = client.get(f"/audit/log.csv?record={org.review_id}")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert exported.status_code == 200 and any("AppealDecided" in r for r in rows)
    timeline = client.get(f"/audit/reviews/{org.review_id}?from=2000-01-01&to=2100-01-01")
    assert timeline.status_code == 200 and "Changes between" in timeline.text
    assert OBJECTIVE in timeline.text
    before = client.get(f"/audit/reviews/{org.review_id}?as_of=2000-01-01")
    assert "did not exist yet" in before.text
    record = client.get(f"/audit/records/{org.appraisee_id}")
    assert record.status_code == 200 and "Ann Appraisee" in record.text
    # The log is not the analyst's or the school leader's; another trust's record is missing.
    for who in (org.analyst, org.school_leader):
        assert as_who(who).get("/audit/log").status_code == 404
    assert as_who(org.analyst).get(f"/audit/reviews/{org.review_id}").status_code == 404


def test_trust_leader_downloads_tables_and_sees_priorities_coverage(
    cycle: tuple[Org, int], as_who: Any
) -> None:
    org, _ = cycle
    client = as_who(org.trust_leader)
    base = f"/trusts/{org.trust_id}/cycles/{org.cycle_id}"
    schools = client.get(f"{base}/schools.csv")
    assert schools.status_code == 200, schools.text
    header, *rows = list(csv.reader(io.StringIO(schools.text)))
    assert header[0] == "School" and {r[0] for r in rows} >= {"Oak Primary"}
    assert client.get(f"{base}/priorities").status_code == 200
    assert client.get(f"{base}/priorities.csv").status_code == 200
    reviews = client.get(f"/schools/{org.school_id}/cycles/{org.cycle_id}/reviews.csv")
    assert "Ann Appraisee" in reviews.text
    # A school leader has no trust-wide table; the other school's reviews are not theirs.
    leader = as_who(org.school_leader)
    assert leader.get(f"{base}/schools.csv").status_code == 404
    assert (
        leader.get(f"/schools/{org.other_school_id}/cycles/{org.cycle_id}/reviews.csv").status_code
        == 404
    )
