"""Signing in through the trust's OpenID provider (a real one, on loopback), in Chromium:
redirect, sign in at the provider, back with a session, pages by role; and each attack or
mistake refused: wrong audience, wrong nonce, unknown email, unverified email, another
domain, a leaver, a revoked role, an ended session, a tampered cookie. Personal tokens are
made on the account page and work (then stop) as bearer tokens."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
from playwright.sync_api import Page, Route, expect

from api.security.log import SecurityEventKind
from commands import messages as m
from commands.principal import Principal
from events.base import Role
from events.values import StaffCategory
from tests.browser.conftest import Site
from tests.oidc.provider import sign_in_without_browser

NewPage = Callable[[], Page]
COOKIE = "appraisals_session"


def sign_in_at_provider(page: Page, login: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign in with the trust's test provider").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()


def status(page: Page, path: str) -> int:
    response = page.goto(path)
    assert response is not None
    return response.status


def platform_admin(site: Site) -> Principal:
    return Principal(site.demo.trust_admin.principal.id, Role.ADMIN, trust_id=site.demo.trust_id)


def test_a_school_leader_signs_in_at_the_provider_and_sees_their_school(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    page = new_page()
    page.goto("/")
    page.screenshot(path=str(artifacts / "sign-in-providers.png"), full_page=True)
    sign_in_at_provider(page, "head")
    expect(page.get_by_role("heading", level=1, name="Home")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {site.demo.school_leader.name}")).to_be_visible()
    page.screenshot(path=str(artifacts / "home-after-provider-sign-in.png"), full_page=True)
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # The cookie is an opaque id, not a token with claims in it.
    assert cookie["value"].count(".") == 0 and len(cookie["value"]) >= 40
    (own,) = site.demo.school_leader.principal.school_ids
    other = next(s for s in site.demo.school_ids if s != own)
    cycle = site.demo.current_cycle.id
    assert status(page, f"/schools/{own}/cycles/{cycle}") == 200
    assert status(page, f"/schools/{other}/cycles/{cycle}") == 404
    assert status(page, f"/trusts/{site.demo.trust_id}/cycles/{cycle}") == 404


def test_the_trust_leader_signs_in_and_sees_the_trust(new_page: NewPage, site: Site) -> None:
    page = new_page()
    sign_in_at_provider(page, "ceo")
    expect(page.get_by_role("heading", level=1, name="Home")).to_be_visible()
    cycle = site.demo.current_cycle.id
    assert status(page, f"/trusts/{site.demo.trust_id}/cycles/{cycle}") == 200
    assert status(page, "/access") == 200
    expect(page.get_by_role("table", name=re.compile("Roles in force now"))).to_contain_text(
        site.demo.school_leader.name
    )


def refusal(page: Page) -> str:
    expect(page.get_by_role("heading", level=1, name="You are not signed in")).to_be_visible()
    return page.get_by_role("alert").inner_text()


def test_an_unknown_email_is_refused_with_a_clear_page(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    page = new_page()
    sign_in_at_provider(page, "stranger")
    assert f"no one with the email address {site.emails['stranger']}" in refusal(page)
    page.screenshot(path=str(artifacts / "sign-in-refused-unknown.png"), full_page=True)
    # The trust can review the refusal in its security log.
    entries = site.container.security.log.entries(
        trust_id=site.demo.trust_id, kind=SecurityEventKind.FAILED_SIGN_IN, limit=1000
    )
    assert any(f"unknown email {site.emails['stranger']}" in e.detail for e in entries)
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]
    assert status(page, "/home") == 200  # the sign-in page, not home
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


def test_an_unverified_or_foreign_email_is_refused(new_page: NewPage) -> None:
    page = new_page()
    sign_in_at_provider(page, "unverified")
    assert "has not verified" in refusal(page)
    page = new_page()
    sign_in_at_provider(page, "outsider")
    assert "accounts of elsewhere.example cannot sign in here" in refusal(page)


def test_a_leaver_is_refused(new_page: NewPage, site: Site) -> None:
    commands = site.container.commands
    admin = platform_admin(site)
    leaver = commands.execute(
        m.RegisterStaff(
            trust_id=site.demo.trust_id,
            name="Lee Leaver",
            email=site.emails["leaver"],
            job_title="Teaching Assistant",
            category=StaffCategory.SUPPORT,
            school_id=site.demo.school_ids[0],
            start_date=date(2022, 9, 1),
        ),
        admin,
    ).aggregate_id
    page = new_page()
    sign_in_at_provider(page, "leaver")
    expect(page.get_by_role("heading", level=1, name="Home")).to_be_visible()
    position = commands.execute(
        m.RecordStaffLeaving(staff_id=leaver, effective_date=date(2025, 12, 19), reason="Moved"),
        admin,
    ).position
    assert site.container.projections.wait_for(position or 0, timeout=30)
    # Their session ends on the next request, and they cannot sign in again.
    page.goto("/home")
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    # The provider still knows them (single sign-on): straight back, and refused.
    page.get_by_role("link", name="Sign in with the trust's test provider").click()
    assert "has left the trust" in refusal(page)


def rewrite_authorization_request(page: Page, site: Site, change: Callable[[str], str]) -> None:
    """Let the attacker change the authorization request this site redirects the browser to."""

    def handle(route: Route) -> None:
        response = route.fetch(max_redirects=0)
        headers = {**response.headers, "location": change(response.headers["location"])}
        route.fulfill(response=response, headers=headers)

    page.route(f"{site.url}/signin/oak", handle)


def test_a_wrong_nonce_is_refused(new_page: NewPage, site: Site) -> None:
    page = new_page()
    # An attacker swaps the nonce of this browser's request for one of their own.
    rewrite_authorization_request(
        page, site, lambda url: re.sub(r"nonce=[^&]+", "nonce=attackers-nonce-0123456789", url)
    )
    sign_in_at_provider(page, "head")
    assert "does not belong to this browser's request" in refusal(page)


def test_a_code_for_another_application_is_refused(new_page: NewPage, site: Site) -> None:
    page = new_page()
    # The code is issued to another application registered at the same provider.
    rewrite_authorization_request(
        page, site, lambda url: url.replace("client_id=ledger", "client_id=other-app")
    )
    sign_in_at_provider(page, "head")
    assert "did not accept this sign-in" in refusal(page)


def test_a_callback_in_another_browser_or_replayed_is_refused(new_page: NewPage) -> None:
    page = new_page()
    callbacks: list[str] = []
    page.on(
        "request",
        lambda r: callbacks.append(r.url) if "/signin/callback" in r.url else None,
    )
    sign_in_at_provider(page, "head")
    expect(page.get_by_role("heading", level=1, name="Home")).to_be_visible()
    replay = new_page()
    replay.goto(callbacks[0])
    assert "expired or was already used" in refusal(replay)
    page.goto(callbacks[0])
    assert "expired or was already used" in refusal(page)


def test_a_revoked_role_is_gone_on_the_next_request(new_page: NewPage, site: Site) -> None:
    commands = site.container.commands
    teacher = site.demo.staff_member.principal.id
    granted = commands.execute(
        m.GrantRole(person_id=teacher, role=Role.AUDITOR, reason="Internal audit this term"),
        platform_admin(site),
    )
    page = new_page()
    sign_in_at_provider(page, "teacher")
    expect(page.get_by_text("Signed in as", exact=False)).to_contain_text("Auditor")
    assert status(page, "/audit") == 200
    assert granted.created_id is not None
    commands.execute(
        m.RevokeRole(person_id=teacher, grant_id=granted.created_id, reason="Audit finished"),
        platform_admin(site),
    )
    assert status(page, "/audit") == 404
    page.goto("/home")
    expect(page.get_by_text("Signed in as", exact=False)).to_contain_text("Member of staff")


def test_an_admin_grants_and_revokes_a_role_and_ends_sessions_on_the_access_page(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    appraiser = new_page()
    sign_in_at_provider(appraiser, "appraiser")
    expect(appraiser.get_by_role("heading", level=1, name="Home")).to_be_visible()

    admin = new_page()
    sign_in_at_provider(admin, "admin")
    admin.get_by_role("link", name="Access").click()
    admin.get_by_label("Their email address").fill(site.emails["appraiser"])
    admin.get_by_label("Role", exact=True).select_option("analyst")
    admin.get_by_label("Why").fill("Helping with the pay committee's figures")
    admin.get_by_role("button", name="Grant the role").click()
    in_force = admin.get_by_role("table", name=re.compile("Roles in force now"))
    expect(in_force).to_contain_text(site.demo.appraiser.name)
    expect(in_force).to_contain_text("Helping with the pay committee's figures")
    admin.screenshot(path=str(artifacts / "access.png"), full_page=True)

    appraiser.goto("/home")
    expect(appraiser.get_by_text("Signed in as", exact=False)).to_contain_text("Analyst")

    row = (
        in_force.get_by_role("row")
        .filter(has_text="analyst")
        .filter(has_text=site.demo.appraiser.name)
    )
    row.get_by_label("Reason to revoke").fill("Figures delivered")
    row.get_by_role("button", name=re.compile("Revoke analyst")).click()
    expect(admin.get_by_role("table", name="Newest first", exact=False)).to_contain_text(
        "Figures delivered"
    )
    appraiser.goto("/home")
    expect(appraiser.get_by_text("Signed in as", exact=False)).to_contain_text("Member of staff")

    # "End this person's sessions": the head is signed in; the admin ends it.
    head = new_page()
    sign_in_at_provider(head, "head")
    expect(head.get_by_role("heading", level=1, name="Home")).to_be_visible()
    admin.goto("/access")
    admin.get_by_role("button", name=f"End {site.demo.school_leader.name}'s sessions").click()
    head.goto("/home")
    expect(head.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


def test_sign_out_all_my_sessions_and_a_tampered_cookie(new_page: NewPage) -> None:
    laptop, phone = new_page(), new_page()
    for page in (laptop, phone):
        sign_in_at_provider(page, "teacher")
        expect(page.get_by_role("heading", level=1, name="Home")).to_be_visible()
    # A tampered cookie is no session.
    cookie = next(c for c in phone.context.cookies() if c["name"] == COOKIE)
    tampered = {**cookie, "value": cookie["value"][:-4] + "AAAA"}
    phone.context.add_cookies([tampered])  # type: ignore[list-item]
    phone.goto("/home")
    expect(phone.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    phone.context.add_cookies([cookie])  # type: ignore[list-item]
    phone.goto("/home")
    expect(phone.get_by_role("heading", level=1, name="Home")).to_be_visible()

    laptop.get_by_role("link", name="Your account").click()
    rows = laptop.get_by_role("table", name="Your sessions").locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 2  # this laptop and the phone (and any earlier test's)
    laptop.get_by_role("button", name="Sign out all my sessions").click()
    expect(laptop.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    phone.goto("/home")
    expect(phone.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


def test_personal_tokens_are_made_once_used_and_revoked(
    new_page: NewPage, site: Site, artifacts: Path
) -> None:
    page = new_page()
    sign_in_at_provider(page, "head")
    page.get_by_role("link", name="Your account").click()
    page.get_by_label("Name").fill("Governors' report")
    page.get_by_label("Scope").select_option("read")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("apl_")
    page.screenshot(path=str(artifacts / "account-new-token.png"), full_page=True)
    page.goto("/account")
    expect(page.locator("#new-token")).to_have_count(0)  # shown once
    expect(page.get_by_role("table", name="Your tokens")).to_contain_text("Governors' report")

    api = httpx.Client(base_url=site.url, headers={"Authorization": f"Bearer {token}"})
    me = api.get("/v1/me").json()
    assert me["role"] == "school_leader" and me["read_only"] is True
    assert me["name"] == site.demo.school_leader.name
    page.get_by_role("button", name="Revoke Governors' report").click()
    assert api.get("/v1/me").status_code == 401


def test_the_providers_access_token_works_on_the_api(new_page: NewPage, site: Site) -> None:
    del new_page
    tokens: list[str] = []
    # The browser flow keeps the provider's tokens on the server; an integration gets its
    # own access token from the provider. Here: the provider's JWT access token, as a
    # client of the provider would get it, is accepted for the right person.
    client = site.container.identity.providers["oak"]  # type: ignore[union-attr]
    started = client.begin(site.url + "/signin/callback")
    answer = sign_in_without_browser(started.url, "ceo")
    with client._session(site.url + "/signin/callback") as oauth:
        token = oauth.fetch_token(
            client.metadata().token_endpoint,
            grant_type="authorization_code",
            code=answer["code"],
            code_verifier=started.code_verifier,
        )
    tokens.append(str(token["access_token"]))
    api = httpx.Client(base_url=site.url)
    me = api.get("/v1/me", headers={"Authorization": f"Bearer {tokens[0]}"}).json()
    assert me["role"] == "trust_leader"
    assert me["id"] == str(site.demo.trust_leader.principal.id)
    # An ID token is not an access token for the API: its audience is the client.
    id_token = str(token["id_token"])
    assert api.get("/v1/me", headers={"Authorization": f"Bearer {id_token}"}).status_code == 401
