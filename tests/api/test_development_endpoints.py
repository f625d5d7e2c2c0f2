"""The work around the appraisal over HTTP, through the real app on PostgreSQL: CPD, evidence
files (sniffed, limited, downloaded under the read policy, removed), observations, the pay
recommendation (404 for everyone outside its audience, role by role) and the framework."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aggregates.pay import pay_recommendation_id_for
from appraisals.wiring import Container
from commands.principal import Principal
from events.base import Role
from testkit.scenario import Org, build_org
from testkit.scenario_development import agreed_objective, issue_report
from tests.api.conftest import Auth

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + b"x" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def world(api_container: Container) -> Iterator[tuple[Org, Org, uuid.UUID]]:
    org = build_org(api_container.commands)
    other = build_org(api_container.commands, name="Rowan Trust")
    objective_id = agreed_objective(api_container.commands, org)
    yield org, other, objective_id


def people(org: Org, other: Org) -> dict[str, Principal]:
    return {
        "appraisee": org.appraisee,
        "appraiser": org.appraiser,
        "unrelated staff": Principal(uuid.uuid4(), Role.STAFF, trust_id=org.trust_id),
        "school leader": org.school_leader,
        "leader of another school": org.other_school_leader,
        "trust leader": org.trust_leader,
        "auditor": org.auditor,
        "analyst": org.analyst,
        "admin": org.admin,
        "platform admin": org.platform_admin,
        "pay committee": Principal(uuid.uuid4(), Role.PAY_COMMITTEE, trust_id=org.trust_id),
        "pay committee of another trust": Principal(
            uuid.uuid4(), Role.PAY_COMMITTEE, trust_id=other.trust_id
        ),
        "trust leader of another trust": other.trust_leader,
        "auditor of another trust": other.auditor,
    }


def post(client: TestClient, auth: Auth, who: Principal, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=auth(who))


def wait(client: TestClient, auth: Auth, who: Principal, path: str, position: int) -> Any:
    return client.get(path, params={"min_position": position}, headers=auth(who))


# CPD ---------------------------------------------------------------------------------------


def test_cpd_is_planned_done_and_reflected_on_and_shows_in_the_log_and_trust_view(
    client: TestClient, auth: Auth, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, _, objective_id = world
    r = post(
        client,
        auth,
        org.appraisee,
        "/v1/cpd",
        {
            "review_id": str(org.review_id),
            "title": "Guided reading masterclass",
            "provider": "English Hub",
            "kind": "course",
            "starts_on": "2025-09-05",
            "ends_on": "2025-09-05",
            "hours": 6,
            "cost_pence": 15000,
            "objective_ids": [str(objective_id)],
        },
    )
    assert r.status_code == 201, r.text
    activity = r.json()["aggregate_id"]
    r = post(
        client,
        auth,
        org.appraiser,
        f"/v1/cpd/{activity}/completion",
        {"completed_on": "2025-09-05"},
    )
    assert r.status_code == 200, r.text
    r = post(
        client,
        auth,
        org.appraiser,
        f"/v1/cpd/{activity}/reflection",
        {"reflection": "x", "impact": "clear"},
    )
    assert r.status_code == 403  # only the person reflects
    r = post(
        client,
        auth,
        org.appraisee,
        f"/v1/cpd/{activity}/reflection",
        {"reflection": "My questioning improved", "impact": "clear"},
    )
    position = r.json()["position"]
    log = wait(client, auth, org.appraisee, f"/v1/staff/{org.appraisee_id}/cpd", position).json()
    assert log["staff_name"] == "Ann Appraisee"
    [row] = log["activities"]
    assert (row["status"], row["impact"], row["minutes"]) == ("done", "clear", 360)
    assert log["objectives"] == {str(objective_id): "Improve reading"}
    view = client.get(
        f"/v1/trusts/{org.trust_id}/cycles/{org.cycle_id}/cpd", headers=auth(org.trust_leader)
    )
    assert view.status_code == 200
    [school] = view.json()["schools"]
    assert school["school"] == "Oak Primary" and school["effort"]["done_hours"] == 6.0
    for who in (org.appraisee, org.other_school_leader):
        path = f"/v1/trusts/{org.trust_id}/cycles/{org.cycle_id}/cpd"
        assert client.get(path, headers=auth(who)).status_code == 404
    r = client.get(f"/v1/cpd/{activity}", headers=auth(org.other_school_leader))
    assert r.status_code == 404


def test_cpd_linked_to_someone_elses_objective_is_a_problem_naming_the_rule(
    client: TestClient, auth: Auth, api_container: Container, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, other, _ = world
    theirs = agreed_objective(api_container.commands, other)
    body = {
        "review_id": str(org.review_id),
        "title": "Phonics",
        "kind": "inset",
        "starts_on": "2025-09-05",
        "ends_on": "2025-09-05",
        "hours": 1.5,
    }
    r = post(client, auth, org.appraisee, "/v1/cpd", {**body, "objective_ids": [str(theirs)]})
    assert r.status_code == 404  # another trust's objective does not exist for Ann
    bobs_review = api_container.commands.execute(
        __import__("commands.messages", fromlist=["StartReview"]).StartReview(
            cycle_id=org.cycle_id, appraisee_id=org.appraiser_id, appraiser_id=org.appraisee_id
        ),
        org.school_leader,
    ).aggregate_id
    bobs = api_container.commands.execute(
        __import__("commands.messages", fromlist=["DraftObjective"]).DraftObjective(
            review_id=bobs_review,
            title="Lead phonics",
            success_criteria=["c"],
            due_date=date(2026, 7, 1),
        ),
        org.appraiser,
    ).aggregate_id
    r = post(client, auth, org.appraisee, "/v1/cpd", {**body, "objective_ids": [str(bobs)]})
    assert r.status_code == 422
    assert r.json()["rule"] == "cpd-objective-of-appraisee"
    r = post(client, auth, org.appraisee, "/v1/cpd", {**body, "hours": 0})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


# Evidence ----------------------------------------------------------------------------------


def upload(
    client: TestClient, auth: Auth, who: Principal, objective_id: uuid.UUID, name: str, data: bytes
) -> Any:
    return client.post(
        f"/v1/objectives/{objective_id}/evidence/files",
        files={"file": (name, data, "application/pdf")},
        data={"title": "Autumn reading data"},
        headers=auth(who),
    )


def blob_files(container: Container) -> list[Path]:
    return [p for p in Path(container.settings.blob_dir).rglob("*") if p.is_file()]


def test_an_evidence_file_is_stored_by_hash_downloaded_under_the_read_policy_and_removed(
    client: TestClient, auth: Auth, api_container: Container, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, other, objective_id = world
    r = upload(client, auth, org.appraisee, objective_id, "reading-data.pdf", PDF)
    assert r.status_code == 201, r.text
    evidence_id, position = r.json()["aggregate_id"], r.json()["position"]
    facts = wait(client, auth, org.appraiser, f"/v1/evidence/{evidence_id}", position).json()
    assert facts["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (facts["size"], facts["content_type"], facts["filename"]) == (
        len(PDF),
        "application/pdf",
        "reading-data.pdf",
    )
    # The event records the facts, never the bytes.
    stored = api_container.store.recorder.select_events(uuid.UUID(evidence_id))[0].state
    assert b"%PDF" not in stored and facts["sha256"].encode() in stored
    got = client.get(f"/v1/evidence/{evidence_id}/file", headers=auth(org.school_leader))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in got.headers["content-disposition"]
    for who in (
        "unrelated staff",
        "leader of another school",
        "analyst",
        "trust leader of another trust",
        "pay committee",
    ):
        r = client.get(f"/v1/evidence/{evidence_id}/file", headers=auth(people(org, other)[who]))
        assert r.status_code == 404, who
    listed = client.get(f"/v1/objectives/{objective_id}/evidence", headers=auth(org.appraisee))
    assert [e["evidence_id"] for e in listed.json()["items"]] == [evidence_id]

    before = len(blob_files(api_container))
    r = client.post(
        f"/v1/evidence/{evidence_id}/removal",
        json={"reason": "Wrong class's data"},
        headers=auth(org.appraisee),
    )
    assert r.status_code == 200, r.text
    assert len(blob_files(api_container)) == before - 1
    removed = wait(
        client, auth, org.appraisee, f"/v1/evidence/{evidence_id}", r.json()["position"]
    ).json()
    assert removed["removed"] and removed["sha256"] == facts["sha256"]
    assert (
        client.get(f"/v1/evidence/{evidence_id}/file", headers=auth(org.appraisee)).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("name", "data", "rule", "says"),
    [
        ("big.pdf", b"%PDF-1.4\n" + b"x" * 70_000, "evidence-file-size", "64,000 bytes"),
        ("empty.pdf", b"", "evidence-file-not-empty", "empty"),
        ("photo.pdf", PNG, "evidence-file-type-matches-name", "image/png"),
        (
            "notes.pdf",
            b"just some text, not a PDF at all",
            "evidence-file-type",
            "no recognised type",
        ),
        (
            "tool.pdf",
            b"MZ\x90\x00" + b"\x00" * 100,
            "evidence-file-type",
            "application/x-msdownload",
        ),
    ],
)
def test_oversized_empty_and_mislabelled_files_are_refused_naming_the_limit_and_leave_nothing(
    client: TestClient,
    auth: Auth,
    api_container: Container,
    world: tuple[Org, Org, uuid.UUID],
    name: str,
    data: bytes,
    rule: str,
    says: str,
) -> None:
    org, _, objective_id = world
    head = api_container.store.recorder.max_notification_id()
    blobs = len(blob_files(api_container))
    r = upload(client, auth, org.appraisee, objective_id, name, data)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["rule"] == rule and says in r.json()["detail"]
    assert api_container.store.recorder.max_notification_id() == head
    assert len(blob_files(api_container)) == blobs


def test_a_refused_attachment_deletes_the_bytes_it_stored(
    client: TestClient, auth: Auth, api_container: Container, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, _, objective_id = world
    blobs = len(blob_files(api_container))
    r = upload(client, auth, org.school_leader, objective_id, "report.docx", docx())
    assert r.status_code == 403  # school leaders do not add evidence to someone's objective
    assert len(blob_files(api_container)) == blobs
    ok = upload(client, auth, org.appraiser, objective_id, "report.docx", docx())
    assert ok.status_code == 201, ok.text


# Observations ------------------------------------------------------------------------------


def test_an_observation_is_seen_and_answered_by_the_observed_person_and_counted_by_standard(
    client: TestClient, auth: Auth, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, _, objective_id = world
    body = {
        "review_id": str(org.review_id),
        "held_on": "2025-09-12",
        "context": "Year 4 guided reading",
        "focus_standards": ["TS2", "TS5b"],
        "strengths": "Clear modelling",
        "areas_to_develop": "Questions for the lowest 20%",
        "objective_ids": [str(objective_id)],
    }
    assert (
        post(
            client, auth, org.appraiser, "/v1/observations", {**body, "focus_standards": ["TS10"]}
        ).json()["rule"]
        == "observation-standards-known"
    )
    assert (
        post(client, auth, org.appraiser, "/v1/observations", {**body, "grade": "Good"}).json()[
            "rule"
        ]
        == "observation-ungraded"
    )
    assert post(client, auth, org.appraisee, "/v1/observations", body).status_code == 403
    r = post(client, auth, org.appraiser, "/v1/observations", body)
    assert r.status_code == 201, r.text
    oid = r.json()["aggregate_id"]
    seen = wait(client, auth, org.appraisee, f"/v1/observations/{oid}", r.json()["position"]).json()
    assert (seen["observer_name"], seen["observed_name"]) == ("Bob Appraiser", "Ann Appraisee")
    r = post(
        client,
        auth,
        org.appraisee,
        f"/v1/observations/{oid}/response",
        {"comment": "I will try hinge questions"},
    )
    assert r.status_code == 200
    assert (
        client.get(f"/v1/observations/{oid}", headers=auth(org.other_school_leader)).status_code
        == 404
    )
    focus = wait(
        client,
        auth,
        org.trust_leader,
        f"/v1/trusts/{org.trust_id}/cycles/{org.cycle_id}/observation-focus",
        r.json()["position"],
    ).json()
    [school] = focus["schools"]
    assert school["school"] == "Oak Primary"
    assert {s["standard"]: s["observations"] for s in school["standards"]} == {"TS2": 1, "TS5": 1}


# Pay ---------------------------------------------------------------------------------------

PAY_AUDIENCE = {"appraisee", "school leader", "pay committee"}


def test_a_pay_recommendation_is_read_only_by_its_audience_every_other_role_gets_a_404(
    client: TestClient, auth: Auth, api_container: Container, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, other, _ = world
    path = f"/v1/reviews/{org.review_id}/pay-recommendation"
    body = {"recommendation": "progress", "reasons": "Objectives met; strong report"}
    r = post(client, auth, org.appraiser, path, body)
    assert r.status_code == 422 and r.json()["rule"] == "pay-after-report"
    issue_report(api_container.commands, org)
    r = post(client, auth, org.appraiser, path, body)
    assert r.status_code == 201, r.text
    position = r.json()["position"]
    who = people(org, other)
    decided = post(
        client,
        auth,
        who["pay committee"],
        f"/v1/reviews/{org.review_id}/pay-decision",
        {"decision": "progress", "decided_on": "2025-09-15", "rationale": "As recommended"},
    )
    assert decided.status_code == 200, decided.text
    position = decided.json()["position"]
    missing = client.get(
        f"/v1/reviews/{uuid.uuid4()}/pay-recommendation", headers=auth(org.school_leader)
    )
    for role, principal in who.items():
        r = wait(client, auth, principal, path, position)
        if role in PAY_AUDIENCE:
            assert r.status_code == 200, role
            assert r.json()["recommendation"]["decision"] == "progress"
            assert r.json()["appraisee_name"] == "Ann Appraisee"
        else:
            assert r.status_code == 404, role
            assert r.json()["detail"] == missing.json()["detail"]  # denied reads as missing
    # Nor through the audit trail: the aggregate is hidden, the log says only that it happened.
    aggregate = f"/v1/audit/aggregates/{pay_recommendation_id_for(org.review_id)}"
    for role in ("auditor", "trust leader", "admin", "appraiser"):
        assert client.get(aggregate, headers=auth(who[role])).status_code == 404, role
    assert client.get(aggregate, headers=auth(org.appraisee)).status_code == 200
    log = wait(client, auth, org.auditor, "/v1/audit/events", position).json()
    summaries = [e["summary"] for e in log["items"] if e["event_type"].startswith("Pay")]
    assert summaries == ["Pay recommendation recorded", "Pay decision recorded"]
    # Never in the report or the school's views.
    review = client.get(f"/v1/reviews/{org.review_id}", headers=auth(org.school_leader)).text
    summary = client.get(
        f"/v1/schools/{org.school_id}/cycles/{org.cycle_id}/summary",
        headers=auth(org.school_leader),
    ).text
    for text in (review, summary):
        assert "Objectives met" not in text and "recommendation" not in text and "pay" not in text


def test_only_the_pay_committee_records_the_decision(
    client: TestClient, auth: Auth, api_container: Container, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, _, _ = world
    issue_report(api_container.commands, org)
    post(
        client,
        auth,
        org.school_leader,
        f"/v1/reviews/{org.review_id}/pay-recommendation",
        {"recommendation": "defer", "reasons": "Appeal pending"},
    )
    body = {"decision": "defer", "decided_on": "2025-09-15", "rationale": "Await appeal"}
    for who in (org.school_leader, org.trust_leader, org.admin, org.appraisee):
        r = post(client, auth, who, f"/v1/reviews/{org.review_id}/pay-decision", body)
        assert r.status_code == 403, r.text


# Framework ---------------------------------------------------------------------------------


def test_a_trust_publishes_a_scale_and_a_cycle_reports_by_it(
    client: TestClient, auth: Auth, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, _, objective_id = world
    scale = {
        "name": "Three-point",
        "objective_levels": [
            {"key": "achieved", "label": "Achieved", "counts_as": "met"},
            {"key": "partly", "label": "Partly", "counts_as": "partially_met"},
            {"key": "not_yet", "label": "Not yet", "counts_as": "not_met"},
        ],
        "overall_levels": [
            {"key": "secure", "label": "Secure", "counts_as": "meets"},
            {"key": "support", "label": "Support", "counts_as": "does_not_meet"},
        ],
    }
    assert (
        post(
            client, auth, org.school_leader, f"/v1/trusts/{org.trust_id}/rating-scales", scale
        ).status_code
        == 403
    )
    assert (
        post(
            client, auth, org.trust_leader, f"/v1/trusts/{org.trust_id}/rating-scales", scale
        ).status_code
        == 201
    )
    r = client.post(
        f"/v1/cycles/{org.cycle_id}/policy",
        json={
            "max_objectives": 3,
            "appeal_window_days": 10,
            "rating_scale_version": 1,
            "reason": "Adopt the scale",
        },
        headers=auth(org.admin),
    )
    assert r.status_code == 200, r.text
    r = post(
        client,
        auth,
        org.appraiser,
        f"/v1/objectives/{objective_id}/assessment",
        {"level": "partly", "comment": "Nearly"},
    )
    assert r.status_code == 200, r.text
    out = wait(
        client,
        auth,
        org.trust_leader,
        f"/v1/trusts/{org.trust_id}/cycles/{org.cycle_id}/outcomes",
        r.json()["position"],
    ).json()
    assert out["scale"]["name"] == "Three-point"
    assert [(c["label"], c["count"]) for c in out["trust"]["objectives"]] == [
        ("Achieved", 0),
        ("Partly", 1),
        ("Not yet", 0),
    ]
    r = post(
        client,
        auth,
        org.trust_leader,
        f"/v1/trusts/{org.trust_id}/objective-templates",
        {"title": "Reading for pleasure", "success_criteria": ["Loans up"], "standards": ["TS4b"]},
    )
    assert r.status_code == 201
    templates = wait(
        client,
        auth,
        org.appraisee,
        f"/v1/trusts/{org.trust_id}/objective-templates",
        r.json()["position"],
    ).json()
    assert [t["title"] for t in templates] == ["Reading for pleasure"]


def test_a_file_far_over_the_limit_is_cut_off_with_a_problem_naming_the_limit(
    client: TestClient, auth: Auth, api_container: Container, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, _, objective_id = world
    head = api_container.store.recorder.max_notification_id()
    big = b"%PDF-1.4\n" + b"x" * (api_container.settings.evidence_max_bytes + 200_000)
    r = upload(client, auth, org.appraisee, objective_id, "huge.pdf", big)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert "bytes" in r.json()["detail"]
    assert api_container.store.recorder.max_notification_id() == head


def test_a_retried_upload_with_the_same_key_records_once_and_observations_take_files_too(
    client: TestClient, auth: Auth, api_container: Container, world: tuple[Org, Org, uuid.UUID]
) -> None:
    org, _, objective_id = world
    key = {"Idempotency-Key": str(uuid.uuid4())}
    path = f"/v1/objectives/{objective_id}/evidence/files"
    files = {"file": ("plan.pdf", PDF, "application/pdf")}
    head = api_container.store.recorder.max_notification_id() or 0
    first = client.post(path, files=files, headers=auth(org.appraisee) | key)
    again = client.post(path, files=files, headers=auth(org.appraisee) | key)
    assert first.status_code == again.status_code == 201
    assert again.json()["replayed"] and again.json()["aggregate_id"] == first.json()["aggregate_id"]
    assert (api_container.store.recorder.max_notification_id() or 0) == head + 1
    observation = post(
        client,
        auth,
        org.appraiser,
        "/v1/observations",
        {
            "review_id": str(org.review_id),
            "held_on": "2025-09-12",
            "context": "Year 4",
            "focus_standards": ["TS7"],
            "strengths": "Routines",
            "areas_to_develop": "Pace",
        },
    ).json()["aggregate_id"]
    r = client.post(
        f"/v1/observations/{observation}/evidence/files",
        files={"file": ("seating.png", PNG, "image/png")},
        headers=auth(org.appraiser),
    )
    assert r.status_code == 201, r.text
    listed = wait(
        client,
        auth,
        org.appraisee,
        f"/v1/observations/{observation}/evidence",
        r.json()["position"],
    )
    assert [e["content_type"] for e in listed.json()["items"]] == ["image/png"]
    assert (
        client.get(
            f"/v1/observations/{observation}/evidence", headers=auth(org.other_school_leader)
        ).status_code
        == 404
    )
