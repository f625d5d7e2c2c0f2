"""Staging: commands run against an in-memory store; their events move in bulk to the target.

A ``Staging`` is one in-memory SQLite event store with its own command service (simulated
clock, seeded ids, an unbounded state cache: nothing else writes to it). The organisation's
events (trust, cycles, leaders), generated once, are fed into it as its clock passes them,
so rules about open and closed cycles hold inside every chunk. New events are handed on in
batches: straight to the target when one chunk is the whole trust, else to a ``Spool`` on
disk, which at the end merges every stream by time into the target, one transaction a batch.
"""

from __future__ import annotations

import heapq
import math
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from operator import itemgetter
from pathlib import Path
from random import Random
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from appraisals.demo.calendar import SimClock
from appraisals.demo.plan import new_uuid
from appraisals.wiring import build_store
from commands.messages import Command
from commands.principal import Principal
from commands.service import CommandResult, CommandService
from commands.states import StateCache
from commands.store import EventStoreApp
from config.settings import Settings

# Events handed on from a staging store at a time.
BATCH = 20_000
# Events per transaction into the target. libpq keeps each connection's send buffer at its
# largest message, and the pool rotates through its connections: 5,000 events (~3 MB) a
# transaction copy as fast as 20,000 and keep that memory small.
TARGET_BATCH = 5_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

Sink = Callable[[list[StoredEvent]], None]


def staging_store() -> EventStoreApp:
    # Its events are copied into the target store: sealed with the target's keys.
    return build_store(Settings(database_url="sqlite:///:memory:"), own_keys=False)


def event_time(state: bytes) -> datetime:
    """The timestamp an event carries in its stored state."""
    return datetime.fromisoformat(orjson.loads(state)["timestamp"])


@dataclass(frozen=True, slots=True)
class Timed:
    """A stored event and its timestamp, for feeding it in at the right moment."""

    at: datetime
    event: StoredEvent


class Staging:
    """One chunk's in-memory store and command service, and what it hands on."""

    def __init__(
        self,
        clock: SimClock,
        ids: Random,
        *,
        sink: Sink,
        org: Sequence[Timed] = (),
        hand_on_org: bool = True,
        on_events: Callable[[int], None] | None = None,
    ) -> None:
        self.clock = clock
        self.store = staging_store()
        # Nothing else writes here: every state stays cached and is never stale.
        self.states = StateCache(self.store, maxsize=sys.maxsize, context_ttl=math.inf)
        self.service = CommandService(
            self.store, clock=clock, new_id=lambda: new_uuid(ids), states=self.states
        )
        self._sink = sink
        self._org = org
        self._next_org = 0
        self._hand_on_org = hand_on_org
        self._withheld: set[int] = set()  # positions of fed-in org events not handed on
        self._handed_on = 0
        self._commands = 0
        self._on_events = on_events

    @property
    def produced(self) -> int:
        """Events this staging has produced (with the org events, when it hands them on)."""
        return (self.store.recorder.max_notification_id() or 0) - len(self._withheld)

    def execute(self, command: Command, principal: Principal) -> CommandResult:
        self.feed_org(self.clock.now)
        result = self.service.execute(command, principal)
        self._commands += 1
        if self._commands % 256 == 0:
            self._checkpoint()
        return result

    def feed_org(self, until: datetime | None) -> None:
        """Store the organisation's events up to ``until`` (all of them when None)."""
        batch = []
        while self._next_org < len(self._org) and (
            until is None or self._org[self._next_org].at <= until
        ):
            batch.append(self._org[self._next_org].event)
            self._next_org += 1
        if not batch:
            return
        positions = self.store.recorder.insert_events(batch)
        if not self._hand_on_org:
            self._withheld.update(positions or ())
        for e in batch:
            self.states.forget(_uuid(e.originator_id))

    def finish(self) -> int:
        """Hand on what is left, drop the store; the number of events produced."""
        if self._hand_on_org:
            self.feed_org(None)
        self.hand_on()
        produced = self.produced
        self.store.close()
        return produced

    def hand_on(self) -> None:
        """Pass every event not yet handed on to the sink, in log order, in batches."""
        recorder = self.store.recorder
        head = recorder.max_notification_id() or 0
        while self._handed_on < head:
            notes = recorder.select_notifications(self._handed_on + 1, BATCH, stop=head)
            self._handed_on = notes[-1].id
            batch = [
                StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
                for n in notes
                if n.id not in self._withheld
            ]
            if batch:
                self._sink(batch)

    def _checkpoint(self) -> None:
        head = self.store.recorder.max_notification_id() or 0
        if head - self._handed_on >= BATCH:
            self.hand_on()
        if self._on_events is not None:
            self._on_events(head - len(self._withheld))


class Spool:
    """Streams of events on disk, merged by timestamp (then stream, then order) at the end."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute(
            "CREATE TABLE spool (stream INTEGER NOT NULL, at INTEGER NOT NULL, "
            "originator_id BLOB NOT NULL, originator_version INTEGER NOT NULL, "
            "topic TEXT NOT NULL, state BLOB NOT NULL)"
        )
        self.db.execute("CREATE INDEX spool_stream ON spool (stream)")

    def append(self, stream: int, events: Sequence[StoredEvent]) -> None:
        rows = [
            (
                stream,
                (event_time(e.state) - _EPOCH) // _MICROSECOND,
                _uuid(e.originator_id).bytes,
                e.originator_version,
                e.topic,
                e.state,
            )
            for e in events
        ]
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO spool VALUES (?, ?, ?, ?, ?, ?)", rows)
        self.db.execute("COMMIT")

    def merged(self) -> Iterator[StoredEvent]:
        streams = [s for (s,) in self.db.execute("SELECT DISTINCT stream FROM spool ORDER BY 1")]
        # heapq.merge is stable: equal timestamps keep stream order (the org stream first).
        rows = heapq.merge(*(self._read(s) for s in streams), key=itemgetter(0))
        for _, originator_id, version, topic, state in rows:
            yield StoredEvent(UUID(bytes=originator_id), version, topic, state)

    def _read(self, stream: int) -> Iterator[tuple[int, bytes, int, str, bytes]]:
        yield from self.db.execute(
            "SELECT at, originator_id, originator_version, topic, state FROM spool "
            "WHERE stream = ? ORDER BY rowid",
            (stream,),
        )

    def close(self) -> None:
        self.db.close()


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


class Target:
    """The store the demo is for: receives events in order, one transaction a batch."""

    def __init__(self, store: EventStoreApp) -> None:
        self.store = store
        self.written = 0

    def write(self, events: Iterable[StoredEvent]) -> None:
        it = iter(events)
        while batch := list(islice(it, TARGET_BATCH)):
            self.store.recorder.insert_events(batch)
            self.written += len(batch)
