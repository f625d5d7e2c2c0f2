"""Browser tests: the real app on a loopback port over a small demo trust in a temp SQLite
file, driven by Debian's Chromium through Playwright's sync API."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from pydantic import SecretStr

from api.auth import mint_token
from api.identity.service import build_identity
from appraisals.app import create_app
from appraisals.demo import generate
from appraisals.demo.summary import DemoSummary
from appraisals.wiring import Container, build
from commands import messages as m
from commands.principal import Principal
from commands.states import STAFF
from config.settings import OidcProviderSettings, Settings
from events.base import Role
from projections import access
from tests.browser.a11y import screenshots_dir
from tests.oidc.provider import API_AUDIENCE, Client, Provider, running_provider

LEDGER = Client("ledger", "ledger-secret-0123456789abcdef", "")
OTHER = Client("other-app", "other-secret-0123456789abcdef", "")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Site:
    url: str
    container: Container
    demo: DemoSummary
    settings: Settings
    # The trust's OpenID provider (a real one on loopback) and its accounts' emails.
    provider: Provider
    emails: dict[str, str]

    def token(self, principal: Principal) -> str:
        return mint_token(
            principal,
            secret=self.settings.jwt_secret.get_secret_value(),
            issuer=self.settings.jwt_issuer,
        )

    @property
    def auditor(self) -> Principal:
        return Principal(id=uuid4(), role=Role.AUDITOR, trust_id=self.demo.trust_id)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_accounts(container: Container, demo: DemoSummary) -> dict[str, dict[str, Any]]:
    """Provider accounts (login -> claims) for the demo's people, and a few who must fail."""
    states = container.commands.states

    def email(person_id: UUID) -> str:
        return states.get(STAFF, person_id, max_age=0).email

    head = email(demo.school_leader.principal.id)
    domain = head.rsplit("@", 1)[1]
    admins = [g for g in access.grants_held(container.projections.db, 50) if g.role == "admin"]
    people = {
        "head": head,
        "ceo": email(demo.trust_leader.principal.id),
        "teacher": email(demo.staff_member.principal.id),
        "appraiser": email(demo.appraiser.principal.id),
        "admin": email(admins[0].person_id),
        "stranger": f"nobody.known@{domain}",
        "leaver": f"lee.leaver@{domain}",
        "outsider": "someone@elsewhere.example",
    }
    accounts: dict[str, dict[str, Any]] = {
        login: {"email": address, "email_verified": True, "name": login.title()}
        for login, address in people.items()
    }
    accounts["unverified"] = {"email": head, "email_verified": False, "name": "Unverified"}
    return accounts


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("dashboard")
    port, provider_port = _free_port(), _free_port()
    url = f"http://127.0.0.1:{port}"
    issuer = f"http://127.0.0.1:{provider_port}"
    db = tmp / "appraisals.db"
    # Every browser signs in from 127.0.0.1: the per-address limits are raised for the suite.
    base = Settings(
        database_url=f"sqlite:///{db}",
        context_cache_ttl=0,
        sign_in_rate_limit="1000/minute",
        failed_auth_rate_limit="1000/minute",
        blob_dir=str(tmp / "blobs"),
    )
    container = build(base)
    demo = generate(container, schools=2, staff=40, seed=1)
    container.start()
    head = container.store.recorder.max_notification_id() or 0
    assert container.projections.wait_for(head, timeout=60)
    accounts = demo_accounts(container, demo)
    domain = accounts["head"]["email"].rsplit("@", 1)[1]
    # The trust's provider: the app signs in through client "ledger"; "other-app" is another
    # application registered at the same provider (the wrong-audience attack).
    settings = base.model_copy(
        update={
            "oidc_providers": [
                OidcProviderSettings(
                    key="oak",
                    trust_id=demo.trust_id,
                    label="the trust's test provider",
                    issuer=issuer,
                    client_id=LEDGER.client_id,
                    client_secret=SecretStr(LEDGER.client_secret),
                    email_domains=[domain],
                    api_audience=API_AUDIENCE,
                )
            ]
        }
    )
    container.settings = settings
    container.identity = build_identity(settings, container.projections.db)
    clients = [
        Client(LEDGER.client_id, LEDGER.client_secret, url + "/signin/callback"),
        Client(OTHER.client_id, OTHER.client_secret, url + "/signin/callback"),
    ]
    with running_provider(tmp, clients, accounts, port=provider_port) as provider:
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(container=container),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                lifespan="on",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the dashboard did not start"
            time.sleep(0.05)
        emails = {login: str(a["email"]) for login, a in accounts.items()}
        with urllib.request.urlopen(url + "/", timeout=60) as first:  # warm up, as serving()
            assert first.status == 200
        yield Site(url, container, demo, settings, provider, emails)
        server.should_exit = True
        thread.join(timeout=10)
    container.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed: apt-get install -y chromium (make test does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Browser, site: Site) -> Iterator[Callable[[], Page]]:
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for c in contexts:
        c.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (tests/browser/a11y.py: artifacts/screenshots, or
    $APPRAISALS_SCREENSHOTS)."""
    return screenshots_dir()


@contextmanager
def serving(container: Container) -> Iterator[str]:
    """The real app for ``container`` on a loopback port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(container=container),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the dashboard did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    try:
        # The first page compiles templates and warms caches (seconds on a loaded machine).
        with urllib.request.urlopen(url + "/", timeout=60) as first:
            assert first.status == 200
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass(frozen=True)
class FreshSite:
    """A fresh store: one trust, its schools and people, and an open cycle in which no review
    has started yet. Everyone signs in with the development sign-in's one click."""

    url: str
    container: Container
    trust_id: UUID
    school_id: UUID
    cycle_id: UUID
    cycle_name: str
    cycle_start: date
    # Names of the people, by part: head (school leader), appraiser, teacher (the appraisee),
    # colleague (another teacher), ceo (trust leader), auditor, analyst.
    names: dict[str, str]
    ids: dict[str, UUID]


FRESH_PEOPLE = {
    "head": ("Helen Hart", "Headteacher", "school_leader"),
    "appraiser": ("Priya Patel", "Phase Leader", None),
    "teacher": ("Tom Turner", "Class Teacher", None),
    "colleague": ("Cara Cole", "Class Teacher", None),
    "ceo": ("Carl Chen", "Chief Executive", "trust_leader"),
    "auditor": ("Ada Audit", "Trust Auditor", "auditor"),
    "analyst": ("Nia Numbers", "Data Analyst", "analyst"),
}


def _fresh_store(container: Container, today: date) -> FreshSite:
    svc = container.commands
    root = Principal(uuid4(), Role.ADMIN)
    trust_id = svc.execute(m.RegisterTrust(name="Willow Learning Trust"), root).aggregate_id
    admin = Principal(uuid4(), Role.ADMIN, trust_id=trust_id)
    school_id = uuid4()
    svc.execute(m.AddSchool(trust_id=trust_id, name="Willow Primary", school_id=school_id), admin)
    svc.execute(m.AddSchool(trust_id=trust_id, name="Birch Academy"), admin)
    ids: dict[str, UUID] = {}
    for key, (name, job, role) in FRESH_PEOPLE.items():
        first = name.split()[0].lower()
        ids[key] = svc.execute(
            m.RegisterStaff(
                trust_id=trust_id,
                name=name,
                email=f"{first}@willow.example",
                job_title=job,
                school_id=school_id,
                start_date=date(2015, 9, 1),
            ),
            admin,
        ).aggregate_id
        if role is not None:
            schools = [school_id] if role == "school_leader" else []
            svc.execute(
                m.GrantRole(
                    person_id=ids[key], role=Role(role), school_ids=schools, reason="their post"
                ),
                admin,
            )
    # The cycle started about nine months ago: its planning and mid-year windows are behind
    # us, the end-of-year window is open today.
    start = today - timedelta(days=270)
    name = f"{start.year}-{(start.year + 1) % 100:02d}"
    cycle_id = svc.execute(
        m.ScheduleCycle(
            trust_id=trust_id,
            name=name,
            start_date=start,
            end_date=today + timedelta(days=90),
            objective_setting_deadline=start + timedelta(days=60),
            mid_year_window_start=start + timedelta(days=120),
            mid_year_window_end=start + timedelta(days=200),
            end_year_deadline=today + timedelta(days=60),
            max_objectives=3,
        ),
        admin,
    ).aggregate_id
    svc.execute(m.OpenCycle(cycle_id=cycle_id), admin)
    names = {key: person[0] for key, person in FRESH_PEOPLE.items()}
    return FreshSite("", container, trust_id, school_id, cycle_id, name, start, names, ids)


@pytest.fixture(scope="session")
def fresh_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshSite]:
    """The journeys' store (see ``FreshSite``), served on loopback for the whole session."""
    tmp = tmp_path_factory.mktemp("fresh")
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'appraisals.db'}",
        context_cache_ttl=0,
        sign_in_rate_limit="1000/minute",
        failed_auth_rate_limit="1000/minute",
        blob_dir=str(tmp / "blobs"),
    )
    container = build(settings)
    fresh = _fresh_store(container, date.today())
    container.start()
    head = container.store.recorder.max_notification_id() or 0
    assert container.projections.wait_for(head, timeout=60)
    with serving(container) as url:
        yield replace(fresh, url=url)
    container.close()


def sign_in_as(page: Page, name: str) -> None:
    """The development sign-in's one click: "Sign in as <name>" on the first page."""
    page.goto("/")
    page.get_by_role("button", name=f"Sign in as {name}", exact=True).click()
    page.wait_for_url("**/home")
