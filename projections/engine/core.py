"""The projection engine: read the notification log in pages, apply a whole page to the read
model and move the tracked position in the same transaction.

A batch reads events after the tracked position (only the topics the projection handles),
applies them through the projection's working set, and moves the position with a
compare-and-set on its tracking row: a batch that lost a race to another worker rolls back,
so every event is applied exactly once. Events a projection ignores still move its position:
a short page means the log was read up to the head seen at the start of the batch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any, ClassVar, Generic, cast
from uuid import UUID

import orjson
from typing_extensions import TypeVar

from events import codec
from events.base import DomainEvent, TopicError, registered_topics, resolve, topic_of
from projections.engine.db import Database, Table, Tx, normalize_ts
from projections.engine.workset import Batch

EVENTS_TABLE = "appraisals_events"
REGISTRY = "rm_registry"
TOPIC_PREFIX_LEN = len("appraisals/")


# ``Event`` alone is an envelope of any event (handlers that read every topic).
E = TypeVar("E", bound=DomainEvent, default=DomainEvent, covariant=True)


class Event(Generic[E]):
    """One notification of the log: its position, aggregate, version and topic, with the
    event itself decoded only when a handler first asks for it.

    ``event`` is the typed event (``events/``), validated and upcast, built once and shared by
    every projection of a batch; ``data`` is its stored fields as JSON values (ids and
    timestamps as text), for code that reads every topic generically (the audit log, the
    event index) or that never knew the class (a newer writer's topic).
    """

    __slots__ = (
        "_at",
        "_data",
        "_event",
        "_state",
        "originator_id",
        "originator_version",
        "position",
        "topic",
        "type",
    )

    def __init__(
        self,
        position: int,
        originator_id: str,
        originator_version: int,
        topic: str,
        data: dict[str, Any] | None = None,
        *,
        state: bytes | None = None,
        event: E | None = None,
    ) -> None:
        self.position = position
        self.originator_id = originator_id
        self.originator_version = originator_version
        self.topic = topic
        # The event's class name, e.g. ``ObjectiveDrafted`` (a field: handlers read it often).
        self.type = topic[TOPIC_PREFIX_LEN:]
        self._data = data
        self._state = state
        self._event = event
        self._at: str | None = None

    @property
    def event(self) -> E:
        """The typed event (decoded on first use; ``TopicError`` for an unknown topic)."""
        found = self._event
        if found is None:
            began = perf_counter()
            found = self._event = cast(E, decode_event(self))
            READING.add(self.topic, perf_counter() - began)
        return found

    @property
    def timestamp(self) -> str:
        """When the event happened, as the stored text (``encode`` writes it first), without
        decoding the event; from the decoded event when the record is in another shape."""
        state = self._state
        if state is not None and state.startswith(_TIMESTAMP_KEY):
            end = state.find(b'"', _TIMESTAMP_AT)
            if end > 0:
                return state[_TIMESTAMP_AT:end].decode()
        if self._data is not None or self._event is None:
            return str(self.data["timestamp"])
        return self._event.timestamp.isoformat()

    @property
    def at(self) -> str:
        """``timestamp`` as rows keep it (``normalize_ts``: UTC, microseconds), worked out
        once however many projections of the batch read it."""
        at = self._at
        if at is None:
            at = self._at = normalize_ts(self.timestamp)
        return at

    @property
    def stored(self) -> bytes | None:
        """The stored bytes of the event as read from the log (None for an envelope built
        from fields or an event object); decodes nothing."""
        return self._state

    @property
    def decoded(self) -> E | None:
        """The typed event if it was decoded already, else None (decodes nothing)."""
        return self._event

    @property
    def data(self) -> dict[str, Any]:
        """The stored fields as JSON values (parsed on first use)."""
        found = self._data
        if found is None:
            began = perf_counter()
            found = self._data = decode_data(self)
            READING.add(self.topic, perf_counter() - began)
        return found

    def __repr__(self) -> str:
        where = f"{self.position}, {self.originator_id!r}, {self.originator_version}"
        return f"Event({where}, {self.topic!r})"


class _Reading:
    """Seconds this process spent reading events from the log and decoding them, in all and
    by topic (approximate across threads)."""

    __slots__ = ("by_topic", "seconds")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.by_topic: dict[str, float] = {}

    def add(self, topic: str, seconds: float) -> None:
        self.seconds += seconds
        self.by_topic[topic] = self.by_topic.get(topic, 0.0) + seconds


# Reading and decoding an event is shared by every projection of a batch that reads it: a
# rebuild leaves it out of each projection's own cost and reckons it by topic, once per lane.
READING = _Reading()
_TIMESTAMP_KEY = b'{"timestamp":"'
_TIMESTAMP_AT = len(_TIMESTAMP_KEY)
Handler = Callable[[Batch, Event[Any]], None]


class Handlers(dict[type[DomainEvent], Handler]):
    """A projection's handlers by event class, each typed by the event it receives::

        Handlers().on(ObjectiveDrafted, self._drafted).on(ObjectiveAgreed, self._agreed)

    ``on`` checks (with mypy) that the handler takes ``Event[ObjectiveDrafted]``, so inside it
    ``e.event.title`` is a field mypy knows, and a renamed field is a type error.
    """

    def on(self, cls: type[E], handler: Callable[[Batch, Event[E]], None]) -> Handlers:
        if cls in self:
            raise ValueError(f"{cls.__name__} has two handlers")
        self[cls] = handler
        return self


class Projection(ABC):
    """A read model: its tables, the events it handles and how a batch changes its rows."""

    name: ClassVar[str]
    # Bump when the tables or the meaning of their rows change: the live generation is then
    # reported as outdated until it is rebuilt.
    schema_version: ClassVar[int] = 1
    tables: ClassVar[tuple[Table, ...]]
    # Every event, including topics this code does not know (audit log, event index).
    all_topics: ClassVar[bool] = False
    # Relative cost of a rebuild, to balance the lanes of a rebuild of several projections
    # until a rebuild has measured (and recorded) what this one costs.
    rebuild_cost: ClassVar[int] = 1
    # A rebuild on PostgreSQL may apply the log to this projection in SQL alone (``apply_sql``),
    # reading nothing into Python; events SQL cannot read exactly still go through ``apply``.
    sql_bulk: ClassVar[bool] = False
    # Projections with the same twin key keep identical tables in a rebuild's bulk phase (the
    # same handlers): one builds them and the others copy its tables (``copy_bulk``).
    bulk_twin: ClassVar[str | None] = None

    def __init__(self) -> None:
        self._dispatch: dict[str, Handler] = {
            topic_of(cls): handler for cls, handler in self.handlers().items()
        }

    @abstractmethod
    def handlers(self) -> Mapping[type[DomainEvent], Handler]:
        """The handler of each event class this projection reads (build it with
        ``Handlers().on(EventClass, handler)``, so each handler is typed by its event)."""

    @property
    def topics(self) -> frozenset[str] | None:
        """The topics to read from the log, or None for all of them."""
        return None if self.all_topics else frozenset(self._dispatch)

    def prefetch(self, batch: Batch, events: Sequence[Event]) -> None:
        """Load the rows a batch will touch in bulk (optional; misses load one by one)."""
        del batch, events

    def other(self, batch: Batch, event: Event) -> None:
        """An event without a handler (only called when ``all_topics`` is set)."""
        del batch, event

    def derive_bulk(self, tx: Tx, generation: int) -> None:
        """Derive what bulk batches deferred, before the secondary indexes are built."""
        del tx, generation

    def complete_bulk(self, tx: Tx, generation: int) -> None:
        """Derive what needs the indexes (called once, before a rebuild catches up)."""
        del tx, generation

    def copy_bulk(self, tx: Tx, generation: int, twin: Projection, twin_generation: int) -> None:
        """Take a bulk-built twin's tables (in place of this projection's own bulk phase
        and ``derive_bulk``); only called when ``bulk_twin`` is set."""
        raise NotImplementedError(f"{self.name} has no bulk twin")

    def apply_sql(self, tx: Tx, generation: int, log: str, after: int, upto: int) -> None:
        """Apply the log positions ``after < position <= upto`` of table ``log`` in SQL
        (PostgreSQL, rebuilds only, when ``sql_bulk`` is set); the rows of those positions
        that ``EventLog.first_unsafe`` flags are never given to it."""
        raise NotImplementedError(f"{self.name} has no SQL bulk path")

    def finish(self, batch: Batch) -> None:
        """Work done once per batch after every event (e.g. recomputing summaries)."""
        del batch

    def apply(self, batch: Batch, events: Sequence[Event]) -> None:
        self.prefetch(batch, events)
        dispatch = self._dispatch
        for event in events:
            handler = dispatch.get(event.topic)
            if handler is not None:
                handler(batch, event)
            elif self.all_topics:
                self.other(batch, event)
        self.finish(batch)


class PositionConflict(RuntimeError):
    """Another worker moved this projection's position during the batch; nothing was applied."""


@dataclass(frozen=True, slots=True)
class Member:
    """A projection generation taking part in a batch."""

    projection: Projection
    generation: int
    # A rebuild's bulk phase: projections may defer derived work to ``complete_bulk``.
    bulk: bool = False


def decode(row: tuple[Any, ...]) -> Event:
    """A stored row as an event envelope; nothing is parsed until a handler reads it."""
    position, originator_id, version, topic, state = row
    return Event(position, originator_id, version, topic, state=bytes(state))


def decode_event(e: Event) -> DomainEvent:
    """The typed event of an envelope (``events.codec.decode``: validated, upcast)."""
    if e._state is not None:
        return codec.decode(e.topic, e._state, e.originator_id, e.originator_version)
    cls = resolve(e.topic)
    return cls.model_validate(
        {**e.data, "originator_id": e.originator_id, "originator_version": e.originator_version}
    )


def decode_data(e: Event) -> dict[str, Any]:
    """The stored fields of an envelope as JSON values (upcast when the topic is known)."""
    if e._state is None:
        if e._event is None:
            raise ValueError("an event envelope needs its stored state, fields or event")
        return e._event.model_dump(mode="json", exclude={"originator_id", "originator_version"})
    try:
        _, data = codec.decode_state(e.topic, e._state, e.originator_id, e.originator_version)
    except TopicError:
        # A topic this code does not know (a newer writer): the envelope is still readable.
        data = orjson.loads(e._state)
    return data


def id_text(value: UUID) -> str:
    """``str(value)`` of an id, remembered: the same few ids (reviews, cycles, people) recur
    in event after event, and ``UUID.__str__`` is slow Python (~0.7 µs a call)."""
    key = value.int
    found = _ID_TEXTS.get(key)
    if found is None:
        if len(_ID_TEXTS) >= _ID_TEXTS_MAX:
            _ID_TEXTS.clear()
        found = _ID_TEXTS[key] = str(value)
    return found


# Texts of ids by their integer (an int key hashes in C; a UUID key would not): bounded.
_ID_TEXTS: dict[int, str] = {}
_ID_TEXTS_MAX = 65_536


def _dashed(hex_id: str) -> str:
    if len(hex_id) == 32:
        return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"
    return hex_id


class EventLog:
    """The write side's notification log, read directly with the projections' own connection.

    It answers the same questions as the library's ``ApplicationRecorder`` (head,
    notifications after a position, filtered by topic) inside the batch's transaction.
    """

    def __init__(self, table: str = EVENTS_TABLE) -> None:
        self.table = table

    def head(self, tx: Tx) -> int:
        column = "notification_id" if tx.dialect == "postgresql" else "rowid"
        rows = tx.query(f"SELECT MAX({column}) FROM {self.table}")
        return int(rows[0][0] or 0)

    def first_unsafe(self, tx: Tx, after: int, upto: int) -> int | None:
        """The first position in ``(after, upto]`` that SQL cannot read as ``apply`` would
        (PostgreSQL): a stored version an upcaster changes, or a NUL character, which jsonb
        cannot hold. SQL bulk paths stop before it and let the engine apply it in Python."""
        stale = [(t, c.class_version) for t, c in registered_topics().items() if c.upcasters]
        values = ", ".join("(?, ?)" for _ in stale) or "(NULL, NULL)"
        rows = tx.query(
            f"SELECT min(e.notification_id) FROM {self.table} e "
            f"LEFT JOIN (VALUES {values}) AS v(topic, version) ON v.topic = e.topic "
            "WHERE e.notification_id > ? AND e.notification_id <= ? AND ("
            # The six bytes of the JSON escape \u0000.
            "position('\\x5c7530303030'::bytea IN e.state) > 0 OR (v.version IS NOT NULL "
            "AND coalesce((convert_from(e.state, 'UTF8')::jsonb ->> '_v')::int, 1) "
            "<> v.version::int))",
            [x for pair in stale for x in pair] + [after, upto],
        )
        return None if rows[0][0] is None else int(rows[0][0])

    def read(
        self, tx: Tx, after: int, upto: int, limit: int, topics: frozenset[str] | None
    ) -> list[tuple[Any, ...]]:
        """Stored notifications after ``after`` up to ``upto``, in log order."""
        params: list[Any] = [after, upto]
        if tx.dialect == "postgresql":
            where = "notification_id > ? AND notification_id <= ?"
            if topics is not None:
                where += " AND topic = ANY(?)"
                params.append(sorted(topics))
            params.append(limit)
            return tx.query(
                "SELECT notification_id, originator_id::text, originator_version, topic, state "
                f"FROM {self.table} WHERE {where} ORDER BY notification_id LIMIT ?",
                params,
                binary=True,
            )
        where = "rowid > ? AND rowid <= ?"
        if topics is not None:
            where += f" AND topic IN ({','.join('?' * len(topics))})"
            params += sorted(topics)
        params.append(limit)
        rows = tx.query(
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {self.table} WHERE {where} ORDER BY rowid LIMIT ?",
            params,
        )
        return [(p, _dashed(o), v, t, s) for p, o, v, t, s in rows]


class Engine:
    """Runs batches for projection generations against one database."""

    def __init__(
        self,
        db: Database,
        *,
        log: EventLog | None = None,
        page_size: int = 1000,
        bulk_page_size: int | None = None,
        before_commit: Callable[[Sequence[Member], int], None] | None = None,
    ) -> None:
        self.db = db
        self.log = log or EventLog()
        self.page_size = page_size
        # Pages of a rebuild's bulk phase: larger pages write a row changed by many events
        # once instead of once per page (memory grows with the page, not with the log).
        self.bulk_page_size = bulk_page_size or page_size
        # Called inside the batch transaction just before it commits (tests, metrics).
        self.before_commit = before_commit
        # Seconds each projection's batches took here (apply and write, not the decoding of
        # events, which the projections of a batch share), by name: a rebuild records them to
        # balance the lanes of the next one.
        self.spent: dict[str, float] = {}

    def head(self) -> int:
        with self.db.transaction(write=False) as tx:
            return self.log.head(tx)

    def positions(self, members: Sequence[Member]) -> list[int]:
        with self.db.transaction(write=False) as tx:
            return [_position(tx, m) for m in members]

    def run_batch(self, members: Sequence[Member], page_size: int | None = None) -> int:
        """Apply the next page to every member (all at one position); how far they moved."""
        limit = page_size or self.page_size
        topics: frozenset[str] | None = frozenset()
        for m in members:
            t = m.projection.topics
            topics = None if t is None or topics is None else topics | t
        with self.db.transaction(write=False) as tx:
            starts = {_position(tx, m) for m in members}
            if len(starts) != 1:
                raise ValueError("members of one batch must share a position")
            start = starts.pop()
            # The head is read before the page: everything up to it is committed, so a short
            # page proves there is nothing more to read up to the head.
            head = self.log.head(tx)
            if head <= start:
                return 0
            began = perf_counter()
            rows = self.log.read(tx, start, head, limit, topics)
        end = rows[-1][0] if len(rows) == limit else head
        events = [decode(r) for r in rows]
        if rows:  # the page's reading, shared out over its topics by their rows
            share = (perf_counter() - began) / len(rows)
            for topic, n in Counter(r[3] for r in rows).items():
                READING.add(topic, n * share)
        spent = self.spent
        with self.db.transaction(write=True) as tx:
            for m in members:
                began = perf_counter()
                decoding = READING.seconds
                batch = Batch(tx, m.generation, bulk=m.bulk)
                wanted = m.projection.topics
                # A member that reads every topic the page was read for takes the page as is.
                mine = (
                    events
                    if wanted is None or (topics is not None and wanted >= topics)
                    else [e for e in events if e.topic in wanted]
                )
                m.projection.apply(batch, mine)
                batch.flush()
                _advance(tx, m, start, end)
                name = m.projection.name
                took = perf_counter() - began - (READING.seconds - decoding)
                spent[name] = spent.get(name, 0.0) + took
            if self.before_commit is not None:
                self.before_commit(members, end)
        return end - start

    def move(self, tx: Tx, member: Member, *, to_position_of: Member) -> None:
        """Give ``member`` the position of another, in the caller's transaction (a bulk twin
        that copied the other's tables)."""
        _advance(tx, member, _position(tx, member), _position(tx, to_position_of))

    def run_sql_batch(self, members: Sequence[Member], chunk: int) -> int:
        """Apply up to ``chunk`` positions to every member in SQL (``apply_sql``; PostgreSQL
        rebuilds), all at one position, or a page in Python when the next event is one SQL
        cannot read exactly; how far they moved."""
        with self.db.transaction(write=False) as tx:
            starts = {_position(tx, m) for m in members}
            if len(starts) != 1:
                raise ValueError("members of one batch must share a position")
            start = starts.pop()
            end = min(self.log.head(tx), start + chunk)
            if end <= start:
                return 0
            unsafe = self.log.first_unsafe(tx, start, end)
        if unsafe is not None:
            if unsafe == start + 1:
                return self.run_batch(members)
            end = unsafe - 1
        with self.db.transaction(write=True) as tx:
            # Timestamps without a zone read as UTC, as normalize_ts reads them.
            tx.execute("SET LOCAL timezone = 'UTC'")
            tx.execute("SET LOCAL jit = off")
            for m in members:
                m.projection.apply_sql(tx, m.generation, self.log.table, start, end)
                _advance(tx, m, start, end)
            if self.before_commit is not None:
                self.before_commit(members, end)
        return end - start


def _position(tx: Tx, m: Member) -> int:
    rows = tx.query(
        f"SELECT position FROM {REGISTRY} WHERE name = ? AND generation = ?",
        [m.projection.name, m.generation],
    )
    if not rows:
        raise PositionConflict(f"{m.projection.name} v{m.generation} is not registered")
    return int(rows[0][0])


def _advance(tx: Tx, m: Member, start: int, end: int) -> None:
    changed = tx.execute(
        f"UPDATE {REGISTRY} SET position = ? WHERE name = ? AND generation = ? AND position = ?",
        [end, m.projection.name, m.generation, start],
    )
    if changed != 1:
        raise PositionConflict(f"{m.projection.name} v{m.generation} moved past {start}")
