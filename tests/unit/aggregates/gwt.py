"""Given/when/then over events for the pure aggregates.

``accepted`` folds the given events with ``evolve``, runs the decision (``when``) on that
state, asserts it decided exactly the expected events (``then``) and returns the state the
given and decided events replay into. ``rejected`` asserts the decision broke the named rule
and recorded nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar
from uuid import UUID

import pytest

from aggregates.base import Context
from aggregates.errors import RuleBroken
from events.base import DomainEvent

S = TypeVar("S")
Evolve = Callable[[Any, DomainEvent], S]
Decision = Callable[[Any], list[DomainEvent]]


def fold(evolve: Evolve[S], events: Iterable[DomainEvent]) -> S | None:
    state: S | None = None
    for event in events:
        state = evolve(state, event)
    return state


def accepted(
    evolve: Evolve[S],
    *,
    given: Sequence[DomainEvent],
    when: Decision,
    then: Sequence[DomainEvent],
) -> S:
    """Assert the decision on the given history is exactly ``then``; the replayed state after."""
    decided = when(fold(evolve, given))
    assert decided == list(then)
    after = fold(evolve, [*given, *decided])
    assert after is not None
    assert getattr(after, "version") == decided[-1].originator_version  # noqa: B009
    return after


def rejected(
    evolve: Evolve[S],
    *,
    given: Sequence[DomainEvent],
    when: Decision,
    rule: str,
) -> RuleBroken:
    """Assert the decision on the given history breaks ``rule`` (and says why in words)."""
    with pytest.raises(RuleBroken) as caught:
        when(fold(evolve, given))
    broken = caught.value
    assert broken.rule == rule, f"broke {broken.rule!r} instead: {broken.message}"
    assert broken.message.strip()
    return broken


def stamp(
    cls: type[DomainEvent], aggregate_id: UUID, version: int, ctx: Context, **fields: Any
) -> DomainEvent:
    """An event as a decision taken in ``ctx`` stamps it."""
    return cls(
        originator_id=aggregate_id,
        originator_version=version,
        timestamp=ctx.now,
        actor_id=ctx.actor_id,
        actor_role=ctx.actor_role,
        **fields,
    )


def on(ctx: Context, day: date, hour: int = 9) -> Context:
    """The same actor deciding at ``hour`` on another (fixed) day."""
    return replace(ctx, now=datetime.combine(day, time(hour), tzinfo=UTC))


@dataclass
class History:
    """Given events stamped by one context, with consecutive versions per aggregate."""

    ctx: Context
    versions: dict[UUID, int] = field(default_factory=dict)

    def __call__(
        self,
        cls: type[DomainEvent],
        aggregate_id: UUID,
        *,
        ctx: Context | None = None,
        **fields: Any,
    ) -> DomainEvent:
        version = self.versions.get(aggregate_id, 0) + 1
        self.versions[aggregate_id] = version
        return stamp(cls, aggregate_id, version, ctx or self.ctx, **fields)

    def next(
        self,
        cls: type[DomainEvent],
        aggregate_id: UUID,
        *,
        ctx: Context | None = None,
        offset: int = 1,
        **fields: Any,
    ) -> DomainEvent:
        """The event a decision is expected to make next (it does not join the history)."""
        version = self.versions.get(aggregate_id, 0) + offset
        return stamp(cls, aggregate_id, version, ctx or self.ctx, **fields)
