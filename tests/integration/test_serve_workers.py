"""Several web processes (`appraisals serve --workers 2`) over one PostgreSQL store: each
process caches aggregate states, and a command that meets another process's newer write is
retried on fresh states, so contention between processes' caches never answers 409."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import date
from pathlib import Path

import httpx
import pytest

from api.auth import mint_token
from appraisals.wiring import build
from commands import messages as m
from config.settings import Settings
from testkit.scenario import build_org
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration

APPRAISALS = str(Path(sys.executable).parent / "appraisals")
SECRET = "w" * 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[int, str, str]]:
    """A store with one agreed objective, served by two web processes: (port, objective id,
    the appraisee's bearer token)."""
    url = create_database("appraisals_workers")
    settings = Settings(database_url=url, jwt_secret=SECRET)
    c = build(settings, run_projections=False)
    try:
        org = build_org(c.commands)
        objective = c.commands.execute(
            m.DraftObjective(
                review_id=org.review_id,
                title="Raise reading attainment",
                success_criteria=["85% at the expected standard"],
                due_date=date(2026, 7, 1),
            ),
            org.appraiser,
        ).aggregate_id
        c.commands.execute(m.AgreeObjective(objective_id=objective), org.appraiser)
        c.commands.execute(m.AgreeObjective(objective_id=objective), org.appraisee)
    finally:
        c.close()
    token = mint_token(org.appraisee, secret=SECRET, issuer=settings.jwt_issuer)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env.update(APPRAISALS_DATABASE_URL=url, APPRAISALS_JWT_SECRET=SECRET)
    process = subprocess.Popen(
        [APPRAISALS, "serve", "--workers", "2", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                    break
            time.sleep(0.2)
        yield port, str(objective), token
    finally:
        process.terminate()
        process.wait(timeout=30)
        drop_database(url)


def test_concurrent_commands_on_one_objective_across_two_processes_all_succeed(
    two_processes: tuple[int, str, str],
) -> None:
    port, objective, token = two_processes

    def record(i: int) -> tuple[int, int]:
        # A new connection each time: the two processes share the listening socket, so
        # requests land on both and each process's cached objective goes stale in turn.
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/objectives/{objective}/progress",
            json={"percent": i, "note": f"Check-in {i}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        return r.status_code, int(r.json().get("version", 0))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(record, range(40)))
    assert [status for status, _ in answers] == [200] * 40
    # Agreed by both (version 3), then one event per command: every version once.
    assert sorted(version for _, version in answers) == list(range(4, 44))
