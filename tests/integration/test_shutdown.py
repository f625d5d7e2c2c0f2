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
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL, REDIS_URL
from tests.integration.tls_postgres import free_port

pytestmark = pytest.mark.integration

APPRAISALS = [sys.executable, "-m", "appraisals"]
STOP_WITHIN = 15.0


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env.update({f"APPRAISALS_{k.upper()}": v for k, v in settings.items()})
    env["APPRAISALS_JWT_SECRET"] = "test-secret-for-shutdown-0123456789abcdef"
    return env


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
    proc = subprocess.Popen(
        [*APPRAISALS, "serve", "--port", str(port)],
        env=_env(database_url=f"sqlite:///{db}", audit_seal_seconds="0.2"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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
    proc = subprocess.Popen(
        [*APPRAISALS, "worker", "--tick", "0.5"],
        env=_env(
            database_url=f"{pg_url}?application_name={name}",
            redis_url=REDIS_URL,
            redis_namespace=redis_namespace,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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
    assert _sessions(name) == 0
