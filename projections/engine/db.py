"""The read side's small database layer: SQLite (sqlite3, WAL) or PostgreSQL (psycopg 3).

Read models are declared as ``Table`` specs with logical column types; this module renders them
for either database and offers the few bulk operations projections need (load by keys, upsert,
append, delete), so projection code never branches on the database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from hashlib import blake2b
from typing import Any, Literal
from uuid import UUID

import orjson

Dialect = Literal["sqlite", "postgresql"]
ColumnType = Literal["id", "text", "int", "bool", "date", "ts", "json"]

_DDL: dict[Dialect, dict[ColumnType, str]] = {
    "sqlite": {
        "id": "TEXT",
        "text": "TEXT",
        "int": "INTEGER",
        "bool": "INTEGER",
        "date": "TEXT",
        "ts": "TEXT",
        "json": "TEXT",
    },
    "postgresql": {
        "id": "uuid",
        "text": "text",
        "int": "bigint",
        "bool": "boolean",
        "date": "date",
        "ts": "timestamptz",
        "json": "jsonb",
    },
}
# SQLite stores everything as text or integers; its chunks stay under the variable limit.
SQLITE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class Table:
    """One read-model table: its columns, primary key and the indexes its queries need.

    ``name`` is logical; the physical table is ``rm_<name>_v<generation>`` and, for public
    tables, the stable view ``rm_<name>`` points at the live generation.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    public: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def physical(self, generation: int) -> str:
        return f"rm_{self.name}_v{generation}"

    @property
    def view(self) -> str:
        return f"rm_{self.name}"


def normalize_ts(value: str | datetime) -> str:
    """A timestamp as UTC ISO-8601 with microseconds, so text order is time order."""
    if isinstance(value, str):
        # Fast paths for what events carry: UTC, with or without microseconds.
        if value.endswith("+00:00"):
            if len(value) == 32:
                return value
            if len(value) == 25:
                return f"{value[:19]}.000000+00:00"
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def pg_value(type_: ColumnType, value: Any) -> Any:
    return orjson.dumps(value).decode() if type_ == "json" and value is not None else value


def sqlite_value(type_: ColumnType, value: Any) -> Any:
    if value is None:
        return None
    if type_ == "json":
        return orjson.dumps(value).decode()
    if type_ == "bool":
        return int(value)
    return value


def pg_text(value: Any) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    return value if isinstance(value, str) else str(value)


def working(type_: ColumnType, value: Any) -> Any:
    """A stored value as projection code handles it: ids, dates and times as text."""
    if value is None:
        return None
    if type_ == "id":
        return str(value)
    if type_ == "date":
        return value.isoformat() if isinstance(value, date) else value
    if type_ == "ts":
        return normalize_ts(value)
    if type_ == "json":
        return orjson.loads(value) if isinstance(value, str | bytes) else value
    if type_ == "bool":
        return bool(value)
    return value


def typed(type_: ColumnType, value: Any) -> Any:
    """A stored value as query functions return it: UUID, date, datetime, parsed JSON."""
    if value is None:
        return None
    if type_ == "id":
        return value if isinstance(value, UUID) else UUID(value)
    if type_ == "date":
        return value if isinstance(value, date) else date.fromisoformat(value)
    if type_ == "ts":
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return working(type_, value)


def canonical(type_: ColumnType, value: Any) -> str:
    """One text form per value on both databases, for checksums."""
    v = working(type_, value)
    if type_ == "json":
        return orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode()
    return "\x00" if v is None else str(v)


class Tx(ABC):
    """One open transaction. SQL uses ``?`` placeholders on both databases."""

    dialect: Dialect

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""

    @abstractmethod
    def query(
        self, sql: str, params: Sequence[Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        """Rows of a query; ``binary`` asks PostgreSQL for its binary format (bytea
        arrives as it is stored instead of hex text to decode)."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def insert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """Append rows given as working values in column order."""

    @abstractmethod
    def upsert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """Insert or replace whole rows (working values in column order) by primary key."""

    @abstractmethod
    def select_in(
        self, table: Table, name: str, column: str, values: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        """Rows whose ``column`` is one of ``values``, as stored (ids may come as text)."""

    def lock(self, key: str) -> None:  # noqa: ARG002 - SQLite: BEGIN IMMEDIATE serialises
        """Hold the lock named ``key`` until this transaction ends (serialises DDL)."""
        return None

    def param(self, type_: ColumnType, value: Any) -> Any:
        """A query parameter (UUID, date, datetime...) as this database compares it."""
        if value is None or self.dialect == "postgresql":
            return value
        if type_ == "ts":
            return normalize_ts(value)
        if type_ in ("id", "date"):
            return str(value) if not isinstance(value, date) else value.isoformat()
        return sqlite_value(type_, value)

    def in_list(
        self, column: str, type_: ColumnType, values: Sequence[Any]
    ) -> tuple[str, list[Any]]:
        """``column IN values`` as SQL and parameters."""
        if self.dialect == "postgresql":
            cast = _DDL["postgresql"][type_]
            if type_ in ("id", "int", "date"):
                # One comma-separated text is far cheaper to send than an array parameter.
                joined = ",".join(pg_text(v) for v in values)
                return f"{column} = ANY(string_to_array(?, ',')::{cast}[])", [joined]
            return f"{column} = ANY(?::text[]::{cast}[])", [[pg_text(v) for v in values]]
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def delete_in(
        self,
        table: Table,  # noqa: ARG002 - PostgreSQL's needs the column's type
        name: str,
        column: str,
        values: Sequence[Any],
    ) -> None:
        for chunk in chunks(values, SQLITE_CHUNK):
            marks = ",".join("?" * len(chunk))
            self.execute(f"DELETE FROM {name} WHERE {column} IN ({marks})", chunk)


def chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


class Database(ABC):
    """A read-model database: connections, transactions and per-projection locks."""

    dialect: Dialect
    url: str

    @abstractmethod
    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """A transaction that commits on success and rolls back on error."""

    @abstractmethod
    @contextmanager
    def locked(self, *keys: str) -> Iterator[bool]:
        """Try to hold every lock named in ``keys``; yields whether this caller got them all."""

    def read_once(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One read-only statement on its own: no explicit transaction where the database
        does not need one (PostgreSQL: one round trip, not four)."""
        with self.transaction(write=False) as tx:
            return tx.query(sql, params)

    @abstractmethod
    def close(self) -> None: ...

    def reclaim(self) -> None:  # noqa: B027 - PostgreSQL: nothing to do here
        """Leave no old copy of changed rows in the database's own files where this process
        can (SQLite's write-ahead log); PostgreSQL's are its server's, vacuumed by it."""

    def ddl_type(self, type_: ColumnType) -> str:
        return _DDL[self.dialect][type_]


def lock_id(key: str) -> int:
    """A stable signed 64-bit number for an advisory lock name."""
    return int.from_bytes(blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


__all__ = [
    "Column",
    "Database",
    "Table",
    "Tx",
    "canonical",
    "lock_id",
    "normalize_ts",
    "typed",
]
