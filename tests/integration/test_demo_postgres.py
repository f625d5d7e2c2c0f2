"""The demo into a real PostgreSQL database: every staged event lands, in the same order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TypedDict

import orjson
import psycopg
import pytest

from appraisals import demo
from appraisals.wiring import build_store
from commands.store import EventStoreApp
from config.settings import Settings
from events import codec
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh database of its own, dropped afterwards."""
    url = create_database("appraisals_demo_test")
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[EventStoreApp]:
    store = build_store(Settings(database_url=pg_url))
    try:
        yield store
    finally:
        store.close()


def stream(store: EventStoreApp) -> list[tuple[str, int, bytes]]:
    head = store.recorder.max_notification_id() or 0
    notes = store.recorder.select_notifications(1, head)
    return [(n.topic, n.originator_version, bytes(n.state)) for n in notes]


def rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM appraisals_events").fetchone()
    assert row is not None
    return int(row[0])


class Size(TypedDict, total=False):
    schools: int
    staff: int
    chunk_staff: int


ONE_CHUNK: Size = {"schools": 2, "staff": 40}
CHUNKED: Size = {"schools": 4, "staff": 84, "chunk_staff": 20}


@pytest.mark.parametrize("size", [ONE_CHUNK, CHUNKED], ids=["one-chunk", "chunked"])
def test_the_demo_lands_in_postgresql_whole_and_in_the_staged_order(
    size: Size, pg_url: str, pg_store: EventStoreApp
) -> None:
    # Byte for byte: both written plain (sealed bytes differ by their nonces; the sealing
    # of the demo is tested in tests/unit/test_demo.py and tests/integration/privacy).
    previous = codec.install_keyring(None)
    try:
        summary = demo.generate(pg_store, seed=7, **size)
        staged = build_store(Settings(database_url="sqlite:///:memory:"), own_keys=False)
        staged_summary = demo.generate(staged, seed=7, **size)
    finally:
        codec.install_keyring(previous)

    assert rows(pg_url) == summary.events == staged_summary.events
    written = stream(pg_store)
    assert written == stream(staged)
    times = [datetime.fromisoformat(orjson.loads(state)["timestamp"]) for *_, state in written]
    assert times == sorted(times)
