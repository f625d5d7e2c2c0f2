"""What a handler works with: loading aggregates, the actor's context, ids, and its outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from aggregates import cycle, objective, review, staff, trust
from aggregates.base import Context, projector
from aggregates.errors import NotFound, StaleVersion
from commands.messages import Command
from commands.policy import Scope, authorise
from commands.principal import Principal
from commands.store import EventStoreApp
from events.base import DomainEvent

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


def load(store: EventStoreApp, kind: Kind[S], aggregate_id: UUID) -> S:
    """The current state of an aggregate of the given kind, or ``NotFound``."""
    project: Any = _guarded(kind)
    try:
        state = store.repository.get(aggregate_id, projector_func=project)
    except AggregateNotFoundError:
        state = None
    if state is None:
        raise NotFound(f"there is no {kind.name} with id {aggregate_id}")
    return state  # type: ignore[no-any-return]


def _guarded(kind: Kind[S]) -> Callable[[Any, Iterable[DomainEvent]], S | None]:
    # An id of another kind of aggregate replays events this kind does not start with.
    def project(state: Any, events: Iterable[DomainEvent]) -> S | None:
        try:
            return kind.project(state, events)
        except (ValueError, KeyError, AttributeError):
            return None

    return project


@dataclass
class Outcome:
    """The events a command decided, and which aggregate the caller is told about."""

    target_id: UUID
    events: list[DomainEvent]


@dataclass
class Handling:
    """One command's run: the store to load from, who acts, when, and how ids are made."""

    store: EventStoreApp
    principal: Principal
    ctx: Context
    new_id: Callable[[], UUID]
    expected_version: int | None = None
    _target_checked: bool = field(default=False, repr=False)

    def load(self, kind: Kind[S], aggregate_id: UUID) -> S:
        return load(self.store, kind, aggregate_id)

    def target(self, kind: Kind[S], aggregate_id: UUID) -> S:
        """Load the aggregate the command acts on, checking the caller's expected version."""
        state = self.load(kind, aggregate_id)
        version: int = getattr(state, "version")  # noqa: B009 - every state has one
        if self.expected_version is not None and self.expected_version != version:
            raise StaleVersion(
                f"the {kind.name} is at version {version}, not {self.expected_version}",
                expected=self.expected_version,
                actual=version,
            )
        self._target_checked = True
        return state

    def authorise(self, command: Command, scope: Scope) -> None:
        authorise(self.principal, command, scope)


def review_scope(h: Handling, rv: review.Review) -> Scope:
    """Scope for appraisal work: the appraisee's current school decides which leaders may act."""
    school_id = rv.school_id
    if h.principal.role.value in ("school_leader",):
        appraisee = h.load(STAFF, rv.appraisee_id)
        school_id = appraisee.school_id or rv.school_id
    return Scope(
        trust_id=rv.trust_id,
        school_id=school_id,
        appraisee_id=rv.appraisee_id,
        appraiser_id=rv.appraiser_id,
    )
