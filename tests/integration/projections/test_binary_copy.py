"""Rows written by binary COPY (PostgreSQL's insert and upsert) read back as the same values as
SQLite stores them: every logical column type, the working values projections hand over (ids,
dates and times as text, JSON as Python values), and NULLs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.engine.connection import connect
from projections.engine.db import Column, Database, Table, canonical
from tests.integration.projections.conftest import PgStore

pytestmark = pytest.mark.integration

TABLE = Table(
    "binary_copy",
    (
        Column("id", "id", nullable=False),
        Column("other", "id"),
        Column("label", "text"),
        Column("count", "int"),
        Column("flag", "bool"),
        Column("on_day", "date"),
        Column("at", "ts"),
        Column("data", "json"),
    ),
    key=("id",),
)
NAME = TABLE.physical(1)


def create(db: Database) -> None:
    cols = ", ".join(f"{c.name} {db.ddl_type(c.type)}" for c in TABLE.columns)
    with db.transaction() as tx:
        tx.execute(f"CREATE TABLE {NAME} ({cols}, PRIMARY KEY (id))")


def stored(db: Database) -> list[list[str]]:
    """Every row, each value in the one text form both databases agree on (checksums')."""
    with db.transaction(write=False) as tx:
        rows = tx.query(f"SELECT {','.join(TABLE.column_names)} FROM {NAME}")
    types = [c.type for c in TABLE.columns]
    return sorted([canonical(t, v) for t, v in zip(types, row, strict=True)] for row in rows)


def row(n: int, **values: Any) -> tuple[Any, ...]:
    base: dict[str, Any] = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "other": None,
        "label": None,
        "count": None,
        "flag": None,
        "on_day": None,
        "at": None,
        "data": None,
    }
    base.update(values)
    return tuple(base[c] for c in TABLE.column_names)


ROWS = [
    row(1),  # NULL in every nullable column
    row(
        2,
        other="6f1c2f7e-3c1d-4c8e-9a51-0d5f3c2b1a00",
        label="Année 7 — maths ✓",
        count=-(2**62),
        flag=True,
        on_day="2025-09-01",
        at="2025-09-01T09:00:00.123456+00:00",
        data={"nested": [1, 2.5, None, "é"], "ok": True},
    ),
    row(
        3,
        other="6f1c2f7e-3c1d-4c8e-9a51-0d5f3c2b1a01",
        label="",
        count=0,
        flag=False,
        on_day="1999-12-31",  # before PostgreSQL's epoch
        at="2025-09-01T09:00:00+00:00",  # no microseconds
        data=[],
    ),
    row(
        4,
        flag=1,  # a truthy int, as SQLite hands booleans back
        at="2026-03-29T01:30:00+01:00",  # another offset: the same instant in UTC
        on_day="2026-02-28",
        data="a bare string",
    ),
    row(5, at="2024-02-29T23:59:59.999999-05:00"),
    row(6, at="2025-01-01T00:00:00", data={}),  # no zone: read as UTC, as normalize_ts reads it
    row(7, at="1970-01-01T00:00:00Z", count=2**63 - 1),
]


@pytest.fixture
def databases(pg_store: PgStore, tmp_path: Path) -> Any:
    pg, lite = connect(pg_store.url), connect(f"sqlite:///{tmp_path / 'rm.db'}")
    for db in (pg, lite):
        create(db)
    yield pg, lite
    pg.close()
    lite.close()


def test_inserted_rows_read_back_as_sqlite_stores_them(databases: Any) -> None:
    pg, lite = databases
    for db in (pg, lite):
        with db.transaction() as tx:
            tx.insert(TABLE, NAME, ROWS)
    assert stored(pg) == stored(lite)
    assert len(stored(pg)) == len(ROWS)


def test_upserted_rows_replace_whole_rows_on_both(databases: Any) -> None:
    pg, lite = databases
    changed = [row(2, label="changed", at="2025-10-01T10:00:00.5+00:00"), row(8, flag=True)]
    for db in (pg, lite):
        with db.transaction() as tx:
            tx.upsert(TABLE, NAME, ROWS)
        with db.transaction() as tx:
            tx.upsert(TABLE, NAME, changed)
    assert stored(pg) == stored(lite)
    labels = {r[0]: r[2] for r in stored(pg)}
    assert labels["00000000-0000-4000-8000-000000000002"] == "changed"
    assert len(labels) == len(ROWS) + 1


timestamps = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(st.characters(min_codepoint=1, codec="utf-8")),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(st.characters(min_codepoint=1, codec="utf-8"), max_size=5),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(min_codepoint=1, codec="utf-8")) | st.none(),
            st.integers(-(2**63), 2**63 - 1) | st.none(),
            st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)) | st.none(),
            timestamps | st.none(),
            json_values,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_any_values_agree_with_sqlite(databases: Any, values: list[tuple[Any, ...]]) -> None:
    pg, lite = databases
    rows = [
        row(
            i,
            label=label,
            count=count,
            on_day=None if day is None else day.isoformat(),
            at=None if at is None else at.isoformat(timespec="microseconds"),
            data=data,
        )
        for i, (label, count, day, at, data) in enumerate(values)
    ]
    for db in (pg, lite):
        with db.transaction() as tx:
            tx.execute(f"DELETE FROM {NAME}")
            tx.insert(TABLE, NAME, rows)
    assert stored(pg) == stored(lite)
