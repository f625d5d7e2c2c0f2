"""A trust's administrator does retention and erasure in Chromium, from the nav's Privacy
link: sets the retention policy (a bad value shown at its field), reads the plan by name,
finds a leaver, is stopped by a mistyped name, erases them, and then reads "Erased person"
where their name was (the confirmation, the audit log). A school leader has no Privacy link
and the page is the dashboard's 404. Every page is photographed and checked with axe-core.

Its own store (a temp SQLite file, no retention timer): erasing someone here touches no other
test's people."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
from playwright.sync_api import Browser, Page, expect

from appraisals.wiring import build
from commands import messages as m
from commands.principal import Principal
from config.settings import Settings
from events.base import Role
from privacy.retention import erase_on
from tests.browser.a11y import look
from tests.browser.conftest import serving, sign_in_as

ADMIN = "Ines Admin"
HEAD = "Hana Head"
LEAVER = "Lena Leaver"
RECENT = "Rory Recent"


@dataclass(frozen=True)
class PrivacySite:
    url: str
    leaver_id: UUID
    leaver_left: date
    recent_left: date


@pytest.fixture(scope="module")
def privacy_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivacySite]:
    tmp = tmp_path_factory.mktemp("privacy")
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'appraisals.db'}",
        context_cache_ttl=0,
        sign_in_rate_limit="1000/minute",
        failed_auth_rate_limit="1000/minute",
        blob_dir=str(tmp / "blobs"),
        privacy_retention_interval_seconds=0,
    )
    container = build(settings)
    svc = container.commands
    root = Principal(uuid4(), Role.ADMIN)
    trust_id = svc.execute(m.RegisterTrust(name="Rowan Learning Trust"), root).aggregate_id
    setup = Principal(uuid4(), Role.ADMIN, trust_id=trust_id)
    school_id = uuid4()
    svc.execute(m.AddSchool(trust_id=trust_id, name="Rowan Primary", school_id=school_id), setup)
    today = date.today()
    # Lena left seven years ago (due under a six-year policy); Rory left last month.
    leaver_left = today.replace(day=1) - timedelta(days=7 * 366)
    recent_left = today.replace(day=1) - timedelta(days=20)
    ids: dict[str, UUID] = {}
    for name, job in (
        (ADMIN, "Data Protection Lead"),
        (HEAD, "Headteacher"),
        (LEAVER, "Class Teacher"),
        (RECENT, "Teaching Assistant"),
    ):
        ids[name] = svc.execute(
            m.RegisterStaff(
                trust_id=trust_id,
                name=name,
                email=f"{name.split()[0].lower()}@rowan.example",
                job_title=job,
                school_id=school_id,
                start_date=date(2012, 9, 1),
            ),
            setup,
        ).aggregate_id
    svc.execute(
        m.GrantRole(person_id=ids[ADMIN], role=Role.ADMIN, reason="data protection lead"), setup
    )
    svc.execute(
        m.GrantRole(
            person_id=ids[HEAD], role=Role.SCHOOL_LEADER, school_ids=[school_id], reason="head"
        ),
        setup,
    )
    for name, left in ((LEAVER, leaver_left), (RECENT, recent_left)):
        svc.execute(
            m.RecordStaffLeaving(staff_id=ids[name], effective_date=left, reason="moved on"),
            setup,
        )
    container.start()
    head = container.store.recorder.max_notification_id() or 0
    assert container.projections.wait_for(head, timeout=60)
    with serving(container) as url:
        yield PrivacySite(url, ids[LEAVER], leaver_left, recent_left)
    container.close()


@pytest.fixture
def new_page(browser: Browser, privacy_site: PrivacySite) -> Iterator[Page]:
    context = browser.new_context(
        base_url=privacy_site.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def submit(page: Page, button: str) -> None:
    """Press a form's button; wait until the answer has replaced <main> (htmx or a page)."""
    page.evaluate("document.querySelector('main').dataset.stale = 'yes'")
    page.get_by_role("button", name=button).click()
    page.wait_for_selector("main:not([data-stale])", state="attached")


def test_an_admin_sets_retention_reads_the_plan_and_erases_a_leaver(
    new_page: Page, privacy_site: PrivacySite
) -> None:
    page = new_page
    sign_in_as(page, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy: retention and erasure")
    expect(page.locator("#policy-now")).to_contain_text("No retention period is set")
    look(page, "privacy", phone=True)

    # A value out of range: shown at its field, nothing saved.
    years = page.get_by_label("Erase leavers' personal data this many whole years")
    years.fill("0")
    page.get_by_label("Why (the record of the decision)").fill("Retention schedule, section 4")
    submit(page, "Save the retention policy")
    field = page.get_by_label("Erase leavers' personal data this many whole years")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#retention-erase_after_years-error")).to_be_visible()
    expect(page.locator("#policy-now")).to_contain_text("No retention period is set")
    look(page, "privacy-retention-invalid")

    field.fill("6")
    page.get_by_label("Why (the record of the decision)").fill("Retention schedule, section 4")
    submit(page, "Save the retention policy")
    expect(page.get_by_role("status").first).to_contain_text("The retention policy is saved")
    expect(page.locator("#policy-now")).to_contain_text("6 years")
    expect(page.locator("#policy-set")).to_contain_text(ADMIN)
    expect(page.locator("#policy-set")).to_contain_text("Retention schedule, section 4")
    due = page.locator("#due")
    expect(due).to_contain_text(LEAVER)
    expect(due).to_contain_text(privacy_site.leaver_left.isoformat())
    expect(due).to_contain_text(erase_on(privacy_site.leaver_left, 6).isoformat())
    expect(due).not_to_contain_text(RECENT)
    look(page, "privacy-plan")

    # Looking far enough ahead shows Rory too; looking erases no one.
    page.get_by_label("Due on or before").fill(
        (erase_on(privacy_site.recent_left, 6) + timedelta(days=1)).isoformat()
    )
    page.get_by_role("button", name="Show the plan").click()
    expect(page.locator("#due")).to_contain_text(RECENT)

    # Find the leaver by name and open the erasure.
    page.get_by_label("Find a leaver by name").fill("lena")
    page.get_by_role("button", name="Find", exact=True).click()
    leavers = page.locator("#leavers")
    expect(leavers).to_contain_text(LEAVER)
    expect(leavers).not_to_contain_text(RECENT)
    leavers.get_by_role("link", name=f"Erase {LEAVER}'s personal data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Erase {LEAVER}'s personal data")
    expect(page.locator("#person")).to_contain_text(privacy_site.leaver_left.isoformat())
    look(page, "privacy-erase-confirm", phone=True)

    # A mistyped name stops it, said at the field.
    page.get_by_label("Basis").select_option(label="Their request (right to erasure)")
    page.get_by_label("Reason", exact=True).fill("Written request received by the DPO")
    page.get_by_label("Type their name to confirm").fill("Lena Leavers")
    submit(page, "Erase their personal data")
    expect(page.get_by_role("alert")).to_contain_text("their name was not typed as shown")
    expect(page.get_by_label("Type their name to confirm")).to_have_attribute(
        "aria-invalid", "true"
    )
    look(page, "privacy-erase-wrong-name")

    page.get_by_label("Type their name to confirm").fill(LEAVER)
    submit(page, "Erase their personal data")
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal data erased")
    expect(page.locator("#done")).to_contain_text("Erased person")
    record = page.locator("#erasure-record")
    expect(record).to_contain_text(ADMIN)
    expect(record).to_contain_text("Written request received by the DPO")
    expect(page.get_by_role("main")).not_to_contain_text(LEAVER)
    look(page, "privacy-erased", phone=True)

    # The audit log shows the erasure, who and why; where the name was, "Erased person".
    page.get_by_role("link", name="Their record in the audit log").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Personal data erased (request): Written request received")
    expect(main).to_contain_text("Erased person")
    expect(main).not_to_contain_text(LEAVER)
    look(page, "privacy-audit-after-erasure")

    # Off the plan and the leavers' list: the name is nowhere.
    page.goto("/privacy?q=lena")
    expect(page.locator("#leavers")).not_to_contain_text(LEAVER)
    expect(page.locator("#due")).not_to_contain_text(LEAVER)
    expect(page.get_by_role("main")).not_to_contain_text(LEAVER)


def test_a_school_leader_finds_no_privacy_page(new_page: Page, privacy_site: PrivacySite) -> None:
    page = new_page
    sign_in_as(page, HEAD)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Privacy")).to_have_count(0)
    answer = page.goto(f"/privacy/erasures/{privacy_site.leaver_id}")
    assert answer is not None and answer.status == 404
    answer = page.goto("/privacy")
    assert answer is not None and answer.status == 404
    look(page, "privacy-not-found-for-a-school-leader")
