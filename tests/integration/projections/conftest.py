"""Projections on the real PostgreSQL (a fresh database per test) and Redis."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from config.settings import Settings
from events.base import DomainEvent
from events.codec import install_keyring
from privacy import keys
from projections.engine.connection import connect
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
        # Personal data is sealed with this database's keys, as the service does.
        self.keys_db = connect(url, pool_size=1)
        self.previous_keyring = install_keyring(None)
        keys.install(self.keys_db, Settings().privacy_master_key.get_secret_value())

    def close(self) -> None:
        install_keyring(self.previous_keyring)
        self.keys_db.close()
        self.datastore.close()

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
        store.close()
        drop_database(url)
