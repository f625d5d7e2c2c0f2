"""PostgreSQL for read models: psycopg 3 with a connection pool and advisory locks."""

from __future__ import annotations

import os
import struct
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson
import psycopg
from psycopg.adapt import Buffer, Dumper
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.postgres import types as builtin_types
from psycopg.pq import Format
from psycopg.rows import tuple_row
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool

from projections.engine.db import ColumnType, Database, Dialect, Table, Tx, lock_id

# Rows deleted from each staging table of a connection since it was last truncated.
_STAGED: weakref.WeakKeyDictionary[psycopg.Connection[Any], dict[str, int]] = (
    weakref.WeakKeyDictionary()
)
_TRUNCATE_STAGE_AT = 20_000


# Binary COPY (rebuilds write most rows this way): each value sent in PostgreSQL's own binary
# form, so the server parses nothing and a row is about half the bytes of its text form.
# Projections hand over working values (ids, dates and times as ISO text, JSON as Python
# objects); these dumpers turn them into the binary forms directly. Text, bigint and boolean
# use psycopg's own (C) binary dumpers.
_PG_EPOCH_DAYS = date(2000, 1, 1).toordinal()
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_int4 = struct.Struct("!i").pack
_int8 = struct.Struct("!q").pack
# The binary forms of ids and ISO times already dumped in this process, each memo bounded
# (cleared when full: a hit saves the parse, a miss costs one dict lookup).
_ID_BYTES: dict[Any, bytes] = {}
_TS_BYTES: dict[Any, bytes] = {}
_MEMO_MAX = 65_536


class _IdDumper(Dumper):
    format = Format.BINARY
    oid = builtin_types["uuid"].oid

    def dump(self, obj: Any) -> Buffer:
        # The same ids recur in row after row (a person's, a school's, a cycle's): remembered.
        found = _ID_BYTES.get(obj)
        if found is None:
            if isinstance(obj, UUID):
                return obj.bytes
            found = UUID(obj).bytes if len(obj) != 36 else bytes.fromhex(obj.replace("-", ""))
            if len(_ID_BYTES) >= _MEMO_MAX:
                _ID_BYTES.clear()
            _ID_BYTES[obj] = found
        return found


class _DateDumper(Dumper):
    format = Format.BINARY
    oid = builtin_types["date"].oid

    def dump(self, obj: Any) -> Buffer:
        if isinstance(obj, str):
            obj = date.fromisoformat(obj[:10])
        return _int4(obj.toordinal() - _PG_EPOCH_DAYS)


class _TsDumper(Dumper):
    format = Format.BINARY
    oid = builtin_types["timestamptz"].oid

    def dump(self, obj: Any) -> Buffer:
        # An event's time recurs in every row the event writes (and rows rewritten page after
        # page keep theirs): remembered, as ids are.
        found = _TS_BYTES.get(obj)
        if found is None:
            found = _ts_bytes(obj)
            if isinstance(obj, str):
                if len(_TS_BYTES) >= _MEMO_MAX:
                    _TS_BYTES.clear()
                _TS_BYTES[obj] = found
        return found


def _ts_bytes(obj: str | datetime) -> bytes:
    if isinstance(obj, str):
        obj = datetime.fromisoformat(obj)
    if obj.tzinfo is None:  # as normalize_ts reads it: UTC
        obj = obj.replace(tzinfo=UTC)
    delta = obj - _PG_EPOCH
    return _int8((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


class _JsonDumper(Dumper):
    format = Format.BINARY
    oid = builtin_types["jsonb"].oid

    def dump(self, obj: Any) -> Buffer:
        return b"\x01" + orjson.dumps(obj)  # jsonb's binary form: version 1, then the text


# The PostgreSQL type of each logical column type in a binary COPY, and the dumpers of the
# ones whose working values psycopg's own dumpers do not take.
_COPY_TYPES: dict[ColumnType, str] = {
    "id": "uuid",
    "text": "text",
    "int": "int8",
    "bool": "bool",
    "date": "date",
    "ts": "timestamptz",
    "json": "jsonb",
}
_COPY_DUMPERS = (_IdDumper, _DateDumper, _TsDumper, _JsonDumper)


class _PgTx(Tx):
    dialect: Dialect = "postgresql"

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self._conn = conn
        self._cur = conn.cursor(row_factory=tuple_row)
        self._text_ids: psycopg.Cursor[tuple[Any, ...]] | None = None
        self._copier: psycopg.Cursor[tuple[Any, ...]] | None = None

    def _ids_as_text(self) -> psycopg.Cursor[tuple[Any, ...]]:
        # Working sets keep ids as text: reading them so skips a UUID object per value.
        if self._text_ids is None:
            self._text_ids = self._conn.cursor(row_factory=tuple_row)
            self._text_ids.adapters.register_loader("uuid", TextLoader)
        return self._text_ids

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cur.execute(sql.replace("?", "%s"), params or None)
        return self._cur.rowcount

    def query(
        self, sql: str, params: Sequence[Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        self._cur.execute(sql.replace("?", "%s"), params or None, binary=binary)
        return self._cur.fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(sql.replace("?", "%s"), rows)

    def _binary_copier(self) -> psycopg.Cursor[tuple[Any, ...]]:
        # A cursor of its own: its dumpers take working values (only COPY looks them up).
        if self._copier is None:
            self._copier = self._conn.cursor(row_factory=tuple_row)
            for dumper in _COPY_DUMPERS:
                self._copier.adapters.register_dumper(None, dumper)
        return self._copier

    def insert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cur = self._binary_copier()
        sql = f"COPY {name} ({','.join(table.column_names)}) FROM STDIN (FORMAT BINARY)"
        with cur.copy(sql) as cp:
            cp.set_types([_COPY_TYPES[c.type] for c in table.columns])
            write = cp.write_row
            for r in rows:
                write(r)

    def upsert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        # COPY into a session-local staging table, then one INSERT ... ON CONFLICT: the
        # fastest way to write thousands of rows from Python (no per-value quoting).
        stage = f"stage_{name}"
        self._cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {name})")
        self.insert(table, stage, rows)
        cols = table.column_names
        updates = ",".join(f"{c}=EXCLUDED.{c}" for c in cols if c not in table.key)
        conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        self._cur.execute(
            f"INSERT INTO {name} ({','.join(cols)}) SELECT {','.join(cols)} FROM {stage} "
            f"ON CONFLICT ({','.join(table.key)}) {conflict}"
        )
        # Emptied by DELETE (cheap), and now and then by TRUNCATE: nothing vacuums a temporary
        # table, so deleted rows would pile up and every later upsert would scan them.
        dead = _STAGED.setdefault(self._conn, {})
        dead[stage] = dead.get(stage, 0) + len(rows)
        if dead[stage] >= _TRUNCATE_STAGE_AT:
            self._cur.execute(f"TRUNCATE {stage}")
            dead[stage] = 0
        else:
            self._cur.execute(f"DELETE FROM {stage}")

    def select_in(
        self, table: Table, name: str, column: str, values: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        where, params = self.in_list(column, table.column(column).type, values)
        cur = self._ids_as_text()
        cur.execute(
            f"SELECT {','.join(table.column_names)} FROM {name} WHERE {where}".replace("?", "%s"),
            params,
        )
        return cur.fetchall()

    def lock(self, key: str) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?)", [lock_id(key)])

    def delete_in(self, table: Table, name: str, column: str, values: Sequence[Any]) -> None:
        where, params = self.in_list(column, table.column(column).type, values)
        self.execute(f"DELETE FROM {name} WHERE {where}", params)


# What an incomplete URL means here, unless libpq's own PG* variables say otherwise.
_DEFAULTS = {
    "host": ("PGHOST", "127.0.0.1"),
    "user": ("PGUSER", "postgres"),
    "dbname": ("PGDATABASE", "appraisals"),
}


def libpq_params(url: str) -> dict[str, str]:
    """Every connection parameter of a ``postgresql://`` URL, parsed by libpq's rules (psycopg).

    TLS (``sslmode``, ``sslrootcert``, ``sslcert`` ...), ``application_name``, Unix-socket hosts
    (``?host=/run/postgresql``), several hosts, ``target_session_attrs``, ``options``: whatever
    libpq accepts reaches both the event store and the read models. An unknown parameter is a
    ``ValueError`` naming it.
    """
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    except psycopg.ProgrammingError as e:
        raise ValueError(f"APPRAISALS_DATABASE_URL is not a valid PostgreSQL URL: {e}") from None
    for key, (variable, default) in _DEFAULTS.items():
        params.setdefault(key, os.environ.get(variable, default))
    return params


def libpq_conninfo(url: str) -> str:
    """The URL as a libpq conninfo string, with this project's defaults filled in."""
    return make_conninfo("", **libpq_params(url))


def redacted(url: str) -> str:
    """The URL with any password replaced by ``***`` (for logs and banners)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<invalid database URL>"
    if "password" in params:
        params["password"] = "***"
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


class PostgresDatabase(Database):
    """PostgreSQL through a psycopg connection pool; locks are session advisory locks."""

    dialect: Dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        self.url = url
        self.conninfo = libpq_conninfo(url)
        self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=pool_size,
            open=False,
            configure=_configure,
            timeout=30.0,
        )
        self._opened = False
        self._guard = threading.Lock()

    def _open(self) -> None:
        with self._guard:
            if not self._opened:
                self._pool.open(wait=True, timeout=30.0)
                self._opened = True

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        self._open()
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        with self.connection() as conn, conn.transaction():
            if not write:
                conn.execute("SET TRANSACTION READ ONLY")
            yield _PgTx(conn)

    def read_once(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # The pool's connections are in autocommit: the statement is its own transaction.
        with self.connection() as conn:
            return conn.execute(sql.replace("?", "%s"), params or None).fetchall()

    @contextmanager
    def locked(self, *keys: str) -> Iterator[bool]:
        # Session locks on a connection held for the whole run: released when the run ends
        # or, if the worker dies, when PostgreSQL notices that its connection is gone.
        with self.connection() as conn:
            held: list[int] = []
            for key in keys:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_id(key),)).fetchone()
                if not (row and row[0]):
                    break
                held.append(lock_id(key))
            try:
                yield len(held) == len(keys)
            finally:
                for number in held:
                    if not conn.closed:
                        conn.execute("SELECT pg_advisory_unlock(%s)", (number,))

    def close(self) -> None:
        self._pool.close()


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.autocommit = True
    # JSON arrives as text and is parsed by the same code (orjson) as on SQLite.
    conn.adapters.register_loader("jsonb", TextLoader)
