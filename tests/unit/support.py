"""Helpers shared by unit tests: a clock that stands still, a store in memory, the log length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from appraisals.wiring import eventsourcing_env
from commands.store import EventStoreApp
from config.settings import Settings


@dataclass
class FixedClock:
    """A clock that stands still unless a test moves it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def new_store(database_url: str = "sqlite:///:memory:") -> EventStoreApp:
    """An event store on SQLite (in memory unless a file URL is given), tables created."""
    return EventStoreApp(env=eventsourcing_env(Settings(database_url=database_url)))


def log_length(store: EventStoreApp) -> int:
    """How many events the store's log holds (its last notification id)."""
    return int(store.recorder.max_notification_id() or 0)
