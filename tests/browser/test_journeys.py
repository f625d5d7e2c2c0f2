"""One review, from its start to moderation and an upheld appeal, entirely in the browser.

A fresh store (``fresh_site``: a trust, a school, its people and an open cycle, no review).
Three people, each in their own browser and signed in with one click, do their parts: the
school leader (start, change the appraiser, moderate, decide the appeal), the appraiser
(agree, set without agreement, revise, meetings, assess, report, sign) and the appraisee
(draft, agree, disagree, progress with evidence, self-assessment, comment, sign, appeal). No
API call: every step is a page or a form. Every page is photographed and checked with axe.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.a11y import look
from tests.browser.conftest import FreshSite, sign_in_as

OBJECTIVE_1 = "Raise Year 4 reading fluency"
OBJECTIVE_2 = "Lead the maths working party"


@pytest.fixture
def people(browser: Browser, fresh_site: FreshSite) -> Iterator[dict[str, Page]]:
    contexts = []
    pages: dict[str, Page] = {}
    for who in ("head", "teacher", "appraiser"):
        context = browser.new_context(
            base_url=fresh_site.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        pages[who] = context.new_page()
    yield pages
    for c in contexts:
        c.close()


def act(page: Page, section: Locator, fields: dict[str, str], button: str) -> None:
    """Fill a form's fields by their labels and submit it; wait for the page to settle."""
    for label, value in fields.items():
        control = section.get_by_label(label, exact=True)
        if control.count() == 0:  # an objective's first field also names the objective
            control = section.get_by_label(label)
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(label=value)
        else:
            control.fill(value)
    # The answer replaces <main> (htmx, or a whole new page): wait until the old one is gone.
    page.evaluate("document.querySelector('main').dataset.stale = 'yes'")
    section.get_by_role("button", name=button).first.click()
    page.wait_for_selector("main:not([data-stale])", state="attached")


def card(page: Page, heading: str) -> Locator:
    """A "What you can do now" card by its heading."""
    return page.locator("#actions section.card", has=page.get_by_role("heading", name=heading))


def objective(page: Page, title: str) -> Locator:
    return page.locator("li.objective", has=page.get_by_role("heading", name=title, level=3))


def open_part(page: Page, title: str, summary: str) -> Locator:
    """An objective's form behind its disclosure ("Revise", "Assess" ...), opened."""
    item = objective(page, title)
    details = item.locator("details", has=page.locator("summary", has_text=summary))
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    return details


def recorded(page: Page, what: str) -> None:
    expect(page.locator("#done")).to_have_text(f"{what}.")


def test_one_review_goes_from_its_start_to_an_upheld_appeal(
    people: dict[str, Page], fresh_site: FreshSite
) -> None:
    site = fresh_site
    head, teacher, appraiser = people["head"], people["teacher"], people["appraiser"]
    names = site.names
    today = date.today()

    # The school leader: the school's reviews, start Tom's review (first with Cara Cole).
    sign_in_as(head, names["head"])
    look(head, "head-home")
    head.get_by_role("link", name=f"Willow Primary, cycle {site.cycle_name}").click()
    expect(head.get_by_role("heading", level=1)).to_contain_text("Willow Primary")
    look(head, "head-school-reviews-none-started", phone=True)
    start = head.locator("#start")
    start.get_by_label(names["teacher"], exact=True).check()
    start.get_by_label(f"Appraiser for {names['teacher']}").select_option(label=names["colleague"])
    start.get_by_role("button", name="Start the ticked reviews").click()
    expect(head.locator("#started")).to_have_text("Started 1 review.")
    reviews = head.get_by_role("table", name="Reviews of staff now at Willow Primary")
    expect(reviews).to_contain_text(names["colleague"])
    # Filtered by appraiser and stage.
    head.get_by_label("Appraiser", exact=True).select_option(label=names["colleague"])
    head.get_by_role("button", name="Filter").click()
    expect(reviews.get_by_role("row")).to_have_count(2)
    look(head, "head-school-reviews-filtered")
    reviews.get_by_role("link", name=f"Review of {names['teacher']}").click()
    expect(head.get_by_role("heading", level=1)).to_have_text(f"Review of {names['teacher']}")
    # The leader changes the appraiser, with the reason; no objective form for a leader.
    expect(head.get_by_role("heading", name="Draft an objective")).to_have_count(0)
    act(
        head,
        card(head, "Change the appraiser"),
        {"New appraiser": names["appraiser"], "Reason": "Priya leads Year 4 this year"},
        "Change the appraiser",
    )
    recorded(head, "Appraiser changed")
    expect(head.locator("dl.facts")).to_contain_text(names["appraiser"])
    look(head, "head-review-appraiser-changed")

    # The appraisee drafts an objective and agrees to it.
    sign_in_as(teacher, names["teacher"])
    look(teacher, "appraisee-home")
    teacher.get_by_role("link", name=f"Your review, cycle {site.cycle_name}").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Your review")
    look(teacher, "appraisee-review-started", phone=True)
    due = (today + timedelta(days=30)).isoformat()
    act(
        teacher,
        card(teacher, "Draft an objective"),
        {
            "Title": OBJECTIVE_1,
            "Description (optional)": "Daily guided reading for the lowest fifth",
            "Success criteria": "80% at expected fluency\nReading records kept weekly",
            "Due date": due,
        },
        "Draft objective",
    )
    recorded(teacher, "Objective drafted")
    act(teacher, objective(teacher, OBJECTIVE_1), {}, f"Agree to “{OBJECTIVE_1}”")
    expect(objective(teacher, OBJECTIVE_1)).to_contain_text("Status: awaiting agreement")
    look(teacher, "appraisee-objective-drafted")

    # The appraiser: agrees, records the planning meeting, sets a second objective without
    # agreement, and revises the first with a reason (agreement is then asked again).
    sign_in_as(appraiser, names["appraiser"])
    look(appraiser, "appraiser-home")
    appraiser.get_by_role("link", name=f"Review of {names['teacher']}").click()
    act(appraiser, objective(appraiser, OBJECTIVE_1), {}, f"Agree to “{OBJECTIVE_1}”")
    expect(objective(appraiser, OBJECTIVE_1)).to_contain_text("Status: agreed")
    start_day = site.cycle_start
    act(
        appraiser,
        card(appraiser, "Record the planning meeting"),
        {
            "Held on": (start_day + timedelta(days=14)).isoformat(),
            "Notes of the meeting": "Agreed the reading focus; maths to follow",
        },
        "Record the meeting",
    )
    recorded(appraiser, "The planning meeting is recorded")
    act(
        appraiser,
        card(appraiser, "Draft an objective"),
        {
            "Title": OBJECTIVE_2,
            "Success criteria": "Three termly meetings\nA calculation policy adopted",
            "Due date": due,
        },
        "Draft objective",
    )
    act(
        appraiser,
        open_part(appraiser, OBJECTIVE_2, "Set without agreement"),
        {"Why it is set without agreement": "The school plan needs a maths lead this year"},
        "Set the objective",
    )
    expect(objective(appraiser, OBJECTIVE_2)).to_contain_text("Status: set without agreement")
    act(
        appraiser,
        open_part(appraiser, OBJECTIVE_1, "Revise"),
        {
            "Success criteria": "85% at expected fluency\nReading records kept weekly",
            "Reason for the change (optional)": "Last year's results were better than we thought",
        },
        "Save the revision",
    )
    expect(objective(appraiser, OBJECTIVE_1)).to_contain_text("85% at expected fluency")
    look(appraiser, "appraiser-objectives-set-and-revised", phone=True)

    # The appraisee: agrees to the revision, records disagreement with the set objective,
    # records progress with evidence, and writes the self-assessment.
    teacher.reload()
    act(teacher, objective(teacher, OBJECTIVE_1), {}, f"Agree to “{OBJECTIVE_1}”")
    expect(objective(teacher, OBJECTIVE_1)).to_contain_text("Status: awaiting agreement")
    act(
        teacher,
        open_part(teacher, OBJECTIVE_2, "Record your disagreement"),
        {"Your statement": "I have no release time for a working party"},
        "Record disagreement",
    )
    expect(objective(teacher, OBJECTIVE_2)).to_contain_text("The appraisee's disagreement")
    look(teacher, "appraisee-disagreement-recorded")

    appraiser.reload()
    act(appraiser, objective(appraiser, OBJECTIVE_1), {}, f"Agree to “{OBJECTIVE_1}”")
    expect(objective(appraiser, OBJECTIVE_1)).to_contain_text("Status: agreed")

    teacher.reload()
    act(
        teacher,
        open_part(teacher, OBJECTIVE_1, "Record progress"),
        {
            "Progress (%)": "60",
            "Progress note": "Fluency up for 9 of 12 pupils",
            "Evidence (optional)": "Reading records, spring term\nRunning records folder",
        },
        "Record progress",
    )
    expect(objective(teacher, OBJECTIVE_1)).to_contain_text("progress 60%")
    act(
        teacher,
        card(teacher, "Write your self-assessment"),
        {"Your self-assessment": "Reading went well; maths had no time."},
        "Submit self-assessment",
    )
    recorded(teacher, "Self-assessment submitted")
    look(teacher, "appraisee-self-assessment-submitted")

    # The appraiser: mid-year and end-of-year meetings, each objective assessed, the written
    # assessment, and the report issued.
    appraiser.reload()
    for meeting, day, notes in (
        ("mid-year review", start_day + timedelta(days=150), "On track for reading"),
        ("end-of-year review", today - timedelta(days=1), "Reading met; maths part"),
    ):
        act(
            appraiser,
            card(appraiser, f"Record the {meeting}"),
            {"Held on": day.isoformat(), "Notes of the meeting": notes},
            "Record the meeting",
        )
        recorded(appraiser, f"The {meeting} is recorded")
    for title, outcome, comment in (
        (OBJECTIVE_1, "Met", "85% reached by June"),
        (OBJECTIVE_2, "Partially met", "Two meetings held; policy drafted"),
    ):
        act(
            appraiser,
            open_part(appraiser, title, "Assess"),
            {"Outcome": outcome, "Comment": comment},
            "Save the assessment",
        )
        expect(objective(appraiser, title)).to_contain_text(f"outcome: {outcome.lower()}")
    look(appraiser, "appraiser-objectives-assessed")
    act(
        appraiser,
        card(appraiser, "Write the assessment"),
        {
            "Overall judgement": "Meets",
            "Summary": "A strong year for reading; maths began late.",
            "Development needs (optional)": "Leading adults",
            "Support to meet them (optional)": "Middle leaders course",
        },
        "Save the assessment",
    )
    recorded(appraiser, "Assessment written")
    act(appraiser, card(appraiser, "Issue the report"), {}, "Issue the report")
    expect(appraiser.locator("#report-state")).to_contain_text(f"issued {today.isoformat()}")
    # Once issued, nothing more is drafted or assessed.
    expect(appraiser.get_by_role("heading", name="Draft an objective")).to_have_count(0)
    look(appraiser, "appraiser-report-issued")

    # The appraisee comments on the report and signs it; then the appraiser signs.
    teacher.reload()
    act(
        teacher,
        card(teacher, "Comment on the report"),
        {"Your comment": "I would like maths release time next year."},
        "Add comment",
    )
    act(teacher, card(teacher, "Sign the report"), {}, "Sign the report")
    expect(teacher.locator("#signatures")).to_have_text("by the appraisee")
    look(teacher, "appraisee-report-signed", phone=True)
    appraiser.reload()
    act(appraiser, card(appraiser, "Sign the report"), {}, "Sign the report")
    expect(appraiser.locator("#signatures")).to_have_text("by the appraisee and by the appraiser")
    look(appraiser, "appraiser-report-signed")

    # The school leader moderates.
    head.reload()
    act(head, card(head, "Moderate the report"), {"Outcome": "Confirmed"}, "Record moderation")
    expect(head.locator("#moderation")).to_have_text("confirmed")
    look(head, "head-review-moderated")

    # The appraisee appeals within the window; the leader upholds it.
    teacher.reload()
    expect(teacher.locator("#appeal")).to_contain_text("may be lodged until")
    act(
        teacher,
        card(teacher, "Appeal against the report"),
        {"Grounds for the appeal": "The maths objective was set without release time."},
        "Lodge the appeal",
    )
    expect(teacher.locator("#appeal")).to_have_text("lodged")
    expect(teacher.get_by_role("heading", name="Appeal against the report")).to_have_count(0)
    look(teacher, "appraisee-appeal-lodged")
    head.reload()
    act(
        head,
        card(head, "Decide the appeal"),
        {"Decision": "Upheld", "Reasons for the decision": "No release time was given."},
        "Record the decision",
    )
    expect(head.locator("#appeal")).to_have_text("upheld")
    # An upheld appeal reopens the review: the report is open again (so no "Reopen" form).
    expect(head.locator("#report-state")).to_contain_text("(reopened)")
    expect(head.get_by_role("heading", name="Reopen the review")).to_have_count(0)
    look(head, "head-appeal-upheld")
    # The appraiser may write the assessment again.
    appraiser.reload()
    expect(appraiser.get_by_role("heading", name="Write the assessment")).to_be_visible()
    look(appraiser, "appraiser-review-reopened")
