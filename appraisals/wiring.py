"""The composition root: builds the event store, the command service and the projections.

Nothing here runs at import time; ``build(settings)`` is called by the CLI, the API factory
and tests, each with the settings they want. Without Redis, projections run in an in-process
runner thread woken after each commit; with ``APPRAISALS_REDIS_URL`` the command side
enqueues a dramatiq wake-up after each commit and ``appraisals worker`` processes advance the
read models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID, uuid4

import psycopg

from api.security import RateLimits, Revocations, Security, SecurityLog
from appraisals.settings import Settings, eventsourcing_env
from commands.service import CommandService, system_clock
from commands.states import StateCache
from commands.store import EventStoreApp
from projections.db import connect
from projections.service import Projections


class Notifier(Protocol):
    def notify(self) -> bool: ...


@dataclass
class Container:
    """Everything a running process needs, built once from settings."""

    settings: Settings
    store: EventStoreApp
    commands: CommandService
    projections: Projections
    security: Security
    notifier: Notifier | None = None
    on_start: list[Callable[[], None]] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)
    closed: bool = False

    def start(self) -> None:
        """Start background work (the in-process projection runner, if any)."""
        for start in self.on_start:
            start()
        self.on_start.clear()

    def close(self) -> None:
        """Stop the background threads, then close the pools (SQLite checkpoints its WAL as
        its last connection closes). Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        for close in reversed(self.closers):
            close()
        self.closers.clear()
        self.projections.close()
        self.projections.db.close()
        self.store.close()


# One advisory lock serialises schema creation: processes starting together (web workers,
# projection workers) would otherwise race on CREATE ... and fail with "tuple concurrently
# updated".
_SCHEMA_LOCK = 0x4150505241495341  # "APPRAISA"


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Hold the schema lock (PostgreSQL) while creating tables; a no-op on SQLite."""
    if not settings.is_postgres:
        yield
        return
    from projections.db_postgres import libpq_conninfo

    with psycopg.connect(libpq_conninfo(settings.database_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))


def build_store(settings: Settings) -> EventStoreApp:
    with schema_lock(settings):
        return EventStoreApp(env=eventsourcing_env(settings))


def build_security(settings: Settings, projections: Projections) -> Security:
    """The security log and revocations live beside the read models, never in the event store."""
    return Security(
        log=SecurityLog(projections.db),
        revocations=Revocations(projections.db),
        limits=RateLimits(
            sign_in=settings.sign_in_rate_limit,
            failed_auth=settings.failed_auth_rate_limit,
            redis_url=settings.redis_url,
            namespace=settings.redis_namespace,
        ),
    )


def build(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = system_clock,
    new_id: Callable[[], UUID] = uuid4,
    run_projections: bool = True,
) -> Container:
    """Wire a process. ``run_projections=False`` builds no runner (CLI tools, benchmarks)."""
    store = build_store(settings)
    states = StateCache(
        store, maxsize=settings.state_cache_size, context_ttl=settings.context_cache_ttl
    )
    projections = Projections(connect(settings.database_url, pool_size=settings.pool_size))
    security = build_security(settings, projections)
    with schema_lock(settings):
        projections.ensure()
        security.ensure()
    service = CommandService(
        store,
        clock=clock,
        new_id=new_id,
        states=states,
        retry_deadline=settings.command_retry_seconds,
    )
    container = Container(settings, store, service, projections, security)
    if not run_projections:
        return container
    from appraisals.audit_keys import signing_key
    from replay.sealer import ChainSealer

    # The audit chain is sealed as the log grows (replay/chain.py), in this process.
    sealer = ChainSealer(
        projections.db,
        signing_key(settings),
        interval=settings.audit_seal_seconds,
    )
    container.on_start.append(sealer.start)
    container.closers.append(sealer.stop)
    if settings.redis_url:
        from projections.workers import RedisWakeup

        wakeup = RedisWakeup(settings.redis_url, settings.redis_namespace, projections.names)
        container.notifier = wakeup
        container.closers.append(wakeup.broker.close)
    else:
        from projections.runner import InProcessRunner

        runner = InProcessRunner(projections, poll_interval=settings.projection_poll_seconds)
        container.notifier = runner
        container.on_start.append(runner.start)
        container.closers.append(runner.stop)
    notifier = container.notifier

    def wake(_position: int) -> None:
        notifier.notify()
        sealer.notify()

    service.on_committed = wake
    return container
