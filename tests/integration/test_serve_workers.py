"""`appraisals serve --workers 2` on PostgreSQL: several clients drive concurrent commands at
the same aggregates, every request on a new connection so that successive commands land on
either process (each with its own state cache).

Asserted: both processes answer commands; no 5xx; every refusal is one the caller can resolve
(a 412 for a stale If-Match succeeds when retried with the version it reports; a 409 succeeds
when the same command is simply retried); no event is lost or duplicated (each aggregate's
final version is its starting version plus the commands accepted, and the accepted versions
are exactly those, each once); an Idempotency-Key sent again (to either process) answers the
first result without a second event; and a read with the ``min_position`` a command returned
shows that command's write, whichever process answers it. No timing is asserted: waits are
generous, so a loaded machine slows the test but does not fail it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pytest

from api.auth import mint_token
from appraisals.wiring import build
from commands import messages as m
from commands.principal import Principal
from config.settings import Settings
from testkit.scenario import build_org
from tests.conftest import create_database, drop_database

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

APPRAISALS = str(Path(sys.executable).parent / "appraisals")
SECRET = "serve-workers-test-signing-key-" + "w" * 16
# The world is built in this process and served from another with its own working directory
# (and so its own development keys): both are given the key the personal data is sealed with.
MASTER_KEY = "serve-workers-test-privacy-master-key-" + "k" * 16
CLIENTS = 4
COMMANDS_PER_CLIENT = 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class World:
    url: str
    objectives: list[uuid.UUID]
    appraisee: Principal
    start_versions: dict[uuid.UUID, int]


@pytest.fixture
def world() -> Iterator[World]:
    url = create_database("appraisals_workers")
    try:
        c = build(
            Settings(database_url=url, jwt_secret=SECRET, privacy_master_key=MASTER_KEY),
            run_projections=False,
        )
        try:
            org = build_org(c.commands)
            objectives = []
            for title in ("Raise reading attainment", "Improve maths fluency"):
                o = c.commands.execute(
                    m.DraftObjective(
                        review_id=org.review_id,
                        title=title,
                        success_criteria=["85% at the expected standard"],
                        due_date=date(2026, 7, 1),
                    ),
                    org.appraiser,
                ).aggregate_id
                c.commands.execute(m.AgreeObjective(objective_id=o), org.appraiser)
                last = c.commands.execute(m.AgreeObjective(objective_id=o), org.appraisee)
                objectives.append(o)
            versions = dict.fromkeys(objectives, 3)
            assert last.version == 3
        finally:
            c.close()
        yield World(url, objectives, org.appraisee, versions)
    finally:
        drop_database(url)


@contextmanager
def serving(world: World, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """Two web processes on one port: (base URL, their log lines once stopped)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env.update(
        APPRAISALS_DATABASE_URL=world.url,
        APPRAISALS_JWT_SECRET=SECRET,
        APPRAISALS_PRIVACY_MASTER_KEY=MASTER_KEY,
        APPRAISALS_LOG_LEVEL="INFO",
        # Generous: on a loaded machine the runner may lag; the answer must still be right.
        APPRAISALS_READ_YOUR_WRITES_TIMEOUT="60",
    )
    proc = subprocess.Popen(
        [APPRAISALS, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a loaded machine starts two processes slowly
        while True:
            if proc.poll() is not None:
                _, err = proc.communicate()
                pytest.fail(f"serve exited ({proc.returncode}) before answering: {err[-3000:]}")
            assert time.monotonic() < deadline, "serve did not answer /healthz in 300 s"
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield base, lines
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        lines.extend(err.splitlines())


@dataclass
class Outcome:
    accepted: dict[uuid.UUID, list[int]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, objective: uuid.UUID, version: int) -> None:
        with self.lock:
            self.accepted.setdefault(objective, []).append(version)

    def saw(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def fail(self, why: str) -> None:
        with self.lock:
            self.problems.append(why)


def _client(base: str, token: str) -> httpx.Client:
    # No keep-alive: every request opens a new connection, so either process may take it.
    return httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def _drive(base: str, token: str, world: World, n: int, outcome: Outcome) -> None:
    """Client ``n``; whatever goes wrong in it is recorded, not lost with its thread."""
    try:
        _commands(base, token, world, n, outcome)
    except Exception as e:
        outcome.fail(f"client {n} raised {e!r}")


def _commands(base: str, token: str, world: World, n: int, outcome: Outcome) -> None:
    """One client: commands at both objectives, with If-Match, Idempotency-Key or neither."""
    with _client(base, token) as http:
        for k in range(COMMANDS_PER_CLIENT):
            objective = world.objectives[(n + k) % len(world.objectives)]
            note = f"client {n} command {k}"
            path = f"/v1/objectives/{objective}/progress"
            body = {"percent": k * 5 % 101, "note": note}
            headers: dict[str, str] = {}
            mode = k % 3
            if mode == 1:  # an If-Match from a read: stale as soon as another client writes
                seen = http.get(f"/v1/objectives/{objective}")
                outcome.saw(seen.status_code)
                headers["If-Match"] = f'"{seen.json()["version"]}"'
            elif mode == 2:
                headers["Idempotency-Key"] = f"workers-{n}-{k}-{uuid.uuid4().hex[:8]}"
            answer = None
            for _attempt in range(100):
                r = http.post(path, json=body, headers=headers)
                outcome.saw(r.status_code)
                if r.status_code == 200:
                    answer = r.json()
                    break
                if r.status_code == 412:  # stale If-Match: retry with the version it reports
                    headers["If-Match"] = f'"{r.json()["current_version"]}"'
                    continue
                if r.status_code == 409:  # a conflict: the same command again must succeed
                    continue
                outcome.fail(f"{path} answered {r.status_code}: {r.text[:300]}")
                return
            if answer is None:
                outcome.fail(f"{path}: no success in 100 attempts")
                return
            if answer["replayed"]:
                outcome.fail(f"a new command answered as a replay: {answer}")
            outcome.accept(objective, answer["version"])
            if mode == 2:  # the same key again, on a new connection: the first answer
                again = http.post(path, json=body, headers=headers)
                outcome.saw(again.status_code)
                replay = again.json()
                if again.status_code != 200 or not replay["replayed"]:
                    outcome.fail(f"idempotent retry answered {again.status_code}: {again.text}")
                elif (replay["version"], replay["position"]) != (
                    answer["version"],
                    answer["position"],
                ):
                    outcome.fail(f"idempotent retry answered {replay}, first {answer}")
            # Read-your-writes, on a new connection (either process).
            for _attempt in range(20):
                view = http.get(
                    f"/v1/objectives/{objective}", params={"min_position": answer["position"]}
                )
                outcome.saw(view.status_code)
                if view.status_code != 503:  # not caught up within the (long) wait: again
                    break
            if view.status_code != 200:
                outcome.fail(f"read after write answered {view.status_code}: {view.text[:300]}")
                continue
            seen_view = view.json()
            notes = [p.get("note") for p in seen_view["progress"]]
            if seen_view["version"] < answer["version"] or note not in notes:
                outcome.fail(
                    f"read at min_position {answer['position']} missed its write "
                    f"(version {seen_view['version']} < {answer['version']} or note missing)"
                )


def test_two_processes_serve_concurrent_commands_without_lost_writes_or_false_conflicts(
    world: World, tmp_path: Path
) -> None:
    token = mint_token(world.appraisee, secret=SECRET, issuer=Settings().jwt_issuer)
    outcome = Outcome()
    with serving(world, tmp_path) as (base, lines):
        threads = [
            threading.Thread(
                target=_drive, args=(base, token, world, n, outcome), name=f"client-{n}"
            )
            for n in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        assert not any(t.is_alive() for t in threads), "a client did not finish in 600 s"
    assert outcome.problems == []
    assert not [s for s in outcome.statuses if s >= 500], outcome.statuses
    assert sum(len(v) for v in outcome.accepted.values()) == CLIENTS * COMMANDS_PER_CLIENT

    # No lost or duplicated events: the accepted versions are exactly the new ones, once each,
    # and the store holds that many events for each objective.
    c = build(
        Settings(database_url=world.url, jwt_secret=SECRET, privacy_master_key=MASTER_KEY),
        run_projections=False,
    )
    try:
        for objective, versions in outcome.accepted.items():
            start = world.start_versions[objective]
            assert sorted(versions) == list(range(start + 1, start + 1 + len(versions)))
            stored = c.store.recorder.select_events(objective)
            assert [e.originator_version for e in stored] == list(
                range(1, start + 1 + len(versions))
            )
            progress = [e for e in stored if e.topic.endswith("ProgressRecorded")]
            assert len(progress) == len(versions)
    finally:
        c.close()

    # Both processes answered commands (each access line names the process that answered).
    access = [json.loads(line) for line in lines if line.startswith("{")]
    commands = [
        a for a in access if a.get("logger") == "appraisals.access" and a.get("method") == "POST"
    ]
    assert len(commands) >= CLIENTS * COMMANDS_PER_CLIENT
    assert len({a["pid"] for a in commands}) == 2


def test_a_key_that_does_not_open_the_store_stops_serve_at_once_with_the_reason(
    world: World, tmp_path: Path
) -> None:
    """Before: each web process and the background process failed in turn, and `serve` then
    exited 0; an orchestrator would have seen a clean stop."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPRAISALS_")}
    env.update(
        APPRAISALS_DATABASE_URL=world.url,
        APPRAISALS_JWT_SECRET=SECRET,
        APPRAISALS_PRIVACY_MASTER_KEY="not-the-key-this-store-was-sealed-with-" + "x" * 16,
    )
    done = subprocess.run(
        [APPRAISALS, "serve", "--workers", "2", "--port", str(_free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "APPRAISALS_PRIVACY_MASTER_KEY does not open" in done.stderr
    assert "serving" not in done.stderr  # no web process was started
