"""Read-model queries on a PostgreSQL streaming replica, read-your-writes kept.

``ReadReplica`` holds the replica's pool and what is known of it (answering, how far behind);
``ReadReplica.for_request(min_position)`` gives one request a ``Database`` whose read-only
transactions run on the replica when that is safe and on the primary otherwise:

- without ``min_position``: the replica, unless it is down, not a replica, or its read models
  are more than ``max_lag_seconds`` behind the primary's;
- with ``min_position`` (the caller's own write, already applied on the primary by
  ``api.reading.fresh``): the replica once its read models have replayed that position,
  waiting up to ``wait_seconds``; past that, the primary. A stale answer is never given to a
  caller who named its write.

Write transactions and locks always go to the primary, whatever the request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from projections.engine import registry
from projections.engine.core import REGISTRY
from projections.engine.db import Database, Dialect, Tx
from projections.engine.db_postgres import PostgresDatabase, _configure, libpq_params

log = logging.getLogger(__name__)

ReplicaState = Literal["ok", "lagging", "unavailable", "not_a_replica"]
Source = Literal["replica", "primary"]
# What a replica that stopped answering raises.
DOWN = (psycopg.OperationalError, PoolTimeout)
# Seconds to connect to the replica, and to wait for a connection from its pool, before
# giving up on it (reads then go to the primary).
CONNECT_TIMEOUT = 2
POOL_TIMEOUT = 1.0


@dataclass(frozen=True, slots=True)
class ReplicaStatus:
    """The replica as last checked. ``lag_events``: how many log positions its read models
    are behind the primary's (the most behind one); ``lag_seconds``: how old its newest
    replayed transaction is while it is behind (0 when level); ``lag_bytes``: WAL not yet
    replayed (the whole cluster's, not only this database's)."""

    state: ReplicaState
    lag_events: int | None = None
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    replay_paused: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "lag_events": self.lag_events,
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
            "lag_bytes": self.lag_bytes,
            "replay_paused": self.replay_paused,
        }


class ReplicaDatabase(PostgresDatabase):
    """The replica's pool: opened without waiting, short timeouts, each connection checked
    as it is handed out (a restarted replica leaves broken ones behind)."""

    def __init__(self, url: str, *, pool_size: int) -> None:
        self.url = url
        params = libpq_params(url)
        params.setdefault("connect_timeout", str(CONNECT_TIMEOUT))
        self.conninfo = psycopg.conninfo.make_conninfo("", **params)
        self._pool = ConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=pool_size,
            open=False,
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=POOL_TIMEOUT,
        )
        self._opened = False
        self._guard = threading.Lock()

    def _open(self) -> None:
        with self._guard:
            if not self._opened:
                self._pool.open(wait=False)
                self._opened = True


def lsn(text: str | None) -> int | None:
    """A WAL location ``'16/B374D848'`` as a number of bytes."""
    if text is None:
        return None
    high, low = str(text).split("/")
    return (int(high, 16) << 32) + int(low, 16)


class ReadReplica:
    """A streaming replica of the primary's database, and where each read should go."""

    def __init__(
        self,
        primary: Database,
        url: str,
        *,
        pool_size: int = 4,
        max_lag_seconds: float = 30.0,
        wait_seconds: float = 0.5,
        retry_seconds: float = 5.0,
        check_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.db = ReplicaDatabase(url, pool_size=pool_size)
        self.max_lag_seconds = max_lag_seconds
        self.wait_seconds = wait_seconds
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self._clock = clock
        self._down_until = 0.0
        self._status = ReplicaStatus("unavailable")
        self._checked_at = -float("inf")
        self._checking = threading.Lock()
        self._probe: psycopg.Connection[tuple[Any, ...]] | None = None
        self._count_guard = threading.Lock()
        # Read transactions served by each side since the process started.
        self.served: dict[Source, int] = {"replica": 0, "primary": 0}

    def close(self) -> None:
        with self._checking:
            if self._probe is not None:
                self._probe.close()
        self.db.close()

    def for_request(self, min_position: int | None) -> Database:
        """The read-model database of one request (decides on its first read)."""
        return RoutedReads(self, min_position)

    # -- what is known of the replica -------------------------------------------------------

    def mark_down(self, error: BaseException) -> None:
        if self._clock() >= self._down_until:
            log.warning(
                "read replica not answering (%s); queries read the primary for %g s",
                type(error).__name__,
                self.retry_seconds,
            )
        self._down_until = self._clock() + self.retry_seconds
        self._status = ReplicaStatus("unavailable")
        self._checked_at = self._clock()

    def status(self, *, fresh: bool = False) -> ReplicaStatus:
        """The replica's state and lag, checked at most every ``check_seconds`` (or now)."""
        now = self._clock()
        due = fresh or now - self._checked_at >= self.check_seconds
        # One thread re-checks; the others use the last answer meanwhile.
        if due and now >= self._down_until and self._checking.acquire(blocking=fresh):
            try:
                self._status = self._check()
                self._checked_at = self._clock()
            finally:
                self._checking.release()
        elif fresh and now < self._down_until:
            self._status = ReplicaStatus("unavailable")
        return self._status

    def _check(self) -> ReplicaStatus:
        with self.primary.transaction(write=False) as tx:
            primary_lsn = lsn(tx.query("SELECT pg_current_wal_lsn()::text")[0][0])
            primary_positions = _positions(tx)
        try:
            recovering, replayed, paused, age, replica_positions = self._probe_replica()
        except psycopg.Error as e:
            if self._probe is not None:
                self._probe.close()
                self._probe = None
            self.mark_down(e)
            return self._status
        if not recovering:
            # A promoted replica, or a URL naming another server: its data may differ.
            return ReplicaStatus("not_a_replica")
        behind = max(
            (p - replica_positions.get(n, 0) for n, p in primary_positions.items()), default=0
        )
        behind = max(behind, 0)
        replayed_at = lsn(replayed)
        lag_bytes = max(primary_lsn - replayed_at, 0) if primary_lsn and replayed_at else None
        # Level with the primary: no lag, however long ago the last transaction was.
        seconds = (float(age) if age is not None else None) if behind else 0.0
        lagging = seconds is not None and seconds > self.max_lag_seconds
        state: ReplicaState = "lagging" if lagging else "ok"
        return ReplicaStatus(state, behind, seconds, lag_bytes, bool(paused))

    def _probe_replica(self) -> tuple[bool, str | None, bool | None, Any, dict[str, int]]:
        """The replica's own account, on a connection of its own: a refused connection fails
        at once, where the pool would wait for its timeout."""
        if self._probe is None or self._probe.closed:
            self._probe = psycopg.connect(self.db.conninfo, autocommit=True)
        row = self._probe.execute(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
            "CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END, "
            "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
        ).fetchone()
        assert row is not None
        recovering = bool(row[0])
        positions = (
            {str(n): int(p) for n, p in self._probe.execute(POSITIONS).fetchall()}
            if recovering
            else {}
        )
        return recovering, row[1], row[2], row[3], positions

    def usable(self) -> bool:
        return self._clock() >= self._down_until and self.status().state == "ok"

    def reached(self, position: int) -> bool:
        """Whether the replica's read models include ``position`` (or, for any the primary's
        has not reached it with, as much as the primary's), waiting up to ``wait_seconds``."""
        try:
            with self.db.transaction(write=False) as tx:
                mine = _positions(tx)
            if mine and min(mine.values()) >= position:
                return True
            # Each read model as far as the primary's has got, up to the position: never
            # staler than the primary was when asked.
            with self.primary.transaction(write=False) as tx:
                needed = {n: min(p, position) for n, p in _positions(tx).items()}
            wait = 0.0 if self.status().replay_paused else self.wait_seconds
            deadline = self._clock() + wait
            pause = 0.005
            while True:
                if all(mine.get(n, 0) >= p for n, p in needed.items()):
                    return True
                if self._clock() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
                with self.db.transaction(write=False) as tx:
                    mine = _positions(tx)
        except DOWN as e:
            self.mark_down(e)
            return False

    def count(self, source: Source) -> None:
        with self._count_guard:
            self.served[source] += 1


POSITIONS = f"SELECT name, position FROM {REGISTRY} WHERE state = '{registry.LIVE}'"


def _positions(tx: Tx) -> dict[str, int]:
    return {str(n): int(p) for n, p in tx.query(POSITIONS)}


class RoutedReads(Database):
    """One request's read-model database: read-only transactions on the replica when it has
    what the caller asked for, everything else on the primary."""

    dialect: Dialect = "postgresql"

    def __init__(self, replica: ReadReplica, min_position: int | None) -> None:
        self._replica = replica
        self._min_position = min_position
        self._source: Source | None = None
        self.url = replica.primary.url

    @property
    def source(self) -> Source | None:
        """Where this request's reads went (None before its first read)."""
        return self._source

    def _choose(self) -> Source:
        replica = self._replica
        if not replica.usable():
            return "primary"
        if self._min_position is None or replica.reached(self._min_position):
            return "replica"
        return "primary"

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        if write:
            with self._replica.primary.transaction() as tx:
                yield tx
            return
        if self._source is None:
            self._source = self._choose()
        if self._source == "replica":
            stack = ExitStack()
            try:
                tx = stack.enter_context(self._replica.db.transaction(write=False))
            except DOWN as e:
                self._replica.mark_down(e)
                self._source = "primary"
            else:
                self._replica.count("replica")
                with stack:
                    yield tx
                return
        self._replica.count("primary")
        with self._replica.primary.transaction(write=False) as tx:
            yield tx

    @contextmanager
    def locked(self, *keys: str) -> Iterator[bool]:
        with self._replica.primary.locked(*keys) as got:
            yield got

    def close(self) -> None:
        """Nothing of its own: the pools belong to the container."""
