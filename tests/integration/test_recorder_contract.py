"""Our recorders honour every contract of the library class they extend: the ``eventsourcing``
package's own application-recorder test cases (shipped in ``eventsourcing.tests``), run
against ``PostgresRecorder`` on the real PostgreSQL and ``SQLiteRecorder`` on a file,
including ``subscribe()`` (which needs the insert to NOTIFY the library's channel).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import ApplicationRecorderTestCase

from commands.store import PostgresRecorder, SQLiteRecorder

pytestmark = pytest.mark.integration

PG_ADMIN_URL = os.environ.get(
    "APPRAISALS_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


class TestOurPostgresRecorderPassesTheLibrarysApplicationRecorderCases(
    ApplicationRecorderTestCase[PostgresRecorder]
):
    def setUp(self) -> None:
        super().setUp()
        self.dbname = f"recorder_contract_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.dbname}"')
        self.datastores: list[PostgresDatastore] = []
        self.recorders: list[PostgresRecorder] = []

    def tearDown(self) -> None:
        for recorder in self.recorders:
            recorder.close_writers()
        for datastore in self.datastores:
            datastore.close()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        super().tearDown()

    def create_recorder(self) -> PostgresRecorder:
        url = urlsplit(PG_ADMIN_URL)
        datastore = PostgresDatastore(
            dbname=self.dbname,
            host=url.hostname or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password or "",
            pool_size=12,
            max_overflow=12,
        )
        self.datastores.append(datastore)
        recorder = PostgresRecorder(datastore, events_table_name="stored_events")
        recorder.create_table()
        self.recorders.append(recorder)
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestOurSQLiteRecorderPassesTheLibrarysApplicationRecorderCases(
    ApplicationRecorderTestCase[SQLiteRecorder]
):
    def setUp(self) -> None:
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="recorder-contract-")
        self.datastores: list[Any] = []
        self.threads_before = set(threading.enumerate())

    def tearDown(self) -> None:
        # The library's concurrency case sets its readers' stop flag but does not join them,
        # and closing the pool closes connections still in use: closing a sqlite3 connection
        # while another thread is inside a statement crashes CPython (a segfault, seen once
        # under load). Let the case's own threads finish before the pool closes.
        for thread in set(threading.enumerate()) - self.threads_before:
            thread.join(timeout=60)
        for datastore in self.datastores:
            datastore.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        super().tearDown()

    def create_recorder(self) -> SQLiteRecorder:
        datastore = SQLiteDatastore(os.path.join(self.dir, "events.db"))
        self.datastores.append(datastore)
        recorder = SQLiteRecorder(datastore, events_table_name="stored_events")
        recorder.create_table()
        return recorder
