"""Subject access over HTTP: a trust administrator exports a person (JSON, HTML, PDF, zip);
everyone else, another trust's administrator, and ids of no one get the same 404 problem;
bad input is a problem, never a 500; each export is recorded, a refused one is not."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from appraisals.wiring import Container
from commands import messages as m
from testkit.scenario import Org, build_org
from tests.api.conftest import Auth


def url(person: object, fmt: str = "json") -> str:
    return f"/v1/admin/people/{person}/subject-access?format={fmt}"


def exports_recorded(container: Container, person: object) -> int:
    head = container.store.recorder.max_notification_id() or 0
    notes = container.store.recorder.select_notifications(
        1, head, topics=["appraisals/SubjectAccessExported"]
    )
    return sum(1 for n in notes if str(n.originator_id) == str(person))


def test_a_trust_admin_exports_a_person_with_names_and_the_export_is_recorded(
    client: TestClient, auth: Auth, org: Org, api_container: Container
) -> None:
    api_container.commands.execute(
        m.DraftObjective(
            review_id=org.review_id,
            title="Lead phonics across Key Stage 1",
            description="Phonics lead for the school",
            success_criteria=["Screening check results improve"],
            due_date=date(2026, 6, 30),
        ),
        org.appraiser,
    )
    response = client.get(url(org.appraisee_id), headers=auth(org.admin))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["person"] == {"id": str(org.appraisee_id), "name": "Ann Appraisee"}
    types = [e["event_type"] for e in body["events"]]
    assert {"StaffRegistered", "ReviewStarted", "ObjectiveDrafted"} <= set(types)
    assert any(e["actor_name"] == "Bob Appraiser" for e in body["events"])
    assert exports_recorded(api_container, org.appraisee_id) == 1

    html = client.get(url(org.appraisee_id, "html"), headers=auth(org.admin))
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "Lead phonics across Key Stage 1" in html.text
    assert str(org.appraisee_id) not in html.text

    pdf = client.get(url(org.appraisee_id, "pdf"), headers=auth(org.admin))
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ann Appraisee" in text and "Bob Appraiser" in text

    bundled = client.get(url(org.appraisee_id, "zip"), headers=auth(org.admin))
    assert bundled.status_code == 200
    with zipfile.ZipFile(io.BytesIO(bundled.content)) as z:
        assert {"export.json", "export.html", "export.pdf", "manifest.json"} <= set(z.namelist())
    assert exports_recorded(api_container, org.appraisee_id) == 4


@pytest.mark.parametrize(
    "who", ["appraisee", "appraiser", "school_leader", "trust_leader", "auditor", "analyst"]
)
def test_anyone_but_a_trust_admin_gets_the_same_404_as_for_no_one(
    client: TestClient, auth: Auth, org: Org, api_container: Container, who: str
) -> None:
    missing = client.get(url(uuid4()), headers=auth(org.admin))
    denied = client.get(url(org.appraisee_id), headers=auth(getattr(org, who)))
    assert missing.status_code == denied.status_code == 404
    assert denied.headers["content-type"] == "application/problem+json"
    assert {k: v for k, v in denied.json().items() if k != "instance"} == {
        k: v for k, v in missing.json().items() if k != "instance"
    }
    assert exports_recorded(api_container, org.appraisee_id) == 0


def test_another_trusts_admin_and_a_platform_admin_get_404(
    client: TestClient, auth: Auth, org: Org, api_container: Container
) -> None:
    other = build_org(api_container.commands, name="Elm Trust")
    for principal in (other.admin, org.platform_admin):
        response = client.get(url(org.appraisee_id), headers=auth(principal))
        assert response.status_code == 404, principal
    assert exports_recorded(api_container, org.appraisee_id) == 0


@pytest.mark.parametrize(
    "path",
    [
        url("not-a-uuid"),
        url("1"),
        url("00000000-0000-0000-0000-00000000000g"),
        "/v1/admin/people/{}/subject-access?format=docx",
        "/v1/admin/people/{}/subject-access?format=",
        "/v1/admin/people/{}/subject-access?formatt=json",
    ],
)
def test_bad_input_is_a_problem_not_a_500(
    client: TestClient, auth: Auth, org: Org, path: str
) -> None:
    response = client.get(path.format(org.appraisee_id), headers=auth(org.admin))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_trust_id_or_a_review_id_is_no_one(client: TestClient, auth: Auth, org: Org) -> None:
    for not_a_person in (org.trust_id, org.review_id, org.school_id):
        assert client.get(url(not_a_person), headers=auth(org.admin)).status_code == 404
