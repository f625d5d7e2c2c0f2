"""What every aggregate shares: immutable state, the command context, and event stamping.

Aggregates are pure: a decision function takes the current state, the command's data and a
``Context`` (who acts and when, injected, never read from a clock) and returns new events;
an ``evolve`` function folds an event into the state. Rules are checked only in decisions,
so replaying history never re-runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from aggregates.errors import RuleBroken
from events.base import DomainEvent, Role


@dataclass(frozen=True, slots=True)
class Context:
    """Who is acting, as what, and the moment the command is decided."""

    actor_id: UUID
    actor_role: Role
    now: datetime


class State(Protocol):
    @property
    def id(self) -> UUID: ...

    @property
    def version(self) -> int: ...


S = TypeVar("S", bound=State)
Ev = TypeVar("Ev", bound=DomainEvent)


def first_event(cls: type[Ev], aggregate_id: UUID, ctx: Context, **fields: Any) -> Ev:
    """The event that creates an aggregate (version 1)."""
    return cls(
        originator_id=aggregate_id,
        originator_version=1,
        timestamp=ctx.now,
        actor_id=ctx.actor_id,
        actor_role=ctx.actor_role,
        **fields,
    )


def next_event(cls: type[Ev], state: State, ctx: Context, *, offset: int = 1, **fields: Any) -> Ev:
    """The next event of an existing aggregate (``offset`` for the n-th of several)."""
    return cls(
        originator_id=state.id,
        originator_version=state.version + offset,
        timestamp=ctx.now,
        actor_id=ctx.actor_id,
        actor_role=ctx.actor_role,
        **fields,
    )


def projector(
    evolve: Callable[[S | None, DomainEvent], S],
) -> Callable[[S | None, Iterable[DomainEvent]], S | None]:
    """Turn an ``evolve`` function into the repository's projector function."""

    def project(state: S | None, events: Iterable[DomainEvent]) -> S | None:
        for event in events:
            state = evolve(state, event)
        return state

    return project


def require(condition: bool, rule: str, message: str) -> None:
    """Raise ``RuleBroken`` naming ``rule`` unless ``condition`` holds."""
    if not condition:
        raise RuleBroken(rule, message)


def require_text(value: str, field: str, *, rule: str | None = None) -> None:
    require(
        bool(value and value.strip()), rule or f"{field}-required", f"{field} must not be blank"
    )
