"""Browser tests: the real app on a loopback port over a small demo trust in a temp SQLite
file, driven by Debian's Chromium through Playwright's sync API."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from commands.principal import Principal
from commands.states import STAFF
from config.settings import OidcProviderSettings, Settings
from events.base import Role
from projections import access
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
ARTIFACTS = Path(__file__).parent / "artifacts"


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
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
