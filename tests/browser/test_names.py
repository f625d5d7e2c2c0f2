"""Names, not ids: every role walks the dashboard and never reads a bare id as a name."""

from __future__ import annotations

import re
from collections.abc import Callable
from uuid import uuid4

import pytest
from playwright.sync_api import Page

from commands.principal import Principal
from events.base import Role
from projections import directory
from tests.browser.conftest import Site
from tests.browser.test_dashboard import sign_in

NewPage = Callable[[], Page]
HEX8 = re.compile(r"\b[0-9a-f]{8}\b")
MAX_PAGES = 12


def _principal(site: Site, who: str) -> Principal:
    demo = site.demo
    samples = {s.label: s.principal for s in demo.samples}
    if who in samples:
        return samples[who]
    return Principal(uuid4(), Role(who), trust_id=demo.trust_id)


def _short_ids(site: Site) -> set[str]:
    """The first eight hex digits of every person's and school's id (how ids used to show)."""
    db = site.container.projections.db
    people = directory.people_of_trust(db, site.demo.trust_id)
    ids = [p.staff_id for p in people] + [
        s.school_id for s in directory.schools(db, site.demo.trust_id)
    ]
    ids += [site.demo.trust_id, *site.demo.cycle_ids]
    return {str(i)[:8] for i in ids}


def _walk(page: Page) -> list[tuple[str, str]]:
    """Pages reachable from home by links (same site, no sign-out), with their main text."""
    seen: list[tuple[str, str]] = []
    todo = ["/home"]
    visited: set[str] = set()
    while todo and len(seen) < MAX_PAGES:
        path = todo.pop(0)
        if path in visited:
            continue
        visited.add(path)
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        seen.append((path, page.inner_text("main")))
        for href in page.eval_on_selector_all(
            "main a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            if href and href.startswith("/") and not href.startswith(("/static", "/sign")):
                todo.append(href.split("#")[0])
    return seen


@pytest.mark.parametrize(
    "who",
    [
        "staff member",
        "appraiser",
        "school leader",
        "trust leader",
        "trust admin",
        "auditor",
        "analyst",
    ],
)
def test_every_role_reads_names_not_ids_on_every_page(
    new_page: NewPage, site: Site, who: str
) -> None:
    page = new_page()
    sign_in(page, site.token(_principal(site, who)))
    short = _short_ids(site)
    pages = _walk(page)
    assert pages
    for path, text in pages:
        bare = [h for h in HEX8.findall(text) if h in short]
        assert not bare, f"{who} reads bare ids {bare} on {path}"
    home = pages[0][1]
    assert site.demo.trust_name in home, home


def test_a_review_shows_the_appraisee_appraiser_school_and_cycle_by_name(
    new_page: NewPage, site: Site
) -> None:
    page = new_page()
    appraiser = site.demo.appraiser
    sign_in(page, site.token(appraiser.principal))
    review_id = site.demo.staff_member.review_id
    page.goto(f"/reviews/{review_id}")
    main = page.inner_text("main")
    assert f"Review of {site.demo.staff_member.name}" in main
    assert site.demo.current_cycle.name in main
    assert site.demo.staff_member.school is not None
    assert site.demo.staff_member.school in main
