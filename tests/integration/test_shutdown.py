"""SIGTERM and SIGINT stop `serve` and `worker` cleanly: exit 0, nothing left behind.

Each test runs the real command in a subprocess, signals it, and checks the process's exit
status, its time to stop, its last log line, and what it leaves: no SQLite ``-wal``/``-shm``
file, no PostgreSQL session still open under its ``application_name``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from api.auth import mint_token
from commands.principal import Principal
from events.base import Role
from tests.conftest import PG_ADMIN_URL, REDIS_URL
from tests.integration.tls_postgres import free_port

pytestmark = pytest.mark.integration

APPRAISALS = [sys.executable, "-m", "appraisals"]
ISSUER = "appraisal-ledger"
STOP_WITHIN = 15.0


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env.update({f"APPRAISALS_{k.upper()}": v for k, v in settings.items()})
    env["APPRAISALS_JWT_SECRET"] = "test-secret-for-shutdown-0123456789abcdef"
    return env


def _start(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*APPRAISALS, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(predicate: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(
    proc: subprocess.Popen[str], sig: signal.Signals
) -> tuple[int, float, list[dict[str, Any]]]:
    started = time.monotonic()
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=STOP_WITHIN)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    elapsed = time.monotonic() - started
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return proc.returncode, elapsed, lines


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_on_a_signal_with_exit_0_and_leaves_no_sqlite_wal(
    tmp_path: Path, sig: signal.Signals
) -> None:
    db = tmp_path / "appraisals.db"
    port = free_port()
    proc = _start(
        ["serve", "--port", str(port)],
        _env(database_url=f"sqlite:///{db}", audit_seal_seconds="0.2"),
        tmp_path,
    )
    try:
        _wait_for(lambda: _healthy(port), "serve to answer /healthz")
        # The runner and sealer threads are running and the database is open (WAL mode).
        assert Path(f"{db}-wal").exists()
        returncode, elapsed, logs = _stop(proc, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert returncode == 0, logs[-3:]
    assert elapsed < STOP_WITHIN
    assert logs[-1]["event"] == "stopped" and logs[-1]["signals"] == [sig.name]
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()
    # One access line per request, in the one JSON format.
    access = [line for line in logs if line.get("logger") == "appraisals.access"]
    assert access and all(line["path"] == "/healthz" for line in access)
    assert not [line for line in logs if line.get("logger") == "uvicorn.access"]


def _sessions(application_name: str) -> int:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_worker_stops_on_a_signal_with_exit_0_and_closes_its_connections(
    pg_url: str, redis_namespace: str, sig: signal.Signals
) -> None:
    name = f"appraisals-worker-{uuid.uuid4().hex[:8]}"
    proc = _start(
        ["worker", "--tick", "0.5"],
        _env(
            database_url=f"{pg_url}?application_name={name}",
            redis_url=REDIS_URL,
            redis_namespace=redis_namespace,
        ),
    )
    try:
        _wait_for(lambda: _sessions(name) > 0, "the worker to connect")
        time.sleep(1.0)  # a tick or two of catch-up work
        returncode, elapsed, logs = _stop(proc, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert returncode == 0, logs[-3:]
    assert elapsed < STOP_WITHIN
    assert any(line["event"].startswith("projections worker started") for line in logs)
    # The server ends a backend a moment after its client hangs up.
    _wait_for(lambda: _sessions(name) == 0, "the worker's sessions to end", timeout=5)


def test_a_request_in_flight_when_serve_is_told_to_stop_still_gets_its_answer(
    tmp_path: Path, redis_namespace: str
) -> None:
    # With Redis configured and no worker running, read models stay put: a read asking for
    # ?min_position= of a fresh command waits (up to 3 s) and answers 503. SIGTERM lands
    # while it waits; the answer must still arrive, then the process exits 0.
    port = free_port()
    secret = "test-secret-for-shutdown-0123456789abcdef"
    env = _env(
        database_url=f"sqlite:///{tmp_path / 'inflight.db'}",
        redis_url=REDIS_URL,
        redis_namespace=redis_namespace,
        read_your_writes_timeout="3",
    )
    proc = _start(["serve", "--port", str(port)], env, tmp_path)
    try:
        _wait_for(lambda: _healthy(port), "serve to answer /healthz")
        root = mint_token(Principal(uuid.uuid4(), Role.ADMIN), secret=secret, issuer=ISSUER)
        api = f"http://127.0.0.1:{port}"
        made = httpx.post(
            f"{api}/v1/trusts",
            json={"name": "Elm Trust"},
            headers={"Authorization": f"Bearer {root}"},
        )
        assert made.status_code == 201, made.text
        trust, position = made.json()["aggregate_id"], made.json()["position"]
        auditor = mint_token(
            Principal(uuid.uuid4(), Role.AUDITOR, trust_id=uuid.UUID(trust)),
            secret=secret,
            issuer=ISSUER,
        )
        answers: list[httpx.Response] = []

        def slow_read() -> None:
            answers.append(
                httpx.get(
                    f"{api}/v1/audit/events?min_position={position}",
                    headers={"Authorization": f"Bearer {auditor}"},
                    timeout=20,
                )
            )

        reader = threading.Thread(target=slow_read)
        reader.start()
        time.sleep(1.0)  # the read is waiting for its read model
        returncode, elapsed, logs = _stop(proc, signal.SIGTERM)
        reader.join(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [a.status_code for a in answers] == [503]
    assert answers[0].headers["content-type"] == "application/problem+json"
    assert returncode == 0 and elapsed < STOP_WITHIN
    assert logs[-1]["event"] == "stopped"
