"""Projections in dramatiq workers on Redis: wake-ups after commits, a periodic tick.

The command side calls ``RedisWakeup.notify()`` after each commit: it
enqueues one ``advance_projection`` message per projection, unless one is already waiting (a
short-lived Redis flag), so a burst of commands does not flood the queue. Workers advance a
projection under its PostgreSQL advisory lock; a worker that finds the lock taken retries a
moment later, so events committed while another worker finishes are never left behind. A
tick in every worker catches up anything missed (a lost message, Redis down for a while).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.errors import DramatiqError

from projections.engine.core import Projection
from projections.engine.runner import start_outdated_rebuild
from projections.engine.service import Projections

log = logging.getLogger(__name__)

QUEUE = "projections"
ACTOR = "advance_projection"
# A worker advances at most this many batches per message, then yields the projection.
BATCHES_PER_MESSAGE = 50
# How long a pending wake-up suppresses others (ms); a lost message costs at most this.
_FLAG_TTL_MS = 30_000
_BUSY_RETRY_MS = 250


def make_broker(redis_url: str, namespace: str = "appraisals") -> RedisBroker:
    """A dramatiq broker on Redis, with short socket timeouts so an outage fails fast."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1.0, socket_timeout=10.0)
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        client=client, namespace=f"{namespace}-dramatiq"
    )
    broker.declare_queue(QUEUE)
    return broker


class RedisWakeup:
    """The command side's notifier in Redis mode: ``notify()`` after each commit."""

    def __init__(self, redis_url: str, namespace: str, names: Sequence[str]) -> None:
        self.broker = make_broker(redis_url, namespace)
        self.namespace = namespace
        self.names = list(names)

    def _flag(self, name: str) -> str:
        return f"{self.namespace}:projections:pending:{name}"

    def send(self, name: str, *, delay_ms: int | None = None, force: bool = False) -> bool:
        """Enqueue one wake-up for ``name`` unless one is pending; False if Redis failed."""
        try:
            client: redis.Redis = self.broker.client
            if force or client.set(self._flag(name), 1, nx=True, px=_FLAG_TTL_MS):
                message: dramatiq.Message[Any] = dramatiq.Message(
                    queue_name=QUEUE, actor_name=ACTOR, args=(name,), kwargs={}, options={}
                )
                self.broker.enqueue(message, delay=delay_ms)
            return True
        except (redis.RedisError, DramatiqError, OSError) as exc:
            log.warning("could not enqueue a projection wake-up (%s); the tick will catch up", exc)
            return False

    def notify(self) -> bool:
        """Wake every projection; never raises (commands must succeed with Redis down).

        One round trip sets every pending flag, then only the projections not already
        pending get a message: a commit costs one Redis call in the common case, and one
        failure (not one per projection) when Redis is down.
        """
        try:
            pipe = self.broker.client.pipeline(transaction=False)
            for name in self.names:
                pipe.set(self._flag(name), 1, nx=True, px=_FLAG_TTL_MS)
            newly = [name for name, fresh in zip(self.names, pipe.execute(), strict=True) if fresh]
        except (redis.RedisError, OSError) as exc:
            log.warning("could not enqueue a projection wake-up (%s); the tick will catch up", exc)
            return False
        sent = [self.send(name, force=True) for name in newly]
        return all(sent)

    def clear(self, name: str) -> None:
        try:
            self.broker.client.delete(self._flag(name))
        except (redis.RedisError, OSError) as exc:
            log.warning("could not clear a wake-up flag: %s", exc)


def declare_actor(broker: RedisBroker, wakeup: RedisWakeup, service: Projections) -> Any:
    def advance_projection(name: str) -> None:
        # Cleared first: a commit from now on enqueues a new message, so none is missed.
        wakeup.clear(name)
        moved = service.advance(name, max_batches=BATCHES_PER_MESSAGE)
        if moved is None:
            # Another worker holds the lock; look again shortly in case it just finished.
            wakeup.send(name, delay_ms=_BUSY_RETRY_MS)
        elif moved and service.lag(name) > 0:
            wakeup.send(name, force=True)

    return dramatiq.actor(
        broker=broker,
        actor_name=ACTOR,
        queue_name=QUEUE,
        max_retries=5,
        min_backoff=500,
        max_backoff=30_000,
        time_limit=15 * 60 * 1000,
    )(advance_projection)


def run_worker(
    database_url: str,
    redis_url: str,
    namespace: str = "appraisals",
    *,
    projections: Sequence[Projection],
    threads: int = 2,
    tick_seconds: float = 5.0,
    page_size: int = 1000,
    stop: threading.Event | None = None,
) -> None:
    """Run a projections worker until ``stop`` is set or SIGTERM/SIGINT arrives."""
    # The handlers come first: a signal that arrives while the schema is being ensured (a
    # slow start on a loaded host) still ends the worker cleanly once it has started.
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    service = Projections(database_url, projections=projections, page_size=page_size)
    service.ensure()
    wakeup = RedisWakeup(redis_url, namespace, service.names)
    declare_actor(wakeup.broker, wakeup, service)
    worker = dramatiq.Worker(wakeup.broker, queues={QUEUE}, worker_threads=threads)
    worker.start()
    start_outdated_rebuild(service)
    log.info("projections worker started (%d threads, namespace %s)", threads, namespace)
    try:
        while True:
            for name in service.names:
                wakeup.send(name)
            if stop.wait(tick_seconds):
                break
    finally:
        worker.stop()
        wakeup.broker.close()
        service.close()
