"""Running reminders on a schedule: APScheduler in-process, or dramatiq periodic work on Redis.

Embedded mode: an APScheduler ``BackgroundScheduler`` in the web process runs a reminder pass
every interval (one at a time, missed runs coalesced). Redis mode: every ``appraisals worker``
runs the same APScheduler timer, which enqueues one ``run_reminders`` dramatiq message per
interval for the whole fleet (a Redis flag set with NX); whichever worker takes it runs the
pass, with dramatiq's retries and back-off if the pass itself fails (the database away).
Sends are exactly-once by the ledger whatever the number of workers and runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import redis
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from dramatiq.brokers.redis import RedisBroker
from dramatiq.errors import DramatiqError

log = logging.getLogger(__name__)

QUEUE = "reminders"
RUN = "run_reminders"
CHASES = "send_chases"
# A chase is picked up this long after it was recorded (its read model catches up first).
CHASE_DELAY = timedelta(seconds=2)


def _guarded(name: str, work: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        # A supervisor: a failed pass (database or mail server away) is logged and the next
        # interval tries again; the ledger keeps what was decided.
        try:
            work()
        except Exception:
            log.exception("reminder %s failed; the next run retries", name)

    return run


class EmbeddedScheduler:
    """Reminder passes in a background thread of this process (no Redis)."""

    def __init__(
        self, run: Callable[[], object], chases: Callable[[], object], *, interval: float
    ) -> None:
        self._run = _guarded("run", run)
        self._chases = _guarded("chase", chases)
        self.interval = interval
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=interval),
            id=RUN,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC) + timedelta(seconds=1),
        )

    def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def wake_chases(self) -> None:
        """Send the chases just asked for, in a moment, without waiting for the interval."""
        if self.scheduler.running:
            self.scheduler.add_job(
                self._chases, "date", run_date=datetime.now(UTC) + CHASE_DELAY, max_instances=1
            )


def make_broker(redis_url: str, namespace: str) -> RedisBroker:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1.0, socket_timeout=10.0)
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        client=client, namespace=f"{namespace}-dramatiq"
    )
    broker.declare_queue(QUEUE)
    return broker


def declare_actors(
    broker: RedisBroker, run: Callable[[], object], chases: Callable[[], object]
) -> None:
    options: dict[str, Any] = {
        "broker": broker,
        "queue_name": QUEUE,
        "max_retries": 5,
        "min_backoff": 1_000,
        "max_backoff": 60_000,
        "time_limit": 30 * 60 * 1000,
    }

    def run_reminders() -> None:
        run()

    def send_chases() -> None:
        chases()

    dramatiq.actor(actor_name=RUN, **options)(run_reminders)
    dramatiq.actor(actor_name=CHASES, **options)(send_chases)


class RedisTicker:
    """Enqueues the fleet's reminder pass once per interval (and chases when asked)."""

    def __init__(self, broker: RedisBroker, namespace: str, *, interval: float) -> None:
        self.broker = broker
        self.flag = f"{namespace}:reminders:tick"
        self.interval = interval
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=interval),
            id="reminders-tick",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC) + timedelta(seconds=1),
        )

    def _send(self, actor: str, delay_ms: int | None = None) -> bool:
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=QUEUE, actor_name=actor, args=(), kwargs={}, options={}
        )
        try:
            self.broker.enqueue(message, delay=delay_ms)
            return True
        except (redis.RedisError, DramatiqError, OSError) as e:
            log.warning("could not enqueue %s (%s); the next tick tries again", actor, e)
            return False

    def tick(self) -> bool:
        """One message per interval for all workers together."""
        try:
            client: redis.Redis = self.broker.client
            ttl = max(int(self.interval * 1000 * 0.9), 1000)
            if not client.set(self.flag, 1, nx=True, px=ttl):
                return False
        except (redis.RedisError, OSError) as e:
            log.warning("reminder tick skipped, Redis unreachable: %s", e)
            return False
        return self._send(RUN)

    def wake_chases(self) -> bool:
        return self._send(CHASES, delay_ms=int(CHASE_DELAY.total_seconds() * 1000))

    def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def run_reminder_worker(
    broker: RedisBroker,
    run: Callable[[], object],
    chases: Callable[[], object],
    namespace: str,
    *,
    interval: float,
    threads: int = 1,
) -> Callable[[], None]:
    """Start a reminders dramatiq worker and its ticker; returns the function that stops them."""
    declare_actors(broker, run, chases)
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=threads)
    ticker = RedisTicker(broker, namespace, interval=interval)
    worker.start()
    ticker.start()
    stopped = threading.Event()

    def stop() -> None:
        if not stopped.is_set():
            stopped.set()
            ticker.stop()
            worker.stop()

    return stop
