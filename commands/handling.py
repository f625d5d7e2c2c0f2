"""What a handler works with: loading aggregates, the actor's context, ids, and its outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from aggregates import review
from aggregates.base import Context
from aggregates.errors import NOT_VISIBLE, Hidden, NotFound, StaleVersion
from commands.messages import Command
from commands.policy import Scope, authorise
from commands.principal import Principal
from commands.states import (
    ACCESS,
    CPD,
    CYCLE,
    EVIDENCE,
    FRAMEWORK,
    OBJECTIVE,
    OBSERVATION,
    PAY,
    REVIEW,
    STAFF,
    TRUST,
    Kind,
    StateCache,
    load,
)
from events.base import DomainEvent, Role

S = TypeVar("S")


@dataclass
class Outcome:
    """The events a command decided, and which aggregate the caller is told about."""

    target_id: UUID
    events: list[DomainEvent]
    # The id of a thing the command created inside the target (a school, a priority, a
    # carried-forward objective), when the caller needs to know it.
    created_id: UUID | None = None


@dataclass
class Handling:
    """One command's run: where states come from, who acts, when, and how ids are made."""

    states: StateCache
    principal: Principal
    ctx: Context
    new_id: Callable[[], UUID]
    expected_version: int | None = None
    fresh: bool = False

    def load(self, kind: Kind[S], aggregate_id: UUID) -> S:
        """A context aggregate: cached for a moment, or read now when ``fresh``."""
        max_age = 0.0 if self.fresh else self.states.context_ttl
        return self.states.get(kind, aggregate_id, max_age=max_age)

    def target(self, kind: Kind[S], aggregate_id: UUID) -> S:
        """The aggregate the command changes, checked against the caller's expected version."""
        max_age = 0.0 if self.fresh else float("inf")
        state = self.states.get(kind, aggregate_id, max_age=max_age)
        version: int = getattr(state, "version")  # noqa: B009 - every state has one
        if self.expected_version is not None and self.expected_version != version:
            if not self.fresh:  # the cached copy may be behind: look again before refusing
                state = self.states.get(kind, aggregate_id, max_age=0.0)
                version = getattr(state, "version")  # noqa: B009
            if self.expected_version != version:
                raise StaleVersion(
                    f"the {kind.name} is at version {version}, not {self.expected_version}",
                    expected=self.expected_version,
                    actual=version,
                )
        return state

    def maybe(self, kind: Kind[S], aggregate_id: UUID) -> S | None:
        """A context aggregate that may not exist yet (a trust's framework)."""
        try:
            return self.load(kind, aggregate_id)
        except NotFound:
            return None

    def authorise(self, command: Command, scope: Scope) -> None:
        authorise(self.principal, command, scope)

    def load_in_trust(self, kind: Kind[S], aggregate_id: UUID, trust_id: UUID) -> S:
        """A context aggregate named in a command's body, which must belong to ``trust_id``:
        one of another trust is answered exactly as an unknown id (no existence oracle)."""
        state = self.load(kind, aggregate_id)
        if getattr(state, "trust_id", None) != trust_id:
            raise Hidden(NOT_VISIBLE, f"the {kind.name} belongs to another trust")
        return state


def review_scope(h: Handling, rv: review.Review) -> Scope:
    """Scope for appraisal work: the appraisee's current school decides which leaders may act."""
    school_id = rv.school_id
    if h.principal.role is Role.SCHOOL_LEADER:
        appraisee = h.load(STAFF, rv.appraisee_id)
        school_id = appraisee.school_id or rv.school_id
    return Scope(
        trust_id=rv.trust_id,
        school_id=school_id,
        appraisee_id=rv.appraisee_id,
        appraiser_id=rv.appraiser_id,
        panel_ids=rv.panel_ids,
    )


__all__ = [
    "ACCESS",
    "CPD",
    "CYCLE",
    "EVIDENCE",
    "FRAMEWORK",
    "OBJECTIVE",
    "OBSERVATION",
    "PAY",
    "REVIEW",
    "STAFF",
    "TRUST",
    "Handling",
    "Kind",
    "Outcome",
    "load",
    "review_scope",
]
