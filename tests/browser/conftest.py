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
from uuid import uuid4

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from api.app import create_app
from api.auth import mint_token
from appraisals.demo import generate
from appraisals.demo.summary import DemoSummary
from appraisals.settings import Settings
from appraisals.wiring import Container, build
from commands.principal import Principal
from events.base import Role

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


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("dashboard")
    db = root / "appraisals.db"
    # Every journey signs in from this one client; the rate limits have their own tests
    # (tests/api/test_http_hardening.py), so they do not throttle the journeys here.
    settings = Settings(
        database_url=f"sqlite:///{db}",
        context_cache_ttl=0,
        blob_dir=str(root / "blobs"),
        sign_in_rate_limit="1000/minute",
        failed_auth_rate_limit="1000/minute",
    )
    container = build(settings)
    demo = generate(container, schools=2, staff=40, seed=1)
    container.start()
    head = container.store.recorder.max_notification_id() or 0
    assert container.projections.wait_for(head, timeout=60)
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
    yield Site(f"http://127.0.0.1:{port}", container, demo, settings)
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
