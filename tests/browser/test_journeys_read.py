"""The read side in Chromium, one journey per role from sign-in: the trust leader compares
schools, drills down to a review and downloads its written report as a PDF; the auditor
browses the log, a review's timeline as it was and what changed, a record, exports and
verification; the analyst reads summaries now and as they were. Every page is photographed
(``<role>-<page>.png``) and checked with axe-core (tests/browser/a11y.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader

from commands.principal import Principal
from events.base import Role
from projections import directory, objective_current, review_status
from projections.directory import Names
from tests.browser.a11y import look
from tests.browser.conftest import Site
from tests.browser.test_dashboard import sign_in

NewPage = Callable[[], Page]
# The machine is shared: a page under load may take longer than the suite's default 10 s.
PATIENCE_MS = 30_000


@pytest.fixture
def new_page(browser: Browser, site: Site) -> Iterator[NewPage]:
    """As the suite's, with the page's CSP bypassed so Playwright can inject axe-core (the
    app's ``script-src 'self'`` refuses an injected script tag)."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(
            base_url=site.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for c in contexts:
        c.close()


def _patient(new_page: NewPage) -> Page:
    page = new_page()
    page.set_default_timeout(PATIENCE_MS)
    page.set_default_navigation_timeout(PATIENCE_MS)
    return page


def _finished_review(site: Site) -> review_status.ReviewView:
    """A review of the previous cycle that was signed by both and moderated."""
    db = site.container.projections.db
    for school in site.demo.school_ids:
        for r in review_status.reviews_for_school(db, school, site.demo.previous_cycle.id):
            if r.signed_by_appraisee and r.signed_by_appraiser and r.moderation:
                return r
    raise AssertionError("the demo has no finished review in its previous cycle")


def test_trust_leader_compares_drills_down_and_downloads_a_report(
    new_page: NewPage, site: Site
) -> None:
    review = _finished_review(site)
    db = site.container.projections.db
    names = Names(db).now({review.appraisee_id, review.appraiser_id, review.school_id})
    appraisee, school = names[str(review.appraisee_id)], names[str(review.school_id)]
    previous = site.demo.previous_cycle
    page = _patient(new_page)
    sign_in(page, site.token(site.demo.trust_leader.principal))
    look(page, "trust-leader-home", phone=True)
    page.get_by_role("link", name=f"Cycle {previous.name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("schools side by side")
    look(page, "trust-leader-compare", phone=True)
    with page.expect_download() as got:
        page.get_by_role("link", name="Download this table (CSV)").click()
    header, *rows = list(csv.reader(io.StringIO(got.value.path().read_text())))
    assert header[0] == "School" and {r[0] for r in rows} == set(site.demo.school_names)

    page.get_by_role("link", name="Priorities coverage across schools").click()
    table = page.get_by_role("table", name="Objectives linked to each priority", exact=False)
    expect(table).to_be_visible()
    look(page, "trust-leader-priorities", phone=True)
    page.go_back()
    page.go_back()
    page.get_by_role("link", name=f"Cycle {previous.name}").click()
    page.get_by_role("table", name=f"Schools in cycle {previous.name}").get_by_role(
        "link", name=school
    ).click()
    look(page, "trust-leader-school")
    page.get_by_role("link", name=f"Review of {appraisee}").click()
    look(page, "trust-leader-review")
    page.get_by_role("link", name="The written report", exact=False).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Appraisal report: {appraisee}")
    look(page, "trust-leader-report", phone=True)
    with page.expect_download() as got:
        page.get_by_role("link", name="Download as PDF").click()
    pdf = PdfReader(str(got.value.path()))
    text = " ".join(" ".join((p.extract_text() or "") for p in pdf.pages).split())
    objectives = objective_current.objectives_for_review(db, review.review_id)
    for expected in (
        appraisee,
        names[str(review.appraiser_id)],
        school,
        "Signatures",
        "log position",
    ):
        assert expected in text, expected
    assert any(o.title in text for o in objectives if not o.withdrawn)
    # Printing the page hides the site's header and the report's own links.
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.get_by_role("link", name="Download as PDF")).to_be_hidden()


def test_auditor_browses_the_log_a_timeline_as_of_a_diff_a_record_and_exports(
    new_page: NewPage, site: Site
) -> None:
    review = _finished_review(site)
    db = site.container.projections.db
    appraisee = Names(db).now({review.appraisee_id})[str(review.appraisee_id)]
    page = _patient(new_page)
    sign_in(page, site.token(site.auditor))
    look(page, "auditor-home")
    page.get_by_role("link", name="Audit log").first.click()
    expect(page.get_by_role("heading", level=1, name="Audit log")).to_be_visible()
    look(page, "auditor-log", phone=True)
    page.get_by_role("link", name="Next 50 events").click()
    expect(page.get_by_role("heading", name="Events after position 50")).to_be_visible()
    look(page, "auditor-log-next-page")
    page.get_by_label("Event", exact=True).select_option("ReviewStarted")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("tbody tr").first).to_contain_text("Review started")
    look(page, "auditor-log-filtered")
    with page.expect_download() as got:
        page.get_by_role("link", name="CSV").click()
    exported = got.value.path().read_text()
    assert "ReviewStarted" in exported and "ObjectiveDrafted" not in exported

    page.goto(f"/reviews/{review.review_id}")
    page.get_by_role("link", name="Timeline, as it was on a date").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Timeline of the review of {appraisee}"
    )
    look(page, "auditor-timeline", phone=True)
    started = review.started_at.date()
    page.get_by_label("Show the review as it was at the end of").fill(str(started))
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#as-of-shown")).to_contain_text(str(started))
    look(page, "auditor-timeline-as-of")
    page.get_by_label("From the end of").fill(str(started))
    page.get_by_label("to the end of").fill(str(review.updated_at.date() + timedelta(days=1)))
    page.get_by_role("button", name="Compare").click()
    changes = page.get_by_role("table", name="Changes between", exact=False)
    expect(changes.get_by_role("row", name="signed by", exact=False).first).to_be_visible()
    look(page, "auditor-timeline-diff")
    page.get_by_role("link", name="This review in the audit log").click()
    page.locator("tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("status")).to_contain_text("Only events by")
    look(page, "auditor-log-by-person")
    page.goto(f"/audit/records/{review.appraisee_id}?as_of={started}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(appraisee)
    look(page, "auditor-record-as-of")
    page.goto("/audit")
    page.get_by_role("button", name="Run verification").click()
    expect(page.locator("#verification-result")).to_contain_text("Intact")
    look(page, "auditor-verification")


def test_analyst_reads_summaries_now_and_as_they_were_and_no_ones_record(
    new_page: NewPage, site: Site
) -> None:
    analyst = Principal(id=uuid4(), role=Role.ANALYST, trust_id=site.demo.trust_id)
    current = site.demo.current_cycle
    cycle = directory.get_cycle(site.container.projections.db, current.id)
    assert cycle is not None
    page = _patient(new_page)
    sign_in(page, site.token(analyst))
    look(page, "analyst-home")
    page.get_by_role("link", name=f"Cycle {current.name}").click()
    look(page, "analyst-compare", phone=True)
    day = cycle.start_date + timedelta(days=20)
    page.get_by_label("Show this summary as it was on").fill(str(day))
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#as-of-shown")).to_contain_text(str(day))
    look(page, "analyst-compare-as-of")
    page.get_by_role("table", name=f"Schools in cycle {current.name}").get_by_role(
        "link", name=site.demo.school_names[0]
    ).click()
    reviews = page.get_by_role("table", name="Reviews of staff now at", exact=False)
    expect(reviews.locator("tbody tr")).to_have_count(0)  # no one's review is an analyst's
    look(page, "analyst-school-as-of")
    page.goto(f"/trusts/{site.demo.trust_id}/cycles/{current.id}/priorities")
    look(page, "analyst-priorities")
    review = _finished_review(site)
    for path in (f"/reviews/{review.review_id}/report", "/audit/log"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
