"""Command-layer fixtures: an in-memory SQLite event store, a fixed clock, a small trust."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from appraisals.settings import Settings, eventsourcing_env
from commands.service import CommandService
from commands.store import EventStoreApp
from tests.scenario import Org, build_org


@dataclass
class FixedClock:
    """A clock that stands still unless a test moves it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def log_length(store: EventStoreApp) -> int:
    """How many events the store's log holds (its last notification id)."""
    return int(store.recorder.max_notification_id() or 0)


@pytest.fixture
def clock(fixed_now: datetime) -> FixedClock:
    return FixedClock(fixed_now)


@pytest.fixture
def event_store() -> Iterator[EventStoreApp]:
    store = EventStoreApp(env=eventsourcing_env(Settings(database_url="sqlite:///:memory:")))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def service(event_store: EventStoreApp, clock: FixedClock) -> CommandService:
    return CommandService(event_store, clock=clock)


@pytest.fixture
def org(service: CommandService) -> Org:
    """Oak Learning Trust: two schools, Ann appraised by Bob in the open 2025-26 cycle
    (at most three objectives)."""
    return build_org(service)
