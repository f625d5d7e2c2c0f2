"""Honest operations on the real services: a store outage is 503 ``store-unavailable`` with
Retry-After and recovers without a restart; /readyz fails when projections cannot be woken or
lag in seconds; no secret reaches /readyz, /metrics or the logs."""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import suppress

import pytest
from fastapi.testclient import TestClient

from api.auth import mint_token
from appraisals.app import create_app
from appraisals.wiring import build
from commands.principal import Principal
from config.settings import Settings
from events.base import Role
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CuttableProxy:
    """A TCP proxy to PostgreSQL that the test can cut (an outage) and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self.conns: list[socket.socket] = []
        self.server: socket.socket | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self.server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        with self.lock:
            for c in self.conns:
                with suppress(OSError):
                    c.shutdown(socket.SHUT_RDWR)
                c.close()
            self.conns.clear()


@pytest.fixture
def fresh_db() -> Iterator[str]:
    url = create_database("appraisals_ops")
    try:
        yield url
    finally:
        drop_database(url)


def test_a_store_outage_is_503_store_unavailable_and_recovers_without_restart(
    fresh_db: str,
) -> None:
    proxy = CuttableProxy(("127.0.0.1", 5432))
    proxy.start()
    name = fresh_db.rsplit("/", 1)[1]
    url = f"postgresql://postgres:hunter2-secret@127.0.0.1:{proxy.port}/{name}"
    settings = Settings(database_url=url, pool_size=2)
    container = build(settings, run_projections=False)
    admin = Principal(__import__("uuid").uuid4(), Role.ADMIN)
    token = mint_token(
        admin, secret=settings.jwt_secret.get_secret_value(), issuer=settings.jwt_issuer
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with TestClient(create_app(container=container)) as client:
            assert client.post("/v1/trusts", json={"name": "Before"}, headers=headers).is_success
            proxy.cut()
            down = client.post("/v1/trusts", json={"name": "During"}, headers=headers)
            assert down.status_code == 503, down.text
            assert down.json()["type"].endswith("store-unavailable")
            assert int(down.headers["retry-after"]) >= 1
            assert "hunter2" not in down.text
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "hunter2" not in ready.text
            proxy.start()
            deadline = time.monotonic() + 30
            while True:
                again = client.post("/v1/trusts", json={"name": "After"}, headers=headers)
                if again.is_success or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert again.status_code == 201, again.text
    finally:
        proxy.cut()
        container.close()


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            break
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.kill()
        process.wait()


def test_readyz_fails_when_projections_cannot_be_woken(
    fresh_db: str, private_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    redis_url, process = private_redis
    settings = Settings(database_url=fresh_db, redis_url=redis_url)
    container = build(settings)
    try:
        with TestClient(create_app(container=container)) as client:
            up = client.get("/readyz")
            assert up.status_code == 200 and up.json()["wakeups"] == "ok"
            process.kill()
            process.wait()
            down = client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["status"] == "wakeups_unavailable"
    finally:
        container.close()


def test_readyz_fails_when_read_models_lag_past_the_threshold_in_seconds(fresh_db: str) -> None:
    settings = Settings(database_url=fresh_db, ready_max_lag_seconds=0.5)
    container = build(settings, run_projections=False)  # nothing advances the read models
    try:
        with TestClient(create_app(container=container)) as client:
            assert client.get("/readyz").status_code == 200
            root = Principal(__import__("uuid").uuid4(), Role.ADMIN)
            from commands import messages as m

            container.commands.execute(m.RegisterTrust(name="Lagging"), root)
            time.sleep(1.0)
            behind = client.get("/readyz")
            assert behind.status_code == 503
            body = behind.json()
            assert body["status"] == "catching_up" and body["lag_seconds"] >= 0.5
            assert max(p["lag"] for p in body["projections"].values()) == 1  # few events
    finally:
        container.close()


def test_no_secret_reaches_readyz_metrics_or_logs(
    fresh_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    name = fresh_db.rsplit("/", 1)[1]
    url = f"postgresql://postgres:pw-that-must-not-leak@127.0.0.1:5432/{name}"
    settings = Settings(database_url=url)
    container = build(settings, run_projections=False)
    secrets = [
        "pw-that-must-not-leak",
        settings.jwt_secret.get_secret_value(),
        settings.pseudonym_key.get_secret_value(),
    ]
    try:
        with caplog.at_level(logging.DEBUG), TestClient(create_app(container=container)) as c:
            texts = [c.get("/readyz").text, c.get("/metrics").text, c.get("/openapi.json").text]
        texts.append(caplog.text)
        for text in texts:
            for secret in secrets:
                assert secret not in text
    finally:
        container.close()
