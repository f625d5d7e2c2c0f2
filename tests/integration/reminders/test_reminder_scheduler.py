"""The scheduler: APScheduler in-process (embedded mode), dramatiq periodic work on Redis."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

import pytest

from reminders.scheduler import EmbeddedScheduler, make_broker, run_reminder_worker
from tests.conftest import REDIS_URL
from tests.integration.reminders.conftest import World, recipients

pytestmark = pytest.mark.integration


def eventually(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_the_embedded_scheduler_sends_what_is_due_by_itself(world: World) -> None:
    world.clock.day(date(2025, 11, 3))
    world.catch_up()
    reminders = world.container.reminders
    scheduler = EmbeddedScheduler(reminders.run_once, reminders.send_chases, interval=0.3)
    scheduler.start()
    try:
        assert eventually(lambda: len(world.smtp.messages) >= 2)
        time.sleep(1.0)  # a few more passes: nothing goes twice
    finally:
        scheduler.stop()
    assert recipients(world.smtp.messages) == [
        "Ann Appraisee <ann@oak.example>",
        "Bob Appraiser <bob@oak.example>",
    ]


def test_dramatiq_workers_on_redis_send_each_reminder_once(
    world: World, redis_namespace: str
) -> None:
    world.clock.day(date(2025, 11, 21))
    world.catch_up()
    stops = []
    brokers = []
    for _ in range(2):  # two worker processes' worth: each with its broker and ticker
        container = world.worker(redis_url=REDIS_URL, redis_namespace=redis_namespace)
        broker = make_broker(REDIS_URL, redis_namespace)
        brokers.append(broker)
        stops.append(
            run_reminder_worker(
                broker,
                container.reminders.run_once,
                container.reminders.send_chases,
                redis_namespace,
                interval=0.5,
            )
        )
    try:
        assert eventually(lambda: len(world.smtp.messages) >= 4)
        time.sleep(2.0)  # several more ticks on both workers
    finally:
        for stop in stops:
            stop()
        for broker in brokers:
            broker.close()
    assert len(recipients(world.smtp.messages)) == 4
    assert world.container.reminders.ledger.counts() == {"sent": 4}
