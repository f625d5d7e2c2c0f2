"""Read-model queries on a real streaming replica (pg_basebackup -R of a private primary).

Replay on the replica is paused with ``pg_wal_replay_pause()`` to make it stale on purpose:
reads without ``?min_position=`` then show the replica's older data (so they were served
there), while a read naming its own write still gets that write, from the primary. Stopping
the replica sends every read to the primary until it is back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.auth import mint_token
from appraisals.app import create_app
from appraisals.wiring import Container, build
from commands.principal import Principal
from config.settings import Settings
from projections.engine.replica import ReadReplica, RoutedReads
from testkit.replication import ReplicatedPair
from testkit.scenario import Org, build_org

pytestmark = pytest.mark.integration

Auth = Callable[[Principal], dict[str, str]]


@pytest.fixture(scope="module")
def settings(pg_replication: ReplicatedPair) -> Settings:
    return Settings(
        database_url=pg_replication.primary.url("appraisals"),
        read_database_url=pg_replication.replica.url("appraisals"),
        context_cache_ttl=0,
        read_replica_wait_seconds=0.3,
        read_replica_retry_seconds=0.5,
    )


@pytest.fixture(scope="module")
def container(settings: Settings) -> Iterator[Container]:
    c = build(settings)
    c.start()
    assert c.replica is not None
    c.replica.check_seconds = 0.0  # every routing decision sees the replica as it is now
    yield c
    c.close()


@pytest.fixture(scope="module")
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container=container)) as c:
        yield c


@pytest.fixture(scope="module")
def auth(settings: Settings) -> Auth:
    def headers(principal: Principal) -> dict[str, str]:
        secret = settings.jwt_secret.get_secret_value()
        token = mint_token(principal, secret=secret, issuer=settings.jwt_issuer)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture(scope="module")
def world(container: Container, client: TestClient, auth: Auth) -> tuple[Org, str]:
    """An organisation and one objective, replayed on the replica."""
    org = build_org(container.commands)
    drafted = client.post(
        "/v1/objectives",
        json={
            "review_id": str(org.review_id),
            "title": "Raise Year 4 reading",
            "success_criteria": ["85% at the expected standard"],
            "due_date": "2026-07-10",
        },
        headers=auth(org.appraiser),
    )
    assert drafted.status_code == 201, drafted.text
    _replica_level(container, drafted.json()["position"])
    return org, drafted.json()["aggregate_id"]


def _replica_level(container: Container, position: int) -> None:
    """Until the replica's read models have replayed ``position``."""
    assert container.projections.wait_for(position, timeout=30)
    replica = container.replica
    assert replica is not None
    deadline = time.monotonic() + 30
    while not replica.reached(position):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


@contextmanager
def replay_paused(url: str) -> Iterator[None]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")


def _revise(client: TestClient, auth: Auth, org: Org, objective: str, title: str) -> int:
    answer = client.post(
        f"/v1/objectives/{objective}/revisions", json={"title": title}, headers=auth(org.appraiser)
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["position"])


def _served(container: Container) -> dict[str, int]:
    assert container.replica is not None
    return dict(container.replica.served)


def test_a_read_naming_its_write_gets_it_while_replay_on_the_replica_is_paused(
    client: TestClient, container: Container, settings: Settings, auth: Auth, world: tuple[Org, str]
) -> None:
    org, objective = world
    assert settings.read_database_url
    _revise(client, auth, org, objective, "Reading for pleasure in Year 4")
    _replica_level(container, container.store.recorder.max_notification_id() or 0)
    with replay_paused(settings.read_database_url):
        position = _revise(client, auth, org, objective, "Reading for pleasure across KS2")
        # The primary's read models have the revision ...
        assert container.projections.wait_for(position, timeout=10)
        before = _served(container)
        stale = client.get(f"/v1/objectives/{objective}", headers=auth(org.appraisee))
        # ... the replica's do not: a read without min_position was answered there.
        assert stale.json()["title"] == "Reading for pleasure in Year 4"
        assert _served(container)["replica"] > before["replica"]
        before = _served(container)
        mine = client.get(
            f"/v1/objectives/{objective}?min_position={position}", headers=auth(org.appraisee)
        )
        assert mine.status_code == 200
        assert mine.json()["title"] == "Reading for pleasure across KS2"
        assert _served(container)["primary"] > before["primary"]
        assert _served(container)["replica"] == before["replica"]
        history = client.get(
            f"/v1/objectives/{objective}/history?min_position={position}",
            headers=auth(org.appraisee),
        ).json()
        assert history["changes"][-1]["new_value"] == "Reading for pleasure across KS2"
    # Replay resumed: the same read is answered by the replica once it has the write.
    _replica_level(container, position)
    before = _served(container)
    again = client.get(
        f"/v1/objectives/{objective}?min_position={position}", headers=auth(org.appraisee)
    )
    assert again.json()["title"] == "Reading for pleasure across KS2"
    assert _served(container)["replica"] > before["replica"]
    assert _served(container)["primary"] == before["primary"]


def test_readiness_reports_the_replica_its_lag_and_where_reads_went(
    client: TestClient, container: Container, settings: Settings, auth: Auth, world: tuple[Org, str]
) -> None:
    org, objective = world
    assert settings.read_database_url
    with replay_paused(settings.read_database_url):
        position = _revise(client, auth, org, objective, "Reading with parents")
        assert container.projections.wait_for(position, timeout=10)
        ready = client.get("/readyz")
        assert ready.status_code == 200
        replica = ready.json()["replica"]
        assert replica["state"] == "ok" and replica["replay_paused"] is True
        assert replica["lag_events"] >= 1 and replica["lag_seconds"] >= 0
        assert set(replica["reads"]) == {"replica", "primary"}
    _replica_level(container, position)
    level = client.get("/readyz").json()["replica"]
    assert level["lag_events"] == 0 and level["lag_seconds"] == 0
    metrics = client.get("/metrics").text
    assert "appraisals_read_replica_up 1.0" in metrics
    assert 'appraisals_read_transactions{source="replica"}' in metrics


def test_the_dashboard_reads_the_replica_and_a_page_after_a_form_shows_the_write(
    container: Container, settings: Settings, auth: Auth, world: tuple[Org, str]
) -> None:
    org, objective = world
    assert settings.read_database_url
    token = auth(org.appraisee)["Authorization"].removeprefix("Bearer ")
    site = "http://testserver"
    with TestClient(create_app(container=container), base_url=site) as browser:
        signed_in = browser.post("/session", data={"token": token}, headers={"Origin": site})
        assert signed_in.status_code in (200, 303), signed_in.text
        with replay_paused(settings.read_database_url):
            api = TestClient(create_app(container=container))
            position = _revise(api, auth, org, objective, "Reading journals in Year 4")
            assert container.projections.wait_for(position, timeout=10)
            plain = browser.get(f"/objectives/{objective}")
            # As a form's redirect leads: the page names the write it must show.
            after = browser.get(f"/objectives/{objective}?min_position={position}")
        assert plain.status_code == 200 and "Reading journals in Year 4" not in plain.text
        assert after.status_code == 200 and "Reading journals in Year 4" in after.text


def test_writes_idempotency_and_locks_go_to_the_primary_whatever_the_request(
    client: TestClient, container: Container, settings: Settings, auth: Auth, world: tuple[Org, str]
) -> None:
    org, objective = world
    assert settings.read_database_url
    routed = container.read_db(None)
    assert isinstance(routed, RoutedReads)
    with routed.transaction(write=False) as tx:
        assert tx.query("SELECT pg_is_in_recovery()") == [(True,)]
    with routed.transaction() as tx:
        assert tx.query("SELECT pg_is_in_recovery()") == [(False,)]
    with routed.locked("appraisals:test:replica-lock") as got:
        assert got
    # A retried command is recognised while the replica knows nothing of its first try.
    key = str(uuid.uuid4())
    h = {**auth(org.appraiser), "Idempotency-Key": key}
    with replay_paused(settings.read_database_url):
        first = client.post(
            f"/v1/objectives/{objective}/revisions", json={"title": "Reading aloud"}, headers=h
        )
        retry = client.post(
            f"/v1/objectives/{objective}/revisions", json={"title": "Reading aloud"}, headers=h
        )
    assert first.status_code == 200 and retry.json()["replayed"] is True
    assert retry.json()["position"] == first.json()["position"]


def test_with_the_replica_down_reads_go_to_the_primary_and_come_back_when_it_returns(
    client: TestClient,
    container: Container,
    pg_replication: ReplicatedPair,
    auth: Auth,
    world: tuple[Org, str],
) -> None:
    org, objective = world
    pg_replication.replica.stop()
    try:
        position = _revise(client, auth, org, objective, "Reading while the replica is down")
        assert container.projections.wait_for(position, timeout=10)
        before = _served(container)
        plain = client.get(f"/v1/objectives/{objective}", headers=auth(org.appraisee))
        assert plain.status_code == 200
        assert plain.json()["title"] == "Reading while the replica is down"
        mine = client.get(
            f"/v1/objectives/{objective}?min_position={position}", headers=auth(org.appraisee)
        )
        assert mine.json()["title"] == "Reading while the replica is down"
        assert _served(container)["primary"] >= before["primary"] + 2
        ready = client.get("/readyz")
        # Still ready: every query is answered, by the primary.
        assert ready.status_code == 200
        assert ready.json()["replica"]["state"] == "unavailable"
    finally:
        pg_replication.replica.start()
    # Back: once its pool has reconnected, plain reads are served by the replica again.
    _replica_level(container, position)
    deadline = time.monotonic() + 30
    while True:
        before = _served(container)
        back = client.get(f"/v1/objectives/{objective}", headers=auth(org.appraisee))
        assert back.json()["title"] == "Reading while the replica is down"
        if _served(container)["replica"] > before["replica"]:
            break
        assert time.monotonic() < deadline, "reads did not return to the replica"
        time.sleep(0.2)


def test_a_url_that_is_not_a_replica_is_never_read(
    container: Container, settings: Settings
) -> None:
    # The primary itself, named as the replica: not in recovery, so not trusted.
    wrong = ReadReplica(container.projections.db, settings.database_url, check_seconds=0.0)
    try:
        assert wrong.status(fresh=True).state == "not_a_replica"
        routed = wrong.for_request(None)
        with routed.transaction(write=False) as tx:
            tx.query("SELECT 1")
        assert isinstance(routed, RoutedReads) and routed.source == "primary"
    finally:
        wrong.close()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"read_database_url": "sqlite:///x.db"}, "must be a postgresql:// URL"),
        ({"database_url": "sqlite:///x.db", "read_database_url": "postgresql://h/db"}, "needs"),
    ],
)
def test_a_replica_url_must_be_postgresql_beside_a_postgresql_primary(
    values: dict[str, Any], message: str
) -> None:
    base: dict[str, Any] = {"database_url": "postgresql://h/db"}
    with pytest.raises(ValueError, match=message):
        Settings(**{**base, **values})
    assert (
        Settings(database_url="postgresql://h/db", read_database_url="").read_database_url is None
    )
