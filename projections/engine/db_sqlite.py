"""SQLite for read models: sqlite3 in WAL mode, one connection per thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from projections.engine.db import SQLITE_CHUNK, Database, Dialect, Table, Tx, chunks, sqlite_value


class _SQLiteTx(Tx):
    dialect: Dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def query(
        self,
        sql: str,
        params: Sequence[Any] = (),
        *,
        binary: bool = False,  # noqa: ARG002 - SQLite has one format
    ) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def _encoded(self, table: Table, rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
        types = [c.type for c in table.columns]
        needs = [i for i, t in enumerate(types) if t in ("json", "bool")]
        if not needs:
            return [list(r) for r in rows]
        out = []
        for r in rows:
            row = list(r)
            for i in needs:
                row[i] = sqlite_value(types[i], row[i])
            out.append(row)
        return out

    def insert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        cols = table.column_names
        sql = f"INSERT INTO {name} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})"
        self._conn.executemany(sql, self._encoded(table, rows))

    def upsert(self, table: Table, name: str, rows: Sequence[Sequence[Any]]) -> None:
        cols = table.column_names
        sql = (
            f"INSERT OR REPLACE INTO {name} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})"
        )
        self._conn.executemany(sql, self._encoded(table, rows))

    def select_in(
        self, table: Table, name: str, column: str, values: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        cols = ",".join(table.column_names)
        for chunk in chunks(values, SQLITE_CHUNK):
            marks = ",".join("?" * len(chunk))
            out += self.query(f"SELECT {cols} FROM {name} WHERE {column} IN ({marks})", chunk)
        return out


class SQLiteDatabase(Database):
    """SQLite in WAL mode: one connection per thread, since the event store's datastore keeps
    its own connections to the same file and readers must not share a writer's transaction."""

    dialect: Dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        path = url.removeprefix("sqlite://")
        self._path = path[1:] if path.startswith("/") else path
        self._memory = self._path in ("", ":memory:") or "mode=memory" in self._path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        # Connections inside a transaction right now, and those ``close`` found busy: closing
        # a connection while another thread is inside one of its statements crashes CPython's
        # sqlite3 (a use-after-free, seen as a segfault), so a busy one is closed by its own
        # thread when its transaction ends.
        self._busy: set[sqlite3.Connection] = set()
        self._doomed: set[sqlite3.Connection] = set()
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self._path or ":memory:",
                uri=self._path.startswith("file:"),
                isolation_level=None,
                check_same_thread=False,
                timeout=30.0,
            )
            if not self._memory:
                conn.execute("PRAGMA journal_mode=WAL")
                # Position and read model commit together, so NORMAL keeps them consistent;
                # a power cut can only lose the last batches, which are then re-applied.
                conn.execute("PRAGMA synchronous=NORMAL")
                # A replaced or deleted value is overwritten, not left in free space: an
                # erasure's scrub must leave no copy in the file (decision 261).
                conn.execute("PRAGMA secure_delete=ON")
            self._local.conn = conn
            with self._guard:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        conn = self._connection()
        with self._guard:
            self._busy.add(conn)
        try:
            # IMMEDIATE takes the write lock up front: a deferred transaction that later
            # writes fails with SQLITE_BUSY when the command side committed in between.
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SQLiteTx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            self._release(conn)

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._guard:
            self._busy.discard(conn)
            doomed = conn in self._doomed
            self._doomed.discard(conn)
        if doomed:
            conn.close()
            if getattr(self._local, "conn", None) is conn:
                del self._local.conn

    def reclaim(self) -> None:
        """Empty the write-ahead log into the file (it holds old copies of changed pages)."""
        if not self._memory:
            self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def locked(self, *keys: str) -> Iterator[bool]:
        # Within one process a lock per key; across processes the position's compare-and-set
        # in the batch transaction is what keeps a batch from being applied twice.
        with self._guard:
            locks = [self._locks.setdefault(k, threading.Lock()) for k in keys]
        held: list[threading.Lock] = []
        for lock in locks:
            if not lock.acquire(blocking=False):
                break
            held.append(lock)
        try:
            yield len(held) == len(locks)
        finally:
            for lock in held:
                lock.release()

    def close(self) -> None:
        """Close every idle connection now and each busy one when its transaction ends (by
        its own thread: see ``_busy``). The database opens new connections if used again."""
        with self._guard:
            for conn in self._all:
                if conn in self._busy:
                    self._doomed.add(conn)
                else:
                    conn.close()
            self._all.clear()
        self._local = threading.local()
