"""Projections on the real PostgreSQL (a fresh database per test) and Redis."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from events.base import DomainEvent
from testkit.synthetic import stored
from tests.conftest import create_database, drop_database


class PgStore:
    """The event store's PostgreSQL table, written by the library's application recorder."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.datastore = PostgresDatastore(url.rsplit("/", 1)[1], "127.0.0.1", 5432, "postgres", "")
        self.recorder = PostgresApplicationRecorder(
            self.datastore, events_table_name="appraisals_events"
        )
        self.recorder.create_table()

    def append(self, events: Iterable[DomainEvent], chunk: int = 100) -> int:
        batch: list[StoredEvent] = []
        for event in events:
            batch.append(StoredEvent(*stored(event)))
            if len(batch) == chunk:
                self.recorder.insert_events(batch)
                batch = []
        if batch:
            self.recorder.insert_events(batch)
        return self.head()

    def head(self) -> int:
        return int(self.recorder.max_notification_id() or 0)


@pytest.fixture
def pg_store() -> Iterator[PgStore]:
    url = create_database("appraisals_projections")
    store = PgStore(url)
    try:
        yield store
    finally:
        store.datastore.close()
        drop_database(url)
