"""Loading aggregate states, with a per-process cache of recent states.

Commands load the aggregate they change (the target) and a few others for context (its
review, its cycle). Reading every one of them from the store on every command would cost a
round trip each, so states are cached:

* a target is used as cached: if it is stale, the insert of its next version conflicts, and
  the command service retries once with fresh states — so a stale cache can never record
  anything wrong;
* a context aggregate is re-read when its cached copy is older than ``context_ttl``
  seconds; rules that span aggregates (a cycle closed a moment ago in another process) are
  checked against a state at most that old — the same race any check-then-write across
  aggregates has;
* after a save, the new events are folded into the cached states, so a process always sees
  its own writes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from threading import Lock
from typing import Any, Generic, TypeVar
from uuid import UUID

from aggregates import (
    access,
    cpd,
    cycle,
    evidence,
    framework,
    objective,
    observation,
    pay,
    review,
    staff,
    trust,
)
from aggregates.base import projector
from aggregates.errors import NOT_VISIBLE, NotFound
from commands.store import EventStoreApp
from events.access import RoleGranted
from events.base import DomainEvent
from events.codec import record_hash
from events.cpd import CpdPlanned
from events.cycle import CycleScheduled
from events.evidence import EvidenceFileAttached, EvidenceLinkAttached
from events.framework import (
    ObjectiveTemplatePublished,
    ObservationPolicySet,
    RatingScalePublished,
)
from events.objective import ObjectiveDrafted
from events.observation import ObservationRecorded
from events.pay import PayRecommendationMade
from events.review import ReviewStarted
from events.staff import StaffRegistered
from events.trust import TrustRegistered

S = TypeVar("S")


@dataclass(frozen=True)
class Kind(Generic[S]):
    """An aggregate type as the command layer sees it: its name and projector."""

    name: str
    project: Callable[[S | None, Iterable[DomainEvent]], S | None]


TRUST: Kind[trust.Trust] = Kind("trust", projector(trust.evolve))
STAFF: Kind[staff.StaffMember] = Kind("staff member", projector(staff.evolve))
CYCLE: Kind[cycle.AppraisalCycle] = Kind("appraisal cycle", projector(cycle.evolve))
REVIEW: Kind[review.Review] = Kind("review", projector(review.evolve))
OBJECTIVE: Kind[objective.Objective] = Kind("objective", projector(objective.evolve))
CPD: Kind[cpd.CpdActivity] = Kind("CPD activity", projector(cpd.evolve))
EVIDENCE: Kind[evidence.Evidence] = Kind("evidence", projector(evidence.evolve))
OBSERVATION: Kind[observation.Observation] = Kind("observation", projector(observation.evolve))
PAY: Kind[pay.PayRecommendation] = Kind("pay recommendation", projector(pay.evolve))
FRAMEWORK: Kind[framework.Framework] = Kind("development framework", projector(framework.evolve))
ACCESS: Kind[access.PersonAccess] = Kind("person's access", projector(access.evolve))


# The event that creates each kind of aggregate, to cache what a command creates.
_CREATED_BY: dict[type[DomainEvent], Kind[Any]] = {
    TrustRegistered: TRUST,
    StaffRegistered: STAFF,
    CycleScheduled: CYCLE,
    ReviewStarted: REVIEW,
    ObjectiveDrafted: OBJECTIVE,
    CpdPlanned: CPD,
    EvidenceFileAttached: EVIDENCE,
    EvidenceLinkAttached: EVIDENCE,
    ObservationRecorded: OBSERVATION,
    PayRecommendationMade: PAY,
    ObjectiveTemplatePublished: FRAMEWORK,
    RatingScalePublished: FRAMEWORK,
    ObservationPolicySet: FRAMEWORK,
    RoleGranted: ACCESS,
}


def replay(
    store: EventStoreApp,
    kind: Kind[S],
    aggregate_id: UUID,
    state: S | None = None,
    last_hash: str | None = None,
) -> tuple[S, str | None]:
    """Fold the stored events (after ``state``'s version, if given) into a state; with the
    hash of the last stored record folded."""
    after = getattr(state, "version", None)
    records = store.recorder.select_events(aggregate_id, gt=after)
    events = [store.mapper.to_domain_event(r) for r in records]
    try:
        result = kind.project(state, events)  # type: ignore[arg-type]
    except (ValueError, KeyError, AttributeError):
        # An id of another kind of aggregate replays events this kind does not start with.
        result = None
    if result is None:
        raise NotFound(NOT_VISIBLE)
    if records:
        r = records[-1]
        last_hash = record_hash(r.topic, r.originator_id, r.originator_version, r.state)
    return result, last_hash


def reviews_started_in(store: EventStoreApp, cycle_id: UUID, *, page: int = 5_000) -> list[UUID]:
    """The ids of every review started in a cycle, read from the log itself (not a read model,
    which may lag): closing a cycle needs all of them. A scan of one topic; a cycle closes
    once a year."""
    found: list[UUID] = []
    start: int | None = None
    topics = [ReviewStarted.topic]
    while True:
        batch = store.recorder.select_notifications(
            start, page, topics=topics, inclusive_of_start=start is None
        )
        for n in batch:
            event = store.mapper.to_domain_event(n)
            if isinstance(event, ReviewStarted) and event.cycle_id == cycle_id:
                found.append(event.originator_id)
        if len(batch) < page:
            return found
        start = batch[-1].id


def load(store: EventStoreApp, kind: Kind[S], aggregate_id: UUID) -> S:
    """The current state of an aggregate of the given kind, read from the store, or NotFound."""
    return replay(store, kind, aggregate_id)[0]


@dataclass
class _Entry:
    kind: Kind[Any]
    state: Any
    loaded_at: float
    last_hash: str | None


class StateCache:
    """Recent aggregate states of this process (LRU, bounded), as described above."""

    def __init__(
        self,
        store: EventStoreApp,
        *,
        maxsize: int = 10_000,
        context_ttl: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.maxsize = maxsize
        self.context_ttl = context_ttl
        self.monotonic = monotonic
        self._entries: OrderedDict[UUID, _Entry] = OrderedDict()
        self._lock = Lock()

    def get(self, kind: Kind[S], aggregate_id: UUID, *, max_age: float) -> S:
        """A state no older than ``max_age`` seconds (0: read the store now)."""
        now = self.monotonic()
        with self._lock:
            entry = self._entries.get(aggregate_id)
            if entry is not None:
                self._entries.move_to_end(aggregate_id)
        if entry is not None and entry.kind is not kind:
            raise NotFound(NOT_VISIBLE)
        if entry is not None and now - entry.loaded_at <= max_age:
            return entry.state  # type: ignore[no-any-return]
        state: S
        state, last_hash = replay(
            self.store,
            kind,
            aggregate_id,
            entry.state if entry else None,
            entry.last_hash if entry else None,
        )
        self._put(aggregate_id, _Entry(kind, state, now, last_hash))
        return state

    def last_hash(self, aggregate_id: UUID) -> str | None:
        """The hash of the aggregate's last stored record (as cached, else read now)."""
        with self._lock:
            entry = self._entries.get(aggregate_id)
        if entry is not None:
            return entry.last_hash
        records = self.store.recorder.select_events(aggregate_id, desc=True, limit=1)
        if not records:
            return None
        r = records[0]
        return record_hash(r.topic, r.originator_id, r.originator_version, r.state)

    def apply(self, events: Iterable[DomainEvent], hashes: dict[UUID, str]) -> None:
        """Fold just-recorded events into the cached states (and cache new aggregates)."""
        now = self.monotonic()
        by_id: dict[UUID, list[DomainEvent]] = {}
        for e in events:
            by_id.setdefault(e.originator_id, []).append(e)
        for aggregate_id, new in by_id.items():
            with self._lock:
                entry = self._entries.get(aggregate_id)
            kind = entry.kind if entry else _CREATED_BY.get(type(new[0]))
            base = entry.state if entry else None
            if kind is None or getattr(base, "version", 0) != new[0].originator_version - 1:
                self.forget(aggregate_id)
                continue
            state = kind.project(base, new)
            self._put(aggregate_id, _Entry(kind, state, now, hashes.get(aggregate_id)))

    def forget(self, aggregate_id: UUID) -> None:
        with self._lock:
            self._entries.pop(aggregate_id, None)

    def _put(self, aggregate_id: UUID, entry: _Entry) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            self._entries[aggregate_id] = entry
            self._entries.move_to_end(aggregate_id)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)


class Overlay(StateCache):
    """A private layer over a state cache for a run of commands saved together: states the
    run decided are kept here (never in the shared cache) until the run is saved."""

    def __init__(self, base: StateCache) -> None:
        super().__init__(base.store, maxsize=0, context_ttl=base.context_ttl)
        self.base = base
        self._mine: dict[UUID, tuple[Kind[Any], Any]] = {}

    def get(self, kind: Kind[S], aggregate_id: UUID, *, max_age: float) -> S:
        mine = self._mine.get(aggregate_id)
        if mine is not None:
            if mine[0] is not kind:
                raise NotFound(f"there is no {kind.name} with id {aggregate_id}")
            return mine[1]  # type: ignore[no-any-return]
        # Read once per run (fresh), then kept: the run decides on one consistent view, and
        # the save's optimistic concurrency catches anything that changed meanwhile.
        del max_age
        state = self.base.get(kind, aggregate_id, max_age=0.0)
        self._mine[aggregate_id] = (kind, state)
        return state

    def last_hash(self, aggregate_id: UUID) -> str | None:
        return self.base.last_hash(aggregate_id)

    def apply(self, events: Iterable[DomainEvent], hashes: dict[UUID, str]) -> None:
        del hashes
        by_id: dict[UUID, list[DomainEvent]] = {}
        for e in events:
            by_id.setdefault(e.originator_id, []).append(e)
        for aggregate_id, new in by_id.items():
            mine = self._mine.get(aggregate_id)
            if mine is not None:
                kind, base = mine
            else:  # created by these events
                kind, base = _CREATED_BY[type(new[0])], None
            self._mine[aggregate_id] = (kind, kind.project(base, new))
