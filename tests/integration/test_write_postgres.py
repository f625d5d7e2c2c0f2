"""The write side on the real PostgreSQL: concurrency, idempotency across processes, no leaks."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from aggregates.errors import Conflict, RuleBroken
from appraisals.wiring import Container, build
from commands import messages as m
from commands.handling import REVIEW, load
from commands.principal import Principal
from commands.service import CommandService
from commands.store import EventStoreApp, IdempotencyRecord
from config.settings import Settings
from events.base import DomainEvent
from testkit.scenario import Org, build_org
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration


@pytest.fixture
def container(pg_url: str) -> Iterator[Container]:
    c = build(Settings(database_url=pg_url))
    yield c
    c.close()


@pytest.fixture
def scratch_url() -> Iterator[str]:
    """A database of its own for the tests that append raw records (not events any read
    model could apply): the session's database is shared with the API tests' read models."""
    url = create_database("appraisals_raw_appends")
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def scratch(scratch_url: str) -> Iterator[Container]:
    c = build(Settings(database_url=scratch_url), run_projections=False)
    yield c
    c.close()


@pytest.fixture
def org(container: Container) -> Org:
    return build_org(container.commands)


def head(store: EventStoreApp) -> int:
    return store.recorder.max_notification_id() or 0


class _RacingStore(EventStoreApp):
    """Holds every writer at a barrier after deciding, so both decide on the same state."""

    barrier: threading.Barrier

    def record_stored(self, records: Any, idempotency: Any = None) -> list[int]:
        self.barrier.wait(timeout=10)
        return super().record_stored(records, idempotency=idempotency)


def test_two_concurrent_conflicting_commands_give_one_success_and_one_conflict(
    pg_url: str, container: Container, org: Org
) -> None:
    settings = Settings(database_url=pg_url)
    from appraisals.wiring import eventsourcing_env

    barrier = threading.Barrier(2)
    stores = []
    for _ in range(2):
        s = _RacingStore(env=eventsourcing_env(settings))
        s.barrier = barrier
        stores.append(s)
    before = head(container.store)
    version = load(container.store, REVIEW, org.review_id).version
    results: list[object] = []

    def run(store: EventStoreApp, principal: Principal, kind: str) -> None:
        svc = CommandService(store)
        cmd = m.RecordMeeting(
            review_id=org.review_id, kind=kind, held_on=date(2025, 9, 20), notes="agreed plan"
        )
        try:
            results.append(svc.execute(cmd, principal, expected_version=version))
        except Conflict as e:
            results.append(e)

    threads = [
        threading.Thread(target=run, args=(stores[0], org.appraiser, "planning")),
        threading.Thread(target=run, args=(stores[1], org.appraiser, "planning")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for s in stores:
        s.close()

    conflicts = [r for r in results if isinstance(r, Conflict)]
    successes = [r for r in results if not isinstance(r, Exception)]
    assert len(successes) == 1 and len(conflicts) == 1
    # Exactly the one successful event was recorded, nothing lost, nothing doubled.
    assert head(container.store) == before + 1
    assert load(container.store, REVIEW, org.review_id).version == version + 1


def _draft_in_process(url: str, org_review: str, appraiser_id: str, trust_id: str, q: Any) -> None:
    from uuid import UUID

    from events.base import Role

    c = build(Settings(database_url=url))
    principal = Principal(UUID(appraiser_id), Role.STAFF, trust_id=UUID(trust_id))
    cmd = m.DraftObjective(
        review_id=UUID(org_review),
        title="Raise attainment in Year 6 reading",
        success_criteria=["80% at the expected standard"],
        due_date=date(2026, 7, 1),
    )
    result = c.commands.execute(cmd, principal, idempotency_key="draft-reading-1")
    q.put((str(result.aggregate_id), result.version, result.position))
    c.close()


def test_idempotent_retries_across_processes_record_one_event(
    pg_url: str, container: Container, org: Org
) -> None:
    before = head(container.store)
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    args = (pg_url, str(org.review_id), str(org.appraiser_id), str(org.trust_id), q)
    procs = [ctx.Process(target=_draft_in_process, args=args) for _ in range(3)]
    for p in procs:
        p.start()
    answers = [q.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    # Every process got the same answer, and one draft (objective + review link) was recorded.
    assert len(set(answers)) == 1
    assert head(container.store) == before + 2
    review = load(container.store, REVIEW, org.review_id)
    assert len(review.active_objectives) == 1


def test_rejected_commands_record_nothing_on_postgres(container: Container, org: Org) -> None:
    before = head(container.store)
    with pytest.raises(RuleBroken) as broken:
        container.commands.execute(
            m.RecordMeeting(
                review_id=org.review_id, kind="mid_year", held_on=date(2026, 2, 3), notes="x"
            ),
            org.appraiser,
        )
    assert broken.value.rule == "meeting-order"
    assert head(container.store) == before


def test_events_read_back_from_postgres_equal_what_was_decided(
    container: Container, org: Org
) -> None:
    stored = list(container.store.events.get(org.review_id))
    assert all(isinstance(e, DomainEvent) for e in stored)
    assert stored[0].originator_version == 1
    assert load(container.store, REVIEW, org.review_id).appraiser_id == org.appraiser_id


def _stored(aggregate: UUID, version: int = 1) -> StoredEvent:
    return StoredEvent(aggregate, version, "appraisals/BenchmarkOnly", b'{"n": 1}')


@contextmanager
def _log_held(pg_url: str) -> Iterator[None]:
    """Holds the log's table lock (as a slow commit would) until the block ends, so the
    appends started inside it queue and are written together."""
    with psycopg.connect(pg_url) as conn:
        conn.execute("LOCK TABLE appraisals_events IN EXCLUSIVE MODE")
        yield
        time.sleep(1.0)  # the appenders reach the queue


def test_fifty_concurrent_appends_to_different_aggregates_all_succeed(
    scratch_url: str, scratch: Container
) -> None:
    store = scratch.store
    before = head(store)
    barrier = threading.Barrier(50)
    outcomes: dict[UUID, object] = {}

    def append(aggregate: UUID) -> None:
        key = IdempotencyRecord(f"test:{aggregate}", "fingerprint", aggregate, 1)
        barrier.wait(timeout=30)
        try:
            outcomes[aggregate] = store.record_stored([_stored(aggregate)], idempotency=key)
        except Exception as e:
            outcomes[aggregate] = e

    aggregates = [uuid4() for _ in range(50)]
    threads = [threading.Thread(target=append, args=(a,)) for a in aggregates]
    with _log_held(scratch_url):
        for t in threads:
            t.start()
    for t in threads:
        t.join(timeout=60)
    failures = {a: o for a, o in outcomes.items() if isinstance(o, Exception)}
    assert failures == {}
    positions = sorted(p for o in outcomes.values() for p in o)  # type: ignore[attr-defined]
    # Every append recorded once, at its own position, and nothing else written between.
    assert positions == list(range(before + 1, before + 51))
    for aggregate in aggregates:
        [record] = store.recorder.select_events(aggregate)
        assert record.originator_version == 1
        found = store.store_recorder.find_idempotency(f"test:{aggregate}")
        assert found is not None and [found.position] == outcomes[aggregate]


def test_appends_written_together_fail_alone_when_they_conflict(
    scratch_url: str, scratch: Container
) -> None:
    store = scratch.store
    taken = uuid4()
    store.record_stored([_stored(taken)])
    before = head(store)
    barrier = threading.Barrier(20)
    outcomes: dict[int, object] = {}

    def append(n: int) -> None:
        # Every fourth append takes a version already taken: a conflict of its own.
        aggregate = taken if n % 4 == 0 else uuid4()
        barrier.wait(timeout=30)
        try:
            outcomes[n] = store.record_stored([_stored(aggregate), _stored(aggregate, 2)])
        except IntegrityError as e:
            outcomes[n] = e

    threads = [threading.Thread(target=append, args=(n,)) for n in range(20)]
    with _log_held(scratch_url):
        for t in threads:
            t.start()
    for t in threads:
        t.join(timeout=60)
    conflicts = sorted(n for n, o in outcomes.items() if isinstance(o, IntegrityError))
    assert conflicts == [0, 4, 8, 12, 16]
    written = [o for o in outcomes.values() if not isinstance(o, Exception)]
    assert len(written) == 15 and all(len(p) == 2 for p in written)  # type: ignore[arg-type]
    # The conflicts wrote nothing: 30 events after the head, in the order of their positions.
    notifications = store.recorder.select_notifications(before + 1, 100)
    assert len(notifications) == 30
    assert [n.originator_version for n in notifications if n.originator_id == taken] == []


def test_threads_that_come_and_go_leave_no_write_connections_behind(
    scratch_url: str, scratch: Container
) -> None:
    """A server's pool threads retire when idle and new ones take their place; the store's
    write connection is the store's, not a thread's, so their number stays put."""

    def backends() -> int:
        with psycopg.connect(scratch_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert row is not None
        return int(row[0])

    def append() -> None:
        scratch.store.record_stored([_stored(uuid4())])

    append()
    before = backends()
    for _ in range(5):
        thread = threading.Thread(target=append)
        thread.start()
        thread.join(timeout=30)
    assert backends() == before
