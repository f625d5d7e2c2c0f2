"""The development pages in headless Chromium: a person plans CPD and attaches evidence on
their review; the observed person responds; the pay recommendation is shown to its audience
only; the trust leader compares schools' CPD, standards focus and outcomes."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from commands.principal import Principal
from events.base import Role
from projections import observation_log
from projections import pay_recommendations as pay
from tests.browser.conftest import Site
from tests.browser.test_dashboard import NewPage, sign_in, status


def test_staff_plan_cpd_and_attach_evidence_on_their_development_page(
    new_page: NewPage, site: Site, artifacts: Path, tmp_path: Path
) -> None:
    staff = site.demo.staff_member
    page: Page = new_page()
    sign_in(page, site.token(staff.principal))
    page.goto(f"/reviews/{staff.review_id}")
    page.get_by_role("link", name="CPD, evidence and observations").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Development")

    form = page.locator("form", has=page.get_by_role("button", name="Plan CPD"))
    form.get_by_label("Title").fill("Questioning for inference")
    form.get_by_label("Starts").fill("2026-02-10")
    form.get_by_label("Hours").fill("3")
    form.get_by_label("Development need (optional)").fill("Questioning")
    form.get_by_role("button", name="Plan CPD").click()
    expect(page.get_by_role("table", name="CPD activities in this cycle")).to_contain_text(
        "Questioning for inference"
    )

    pdf = tmp_path / "reading-data.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%demo\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    card = page.locator("div.card[id^=evidence-]").first
    card.get_by_label("File (PDF, image or office document)").set_input_files(str(pdf))
    card.get_by_role("button", name="Attach").click()
    expect(page.locator("div.card[id^=evidence-]").first).to_contain_text("reading-data.pdf")

    mislabelled = tmp_path / "photo.pdf"
    mislabelled.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    card = page.locator("div.card[id^=evidence-]").first
    card.get_by_label("File (PDF, image or office document)").set_input_files(str(mislabelled))
    card.get_by_role("button", name="Attach").click()
    expect(page.get_by_role("alert")).to_contain_text("image/png")
    page.screenshot(path=str(artifacts / "development.png"), full_page=True)


def test_the_observed_person_responds_to_an_observation(new_page: NewPage, site: Site) -> None:
    db = site.container.projections.db
    cycle = site.demo.current_cycle.id
    observed = next(
        o
        for s in observation_log.standards_focus(db, site.demo.trust_id, cycle).schools
        for o in observation_log.observations_of(db, _someone(site, cycle, s.school_id), cycle)  # type: ignore[arg-type]
        if o.comment is None
    )
    page: Page = new_page()
    sign_in(
        page, site.token(Principal(observed.observed_id, Role.STAFF, trust_id=site.demo.trust_id))
    )
    page.goto(f"/reviews/{observed.review_id}/development")
    article = page.locator(f"#observation-{observed.observation_id}")
    article.get_by_label("Your response").fill("Thank you; hinge questions next week")
    article.get_by_role("button", name="Respond").click()
    expect(page.locator(f"#observation-{observed.observation_id}")).to_contain_text(
        "Response: Thank you; hinge questions next week"
    )


def _someone(site: Site, cycle: object, school: object) -> object:
    from projections.engine.common import select

    rows = select(
        site.container.projections.db,
        observation_log.OBSERVATIONS,
        "cycle_id = ? AND school_id = ? AND comment IS NULL",
        [("id", cycle), ("id", school)],
    )
    return rows[0]["observed_id"]


def test_the_pay_recommendation_is_shown_to_its_audience_and_to_nobody_else(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    rec = next(r for r in pay.for_trust(site.container.projections.db, site.demo.trust_id))
    person = Principal(rec.appraisee_id, Role.STAFF, trust_id=site.demo.trust_id)
    page: Page = new_page()
    sign_in(page, site.token(person))
    page.goto(f"/reviews/{rec.review_id}/pay")
    expect(page.locator("#recommendation")).to_contain_text(rec.recommendation.replace("_", " "))
    page.screenshot(path=str(artifacts / "pay.png"), full_page=True)
    committee = new_page()
    sign_in(
        committee,
        site.token(
            Principal(
                site.demo.trust_leader.principal.id, Role.PAY_COMMITTEE, trust_id=site.demo.trust_id
            )
        ),
    )
    committee.goto("/pay")
    expect(committee.get_by_role("table", name="Recommendations, undecided first")).to_be_visible()
    for who in (site.demo.trust_leader.principal, site.auditor, site.demo.trust_admin.principal):
        other = new_page()
        sign_in(other, site.token(who))
        assert status(other, f"/reviews/{rec.review_id}/pay") == 404
        assert status(other, "/pay") == 404


def test_trust_leader_compares_schools_cpd_focus_and_outcomes(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    page: Page = new_page()
    sign_in(page, site.token(site.demo.trust_leader.principal))
    cycle = site.demo.previous_cycle.id
    page.goto(f"/trusts/{site.demo.trust_id}/cycles/{cycle}")
    page.get_by_role("link", name="CPD, observations and outcomes", exact=False).click()
    table = page.get_by_role("table", name="CPD by school", exact=False)
    expect(table.locator("tbody tr")).to_have_count(len(site.demo.school_ids) + 1)
    expect(
        page.get_by_role("table", name="Observations per Teachers' Standard", exact=False)
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name="Outcomes by the Built-in scale", exact=False)
    ).to_be_visible()
    page.goto(f"/trusts/{site.demo.trust_id}/cycles/{site.demo.current_cycle.id}/development")
    expect(page.get_by_role("heading", name="Trust five-point scale", exact=False)).to_be_visible()
    page.screenshot(path=str(artifacts / "trust-development.png"), full_page=True)


def test_a_school_leader_sees_their_schools_development_and_not_anothers(
    new_page: NewPage, site: Site
) -> None:
    leader = site.demo.school_leader.principal
    (own,) = leader.school_ids
    other = next(s for s in site.demo.school_ids if s != own)
    cycle = site.demo.previous_cycle.id
    page: Page = new_page()
    sign_in(page, site.token(leader))
    page.goto(f"/schools/{own}/cycles/{cycle}")
    page.get_by_role("link", name="CPD, observations and outcomes", exact=False).click()
    table = page.get_by_role("table", name="CPD by school", exact=False)
    expect(table.locator("tbody tr")).to_have_count(2)  # the school and its total
    assert status(page, f"/schools/{other}/cycles/{cycle}/development") == 404
    assert status(page, f"/trusts/{site.demo.trust_id}/cycles/{cycle}/development") == 404


def test_a_trust_template_fills_the_draft_objective_form(new_page: NewPage, site: Site) -> None:
    staff = site.demo.staff_member
    page: Page = new_page()
    sign_in(page, site.token(staff.principal))
    page.goto(f"/reviews/{staff.review_id}")
    page.get_by_role("link", name="Raise attainment in reading").click()
    expect(page.get_by_label("Title")).to_have_value("Raise attainment in reading")
    expect(page.get_by_label("Success criteria")).to_contain_text("85% at the expected standard")
