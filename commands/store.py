"""The event store: the eventsourcing application, our mapper, and recorders with idempotency.

Events are written by the library's application recorders (SQLite or PostgreSQL). Our
recorders add one thing inside the same transaction as the events: the idempotency record of
the command that produced them, so a retried command can never record twice.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    DatabaseError,
    IntegrityError,
    InterfaceError,
    Mapper,
    OperationalError,
    StoredEvent,
    Transcoder,
    Transcoding,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from commands.group_commit import GroupCommit
from events.base import DomainEvent
from events.codec import decode, encode

EVENTS_TABLE = "appraisals_events"
IDEMPOTENCY_TABLE = "appraisals_idempotency"


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What a command with an idempotency key recorded: enough to answer a retry."""

    key: str
    fingerprint: str
    aggregate_id: UUID
    version: int
    created_id: UUID | None = None
    # The position of the command's last event (recorded with it; None in older records).
    position: int | None = None


class _NoTranscoder(Transcoder):
    # Our mapper encodes whole events with events.codec; the library's transcoder is unused.
    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def register(self, transcoding: Transcoding) -> None:
        raise NotImplementedError


class EventMapper(Mapper[UUID]):
    """Maps pydantic events to stored records under their stable topics, upcasting on read."""

    def __init__(self) -> None:
        super().__init__(transcoder=_NoTranscoder())

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        event = cast(DomainEvent, domain_event)
        topic, state = encode(event)
        return StoredEvent(
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=topic,
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return decode(
            stored_event.topic,
            stored_event.state,
            stored_event.originator_id,
            stored_event.originator_version,
        )


class PostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, plus the idempotency record in the same transaction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pool = self.datastore.pool
        self._conninfo = str(pool.conninfo)
        given = pool.kwargs() if callable(pool.kwargs) else pool.kwargs
        self._connect_kwargs: dict[str, Any] = {
            k: v for k, v in (given or {}).items() if k not in ("autocommit", "row_factory")
        }
        # The one write connection: only the group commit's current writer uses it.
        self._cursor: psycopg.Cursor[tuple[Any, ...]] | None = None
        self._writer_lock = threading.Lock()
        schema = Identifier(self.datastore.schema)
        table = Identifier(IDEMPOTENCY_TABLE)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "key text PRIMARY KEY, fingerprint text NOT NULL, "
                "aggregate_id uuid NOT NULL, version bigint NOT NULL, created_id uuid, "
                "created_at timestamptz NOT NULL DEFAULT now())"
            ).format(schema=schema, table=table)
        )
        # The log position of the command's last event, so a retry answers the same position.
        self.sql_create_statements.append(
            SQL("ALTER TABLE {schema}.{table} ADD COLUMN IF NOT EXISTS position bigint").format(
                schema=schema, table=table
            )
        )
        self._select_idempotency = SQL(
            "SELECT key, fingerprint, aggregate_id, version, created_id, position "
            "FROM {schema}.{table} WHERE key = %s"
        ).format(schema=schema, table=table)
        self._create_record_function = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.appraisals_record_events("
            "ids uuid[], versions bigint[], topics text[], states bytea[], "
            "idem_key text, idem_fingerprint text, idem_aggregate uuid, idem_version bigint, "
            "idem_created uuid) "
            "RETURNS TABLE (notification_id bigint) LANGUAGE plpgsql AS $$ "
            "DECLARE positions bigint[]; "
            "BEGIN "
            "  SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "  LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE; "
            "  NOTIFY {channel}; "
            "  WITH ins AS (INSERT INTO {schema}.{events} AS t "
            "    (originator_id, originator_version, topic, state) "
            "    SELECT * FROM unnest(ids, versions, topics, states) "
            "    RETURNING t.notification_id) "
            "  SELECT array_agg(ins.notification_id ORDER BY ins.notification_id) "
            "  INTO positions FROM ins; "
            "  IF idem_key IS NOT NULL THEN "
            "    INSERT INTO {schema}.{table} "
            "    (key, fingerprint, aggregate_id, version, created_id, position) "
            "    VALUES (idem_key, idem_fingerprint, idem_aggregate, idem_version, idem_created, "
            "    positions[array_length(positions, 1)]); "
            "  END IF; "
            "  RETURN QUERY SELECT unnest(positions); "
            "END $$"
        ).format(
            schema=schema,
            table=table,
            events=Identifier(self.events_table_name),
            lock_timeout=self.datastore.lock_timeout,
            # The library's channel: its subscribe() LISTENs there (delivered on commit).
            channel=Identifier(self.channel_name),
        )
        self._call_record_function = SQL(
            "SELECT notification_id FROM {schema}.appraisals_record_events("
            "%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], "
            "%s::text, %s::text, %s::uuid, %s::bigint, %s::uuid)"
        ).format(schema=schema)
        # Most commands write one event: its fields go as scalars (psycopg's array dumpers
        # cost more client CPU than the rest of the call) and the server builds the arrays.
        self._call_record_one = SQL(
            "SELECT notification_id FROM {schema}.appraisals_record_events("
            "ARRAY[%s::uuid], ARRAY[%s::bigint], ARRAY[%s::text], ARRAY[%s::bytea], "
            "%s::text, %s::text, %s::uuid, %s::bigint, %s::uuid)"
        ).format(schema=schema)
        # Appends that queued together (commands/group_commit.py): one lock, one commit, and
        # each append in a block of its own, so one that conflicts fails alone.
        self._create_batch_function = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.appraisals_record_batch("
            "appends int[], ids uuid[], versions bigint[], topics text[], states bytea[], "
            "idem_keys text[], idem_fingerprints text[], idem_aggregates uuid[], "
            "idem_versions bigint[], idem_created uuid[]) "
            "RETURNS TABLE (append int, notification_id bigint, error_state text, "
            "error_message text) LANGUAGE plpgsql AS $$ "
            "DECLARE positions bigint[]; a int; "
            "BEGIN "
            "  SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "  LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE; "
            "  NOTIFY {channel}; "
            "  FOR a IN 1..array_length(idem_keys, 1) LOOP "
            "    BEGIN "
            "      WITH ins AS (INSERT INTO {schema}.{events} AS t "
            "        (originator_id, originator_version, topic, state) "
            "        SELECT u.i, u.v, u.tp, u.st "
            "        FROM unnest(appends, ids, versions, topics, states) AS u(q, i, v, tp, st) "
            "        WHERE u.q = a "
            "        RETURNING t.notification_id) "
            "      SELECT array_agg(ins.notification_id ORDER BY ins.notification_id) "
            "      INTO positions FROM ins; "
            "      IF idem_keys[a] IS NOT NULL THEN "
            "        INSERT INTO {schema}.{table} "
            "        (key, fingerprint, aggregate_id, version, created_id, position) "
            "        VALUES (idem_keys[a], idem_fingerprints[a], idem_aggregates[a], "
            "        idem_versions[a], idem_created[a], positions[array_length(positions, 1)]); "
            "      END IF; "
            "      RETURN QUERY SELECT a, p, NULL::text, NULL::text FROM unnest(positions) AS p; "
            "    EXCEPTION WHEN OTHERS THEN "
            "      RETURN QUERY SELECT a, NULL::bigint, SQLSTATE::text, SQLERRM::text; "
            "    END; "
            "  END LOOP; "
            "END $$"
        ).format(
            schema=schema,
            table=table,
            events=Identifier(self.events_table_name),
            lock_timeout=self.datastore.lock_timeout,
            channel=Identifier(self.channel_name),
        )
        self._call_batch_function = SQL(
            "SELECT append, notification_id, error_state, error_message "
            "FROM {schema}.appraisals_record_batch("
            "%s::int[], %s::uuid[], %s::bigint[], %s::text[], %s::bytea[], "
            "%s::text[], %s::text[], %s::uuid[], %s::bigint[], %s::uuid[])"
        ).format(schema=schema)
        self._group: GroupCommit[_Append, list[int]] = GroupCommit(self._write_appends)
        # The calls rendered to bytes once (by the first writer connection): a composed
        # statement is otherwise rendered again on every execute.
        self._call_bytes: tuple[bytes, bytes, bytes] | None = None
        self._select_positions = SQL(
            "SELECT originator_id, originator_version, notification_id FROM {schema}.{events} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema=schema, events=Identifier(self.events_table_name))

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._create_record_function)
            curs.execute(self._create_batch_function)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # Appends made at the same moment by this process's threads are written together
        # (commands/group_commit.py); a failure of the whole write is retried here.
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        return self._group.submit(_Append(stored_events, record))

    def _write_appends(self, appends: Sequence[_Append]) -> list[list[int] | Exception]:
        """Write appends in one round trip and one transaction: a server-side function locks
        the table (so positions are issued in commit order and readers never pass a gap),
        notifies the library's channel as its own insert function does, and inserts each
        append's events and idempotency record."""
        try:
            curs = self._writer()
            many, one, batch = self._calls(curs)
            if len(appends) == 1:
                query, params = self._one_append(appends[0], many, one)
            else:
                query, params = batch, _batch_params(appends)
            curs.execute(query, params, prepare=True)
            rows = curs.fetchall()
        except psycopg.IntegrityError as e:
            if len(appends) > 1:  # pragma: no cover - each append is isolated in the batch
                raise
            return [IntegrityError(str(e))]
        except (psycopg.OperationalError, psycopg.InterfaceError) as e:
            self._drop_writer()  # the retry opens a fresh connection
            raise OperationalError(str(e)) from e
        if len(appends) == 1:
            return [[row[0] for row in rows]]
        return _batch_outcomes(len(appends), rows)

    def _one_append(
        self, append: _Append, many: bytes, one: bytes
    ) -> tuple[bytes, tuple[Any, ...]]:
        record = append.idempotency
        idempotency = (
            (record.key, record.fingerprint, record.aggregate_id, record.version, record.created_id)
            if record
            else (None, None, None, None, None)
        )
        events = append.events
        if len(events) == 1:
            e = events[0]
            return one, (e.originator_id, e.originator_version, e.topic, e.state, *idempotency)
        return many, (
            [e.originator_id for e in events],
            [e.originator_version for e in events],
            [e.topic for e in events],
            [e.state for e in events],
            *idempotency,
        )

    def _writer(self) -> psycopg.Cursor[tuple[Any, ...]]:
        """The write connection (autocommit). Appends are the hot path: a connection of its
        own skips the pool's checkout and keeps the server's backend and its prepared
        statements warm. One is enough: the group commit writes one batch at a time (a
        connection per thread was left open by every pool thread that retired)."""
        with self._writer_lock:
            curs = self._cursor
            if curs is None or curs.connection.closed or curs.connection.broken:
                conn = psycopg.connect(self._conninfo, autocommit=True, **self._connect_kwargs)
                curs = self._cursor = conn.cursor(row_factory=tuple_row)
            return curs

    def _calls(self, curs: psycopg.Cursor[tuple[Any, ...]]) -> tuple[bytes, bytes, bytes]:
        if self._call_bytes is None:
            conn = curs.connection
            self._call_bytes = (
                self._call_record_function.as_bytes(conn),
                self._call_record_one.as_bytes(conn),
                self._call_batch_function.as_bytes(conn),
            )
        return self._call_bytes

    def _drop_writer(self) -> None:
        with self._writer_lock:
            curs, self._cursor = self._cursor, None
        if curs is not None:
            curs.connection.close()

    def close_writers(self) -> None:
        self._drop_writer()

    def find_idempotency(self, key: str) -> IdempotencyRecord | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_idempotency, (key,))
            row = curs.fetchone()
        if row is None:
            return None
        return IdempotencyRecord(
            row["key"],
            row["fingerprint"],
            row["aggregate_id"],
            int(row["version"]),
            row["created_id"],
            None if row["position"] is None else int(row["position"]),
        )

    def position_of(self, aggregate_id: UUID, version: int) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_positions, (aggregate_id, version))
            row = curs.fetchone()
        return None if row is None else int(row["notification_id"])


@dataclass(frozen=True, slots=True)
class _Append:
    """One ``insert_events`` call: its events and its command's idempotency record."""

    events: Sequence[StoredEvent]
    idempotency: IdempotencyRecord | None


def _batch_params(appends: Sequence[_Append]) -> tuple[list[Any], ...]:
    numbers, ids, versions, topics, states = [], [], [], [], []
    for n, append in enumerate(appends, 1):
        for e in append.events:
            numbers.append(n)
            ids.append(e.originator_id)
            versions.append(e.originator_version)
            topics.append(e.topic)
            states.append(e.state)
    records = [a.idempotency for a in appends]
    return (
        numbers,
        ids,
        versions,
        topics,
        states,
        [r.key if r else None for r in records],
        [r.fingerprint if r else None for r in records],
        [r.aggregate_id if r else None for r in records],
        [r.version if r else None for r in records],
        [r.created_id if r else None for r in records],
    )


def _batch_outcomes(count: int, rows: Sequence[tuple[Any, ...]]) -> list[list[int] | Exception]:
    """Each append's positions, or the error its block of the batch raised."""
    positions: list[list[int]] = [[] for _ in range(count)]
    failures: dict[int, Exception] = {}
    for append, position, state, message in rows:
        if state is None:
            positions[append - 1].append(int(position))
        else:
            # A broken key (a version or an idempotency key taken) is the conflict the
            # command service retries; anything else fails this append alone.
            error = IntegrityError if state.startswith("23") else DatabaseError
            failures[append - 1] = error(f"{message} (SQLSTATE {state})")
    return [failures.get(i, p) for i, p in enumerate(positions)]


class SQLiteRecorder(SQLiteApplicationRecorder):
    """The library's SQLite recorder, plus the idempotency record in the same transaction."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {IDEMPOTENCY_TABLE} ("
            "key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
            "aggregate_id TEXT NOT NULL, version INTEGER NOT NULL, created_id TEXT, "
            "created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        ]

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"PRAGMA table_info({IDEMPOTENCY_TABLE})")
            if "position" not in {row[1] for row in c.fetchall()}:
                c.execute(f"ALTER TABLE {IDEMPOTENCY_TABLE} ADD COLUMN position INTEGER")

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record is not None:
            c.execute(
                f"INSERT INTO {IDEMPOTENCY_TABLE} "
                "(key, fingerprint, aggregate_id, version, created_id, position) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.key,
                    record.fingerprint,
                    record.aggregate_id.hex,
                    record.version,
                    record.created_id.hex if record.created_id else None,
                    max(positions) if positions else None,
                ),
            )
        return positions

    def find_idempotency(self, key: str) -> IdempotencyRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT key, fingerprint, aggregate_id, version, created_id, position "
                f"FROM {IDEMPOTENCY_TABLE} "
                "WHERE key = ?",
                (key,),
            )
            row = c.fetchone()
        if row is None:
            return None
        created = UUID(row[4]) if row[4] else None
        position = None if row[5] is None else int(row[5])
        return IdempotencyRecord(row[0], row[1], UUID(row[2]), int(row[3]), created, position)

    def position_of(self, aggregate_id: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} "
                "WHERE originator_id = ? AND originator_version = ?",
                (aggregate_id.hex, version),
            )
            row = c.fetchone()
        return None if row is None else int(row[0])


class EventStoreApp(Application[UUID]):
    """The eventsourcing application that owns the event store of appraisal-ledger."""

    name = "Appraisals"

    def construct_mapper(self) -> Mapper[UUID]:
        return EventMapper()

    def construct_recorder(self) -> ApplicationRecorder:
        factory = self.factory
        recorder: PostgresRecorder | SQLiteRecorder
        if isinstance(factory, PostgresFactory):
            # The library passes only dbname/host/port/user/password to its pool; the full
            # conninfo (TLS, application_name, ...) is set before any connection is opened.
            conninfo = self.env.get("POSTGRES_CONNINFO")
            if conninfo:
                factory.datastore.pool.conninfo = conninfo
            recorder = PostgresRecorder(factory.datastore, events_table_name=EVENTS_TABLE)
        elif isinstance(factory, SQLiteFactory):
            recorder = SQLiteRecorder(factory.datastore, events_table_name=EVENTS_TABLE)
        else:  # pragma: no cover - only the two supported stores are configured
            raise TypeError(f"unsupported persistence factory {type(factory).__name__}")
        recorder.create_table()
        return recorder

    def close(self) -> None:
        recorder = self.recorder
        if isinstance(recorder, PostgresRecorder):
            recorder.close_writers()
        super().close()

    @property
    def store_recorder(self) -> PostgresRecorder | SQLiteRecorder:
        return cast("PostgresRecorder | SQLiteRecorder", self.recorder)

    def record_stored(
        self, records: Sequence[StoredEvent], idempotency: IdempotencyRecord | None = None
    ) -> list[int]:
        """Store already-encoded events atomically; their log positions."""
        positions = self.recorder.insert_events(records, idempotency=idempotency)
        return list(positions or [])


__all__ = ["EVENTS_TABLE", "EventStoreApp", "IdempotencyRecord", "IntegrityError"]
