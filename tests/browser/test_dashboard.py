"""The dashboard end to end in headless Chromium: each role signs in and sees what it may."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from projections import objective_current, review_status
from tests.browser.conftest import Site

NewPage = Callable[[], Page]


def status(page: Page, path: str) -> int:
    response = page.goto(path)
    assert response is not None
    return response.status


def sign_in(page: Page, token: str) -> None:
    page.goto("/")
    page.get_by_label("Bearer token (development)").fill(token)
    page.get_by_role("button", name="Sign in with the token").click()
    expect(page.get_by_role("heading", level=1, name="Home")).to_be_visible()


def test_signing_in_works_with_the_keyboard_alone(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    page: Page = new_page()
    page.goto("/")
    page.screenshot(path=str(artifacts / "sign-in.png"), full_page=True)
    focused = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if focused[-1] == "token":
            break
    assert focused[0] == "A"  # the skip link comes first
    assert focused[-1] == "token", focused
    page.keyboard.insert_text(site.token(site.demo.trust_leader.principal))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Sign in with the token"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Home")).to_be_visible()
    # Focus is visible: the focused control draws an outline.
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.screenshot(path=str(artifacts / "home-trust-leader.png"), full_page=True)
    # The session cookie is HttpOnly and SameSite=Strict: scripts cannot read it.
    cookie = next(c for c in page.context.cookies() if c["name"] == "appraisals_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "appraisals_session" not in page.evaluate("document.cookie")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


def test_a_bad_token_is_refused_with_the_reason(new_page: NewPage) -> None:
    page: Page = new_page()
    page.goto("/")
    page.get_by_label("Bearer token (development)").fill("not-a-token")
    page.get_by_role("button", name="Sign in with the token").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    page.goto("/home")
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


def test_trust_leader_sees_schools_side_by_side_with_charts(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    page: Page = new_page()
    sign_in(page, site.token(site.demo.trust_leader.principal))
    page.get_by_role("link", name=f"Cycle {site.demo.current_cycle.name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("schools side by side")
    table = page.get_by_role("table", name=f"Schools in cycle {site.demo.current_cycle.name}")
    for name in site.demo.school_names:
        expect(table.get_by_role("rowheader", name=name)).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(4)
    expect(
        page.get_by_role("img", name="Reviews complete, % of staff in the cycle")
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "trust-cycle.png"), full_page=True)
    # A school's page from the trust view.
    table.get_by_role("link", name=site.demo.school_names[0]).click()
    expect(page.get_by_role("heading", level=2, name="Staff reviews", exact=False)).to_be_visible()
    # Verifying the log is for auditors and administrators, as in the API.
    assert status(page, "/audit") == 404


def test_school_leader_sees_their_school_and_not_another(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    leader = site.demo.school_leader.principal
    (own,) = leader.school_ids
    other = next(s for s in site.demo.school_ids if s != own)
    cycle = site.demo.current_cycle.id
    page: Page = new_page()
    sign_in(page, site.token(leader))
    page.get_by_role("link", name=f"cycle {site.demo.current_cycle.name}").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        site.demo.school_leader.school or ""
    )
    reviews = page.get_by_role("table", name="Reviews of staff now at", exact=False)
    assert reviews.locator("tbody tr").count() > 5
    page.screenshot(path=str(artifacts / "school-cycle.png"), full_page=True)

    assert status(page, f"/schools/{other}/cycles/{cycle}") == 404
    expect(page.get_by_role("heading", level=1, name="Not found")).to_be_visible()
    trust = f"/trusts/{site.demo.trust_id}/cycles/{cycle}"
    assert status(page, trust) == 404
    # Nor a review or an objective of someone at the other school.
    db = site.container.projections.db
    elsewhere = review_status.reviews_for_school(db, other, cycle)[0]
    assert status(page, f"/reviews/{elsewhere.review_id}") == 404
    (objective, *_) = objective_current.objectives_for_review(db, elsewhere.review_id)
    assert status(page, f"/objectives/{objective.objective_id}") == 404
    mine = review_status.reviews_for_school(db, own, cycle)[0]
    assert status(page, f"/reviews/{mine.review_id}") == 200
    expect(page.get_by_role("button", name="Draft objective")).to_have_count(0)


def test_staff_drafts_an_objective_records_progress_and_reads_its_history(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    staff = site.demo.staff_member
    page: Page = new_page()
    sign_in(page, site.token(staff.principal))
    cycle = site.demo.current_cycle.id
    assert status(page, f"/schools/{site.demo.school_ids[0]}/cycles/{cycle}") == 404
    page.goto(f"/reviews/{staff.review_id}")
    expect(page.get_by_role("heading", level=1, name="Your review")).to_be_visible()

    # A refused draft shows its errors beside the fields.
    page.get_by_role("button", name="Draft objective").click()
    expect(page.locator("#draft-title-error")).to_be_visible()
    draft = page.locator("#draft-form")
    expect(draft.get_by_label("Title")).to_have_attribute("aria-invalid", "true")

    draft.get_by_label("Title").fill("Lead a Year 7 reading club")
    draft.get_by_label("Description").fill("Weekly club for reluctant readers")
    draft.get_by_label("Success criteria").fill("20 pupils attend\nReading ages rise by a year")
    draft.get_by_label("Due date").fill("2026-07-10")
    page.get_by_role("button", name="Draft objective").click()
    objective = page.get_by_role("heading", level=3, name="Lead a Year 7 reading club")
    expect(objective).to_be_visible()  # read-your-writes: the redirect waits for the read model
    page.screenshot(path=str(artifacts / "review-after-draft.png"), full_page=True)

    item = page.locator("li.objective", has=objective)
    expect(item).to_contain_text("Status: draft")
    item.get_by_role("button", name="Agree to “Lead a Year 7 reading club”").click()
    expect(item).to_contain_text("Status: awaiting agreement")

    # The appraiser agrees too, in their own session; then progress can be recorded.
    appraiser: Page = new_page()
    sign_in(appraiser, site.token(site.demo.appraiser.principal))
    appraiser.goto(f"/reviews/{staff.review_id}")
    appraiser.get_by_role("button", name="Agree to “Lead a Year 7 reading club”").click()
    expect(appraiser.locator("li.objective", has_text="Lead a Year 7")).to_contain_text(
        "Status: agreed"
    )

    page.reload()
    item.get_by_label("Progress (%)", exact=False).fill("30")
    item.get_by_label("Progress note").fill("First six sessions held")
    item.get_by_role("button", name="Record progress").click()
    expect(item).to_contain_text("progress 30%")
    # htmx replaced just this objective, in place, and kept keyboard focus on it.
    expect(item.get_by_role("link", name="Lead a Year 7 reading club")).to_be_focused()

    item.get_by_role("link", name="Lead a Year 7 reading club").click()
    expect(page.get_by_role("heading", level=1, name="Lead a Year 7 reading club")).to_be_visible()
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Objective drafted")
    expect(timeline).to_contain_text("Progress recorded")
    expect(timeline).to_contain_text("First six sessions held")
    notes = page.get_by_role("region", name="Progress notes")
    expect(notes).to_contain_text("First six sessions held")
    expect(notes).to_contain_text("by you: 30%")
    page.screenshot(path=str(artifacts / "objective-history.png"), full_page=True)


def test_auditor_sees_the_trust_the_date_picker_and_the_verification(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    page: Page = new_page()
    sign_in(page, site.token(site.auditor))
    page.get_by_role("link", name=f"Cycle {site.demo.previous_cycle.name}").click()
    picker = page.get_by_label("Show this summary as it was on")
    expect(picker).to_be_visible()
    if picker.is_enabled():  # the replay feature is there: pick a date inside the cycle
        picker.fill("2025-06-30")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#as-of-shown")).to_contain_text("2025-06-30")
        page.screenshot(path=str(artifacts / "auditor-trust-cycle.png"), full_page=True)
        # A school from there opens as of the same date.
        table = page.get_by_role("table", name=f"Schools in cycle {site.demo.previous_cycle.name}")
        table.get_by_role("link", name=site.demo.school_names[0]).click()
        expect(page.locator("#as-of-shown")).to_contain_text("2025-06-30")
        page.screenshot(path=str(artifacts / "auditor-school-as-of.png"), full_page=True)
    else:
        expect(page.locator("#as-of-note")).to_be_visible()
        page.screenshot(path=str(artifacts / "auditor-trust-cycle.png"), full_page=True)
    page.get_by_role("link", name="Home").click()
    page.get_by_role("navigation").get_by_role("link", name="Audit", exact=True).click()
    page.get_by_role("button", name="Run verification").click()
    result = page.locator("#verification-result")
    expect(result).to_contain_text("Intact: intact up to position")
    page.screenshot(path=str(artifacts / "audit.png"), full_page=True)
    # Auditors never write: their review links are absent and forms would be refused anyway.
    staff = site.demo.staff_member
    page.goto(f"/reviews/{staff.review_id}")
    expect(page.get_by_role("button", name="Draft objective")).to_have_count(0)


def test_a_form_posted_from_another_site_is_refused(new_page: NewPage, site: Site) -> None:
    page: Page = new_page()
    sign_in(page, site.token(site.demo.staff_member.principal))
    response = page.request.post(
        f"/reviews/{site.demo.staff_member.review_id}/actions/draft",
        form={"idempotency_key": "x", "title": "Injected", "due_date": "2026-07-10"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403
