"""Any aggregate as it was: at a version or at a moment, replayed from its stored events.

Works on the event store's recorder (the ``eventsourcing`` ApplicationRecorder), decoding
stored records with the event contract and folding them with the aggregates' own ``evolve``
functions — the same code the write side uses, never a second implementation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Protocol
from uuid import UUID

from aggregates import (
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
from events.base import DomainEvent
from events.codec import decode, record_hash
from events.cpd import CpdPlanned
from events.cycle import CycleScheduled
from events.evidence import EvidenceFileAttached, EvidenceLinkAttached
from events.framework import (
    ObjectiveTemplatePublished,
    ObjectiveTemplateRetired,
    ObservationPolicySet,
    RatingScalePublished,
)
from events.objective import ObjectiveDrafted
from events.observation import ObservationRecorded
from events.pay import PayRecommendationMade
from events.review import ReviewStarted
from events.staff import StaffRegistered
from events.trust import TrustRegistered

Evolve = Callable[[Any, DomainEvent], Any]

KINDS: dict[type[DomainEvent], tuple[str, Evolve]] = {
    TrustRegistered: ("trust", trust.evolve),
    StaffRegistered: ("staff_member", staff.evolve),
    CycleScheduled: ("appraisal_cycle", cycle.evolve),
    ReviewStarted: ("review", review.evolve),
    ObjectiveDrafted: ("objective", objective.evolve),
    CpdPlanned: ("cpd_activity", cpd.evolve),
    EvidenceFileAttached: ("evidence", evidence.evolve),
    EvidenceLinkAttached: ("evidence", evidence.evolve),
    ObservationRecorded: ("observation", observation.evolve),
    PayRecommendationMade: ("pay_recommendation", pay.evolve),
    ObjectiveTemplatePublished: ("framework", framework.evolve),
    ObjectiveTemplateRetired: ("framework", framework.evolve),
    RatingScalePublished: ("framework", framework.evolve),
    ObservationPolicySet: ("framework", framework.evolve),
}


class StoredRecord(Protocol):
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


class Recorder(Protocol):
    def select_events(
        self,
        originator_id: Any,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Any: ...


@dataclass(frozen=True)
class HistoryEntry:
    """One stored event of an aggregate, decoded, with the hash of its stored record."""

    event: DomainEvent
    record_hash: str


@dataclass(frozen=True)
class AggregateAsOf:
    aggregate_id: UUID
    kind: str
    version: int
    state: dict[str, Any]
    history: list[HistoryEntry]
    raw_state: Any


class UnknownAggregate(LookupError):
    pass


# The fields every event carries; the rest are the event's own.
ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "actor_id", "actor_role", "prev_hash"}
)


def described(entry: HistoryEntry) -> dict[str, Any]:
    """One stored event as JSON values: version, type, when, who, its own fields, hashes."""
    e = entry.event
    return {
        "version": e.originator_version,
        "type": type(e).__name__,
        "timestamp": e.timestamp.isoformat(),
        "actor_id": str(e.actor_id),
        "actor_role": e.actor_role.value,
        "data": e.model_dump(mode="json", exclude=set(ENVELOPE)),
        "record_hash": entry.record_hash,
        "prev_hash": e.prev_hash,
    }


def history(
    recorder: Recorder, aggregate_id: UUID, *, upto: int | None = None
) -> list[HistoryEntry]:
    """The aggregate's events in version order (up to version ``upto``)."""
    records: list[StoredRecord] = list(recorder.select_events(aggregate_id, lte=upto))
    return [
        HistoryEntry(
            decode(r.topic, r.state, aggregate_id, r.originator_version),
            record_hash(r.topic, aggregate_id, r.originator_version, r.state),
        )
        for r in records
    ]


def as_of(
    recorder: Recorder,
    aggregate_id: UUID,
    *,
    version: int | None = None,
    at: datetime | None = None,
) -> AggregateAsOf:
    """The aggregate's state after ``version``, or as it stood at the moment ``at``."""
    return fold(aggregate_id, history(recorder, aggregate_id, upto=version), at=at)


def fold(
    aggregate_id: UUID,
    entries: list[HistoryEntry],
    *,
    version: int | None = None,
    at: datetime | None = None,
) -> AggregateAsOf:
    """The state after the given events (those up to ``version`` and the moment ``at``),
    folded with the aggregate's own ``evolve``."""
    if version is not None:
        entries = [e for e in entries if e.event.originator_version <= version]
    if at is not None:
        entries = [e for e in entries if e.event.timestamp <= at]
    if not entries:
        raise UnknownAggregate(f"no aggregate {aggregate_id} existed at that point")
    kind = KINDS.get(type(entries[0].event))
    if kind is None:
        raise UnknownAggregate(f"{aggregate_id} does not start like any aggregate")
    name, evolve = kind
    state: Any = None
    for e in entries:
        state = evolve(state, e.event)
    return AggregateAsOf(aggregate_id, name, state.version, jsonable(state), entries, state)


def jsonable(value: Any) -> Any:
    """Aggregate states (frozen dataclasses of ids, dates, enums, sets) as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted((jsonable(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value
