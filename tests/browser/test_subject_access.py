"""A trust administrator downloads a member of staff's subject access export from the access
page: a PDF with names, recorded in the audit log; an unknown email is an error in words."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.a11y import look
from tests.browser.conftest import Site

NewPage = Callable[[], Page]
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def sign_in_at_provider(page: Page, login: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign in with the trust's test provider").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()


def test_an_admin_downloads_a_persons_subject_access_export(new_page: NewPage, site: Site) -> None:
    admin = new_page()
    sign_in_at_provider(admin, "admin")
    admin.get_by_role("link", name="Access").click()
    section = admin.locator(
        "section", has=admin.get_by_role("heading", name="Subject access export")
    )
    expect(section).to_be_visible()
    look(admin, "access-subject-access", phone=True)

    # An email of no one in the trust: said in words, nothing downloaded.
    section.get_by_label("Email address of the person asking").fill("nobody@example.org")
    section.get_by_role("button", name="Download the export").click()
    expect(admin.get_by_role("alert")).to_contain_text("no one with the email address")
    look(admin, "access-subject-access-unknown")

    section = admin.locator(
        "section", has=admin.get_by_role("heading", name="Subject access export")
    )
    section.get_by_label("Email address of the person asking").fill(site.emails["appraiser"])
    section.get_by_label("Format").select_option(label="PDF document")
    with admin.expect_download(timeout=180_000) as download:
        # The PDF takes a while on a loaded machine: do not wait for a navigation.
        section.get_by_role("button", name="Download the export").click(no_wait_after=True)
    path = download.value.path()
    pdf = PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert f"Everything held about {site.demo.appraiser.name}" in text
    assert UUID_TEXT.findall(text) == []

    # The export is in the audit log, by the administrator.
    admin.goto("/audit/log?type=SubjectAccessExported")
    expect(admin.get_by_role("main")).to_contain_text("Subject access export")
