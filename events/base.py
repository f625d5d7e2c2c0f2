"""The event contract: the base event, who did it, stable topics, versions and upcasting.

Every stored event is an immutable pydantic model. It is stored under a stable topic
(``appraisals/<Name>``) that never changes when a class moves, with its ``class_version``
beside its fields; an older stored version is upcast step by step on read, so history is
never rewritten.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

TOPIC_PREFIX = "appraisals/"

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Role(StrEnum):
    """Who an actor acts as. ``system`` is the service itself (migrations, scheduled jobs)."""

    STAFF = "staff"
    SCHOOL_LEADER = "school_leader"
    TRUST_LEADER = "trust_leader"
    AUDITOR = "auditor"
    # A member of a school's governing board (or of the trust board): appraises headteachers.
    GOVERNOR = "governor"
    ANALYST = "analyst"
    ADMIN = "admin"
    # Decides pay progression; reads pay recommendations and nothing else of a review.
    PAY_COMMITTEE = "pay_committee"
    SYSTEM = "system"


class DomainEvent(BaseModel):
    """Base of every appraisal event: which aggregate, which version, when, and who."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor_id: UUID
    actor_role: Role
    # The hash of the stored record of this aggregate's previous event (None for the first):
    # each aggregate's history is a hash chain, so an edited or deleted record shows.
    prev_hash: str | None = None

    # The schema version of the class; bumped (with an upcaster) when fields change.
    class_version: ClassVar[int] = 1
    # upcasters[n] turns the stored state of version n into version n + 1.
    upcasters: ClassVar[dict[int, Upcaster]] = {}
    # The stable stored name, set by @register.
    topic: ClassVar[str] = ""
    # Restricted events (the pay recommendation) are read only by their own audience: the
    # audit log records that they happened without their content; analysts never see them.
    restricted: ClassVar[bool] = False

    # Facts about the event, declared beside its fields (``events.facts`` reads them):
    # the audit log's one-line summary, a ``str.format`` template over the event's fields
    # ("" = the event's name); the fields that name or identify a person (personal data);
    # and the fields people write in their own words (free text, which may describe one).
    audit_summary: ClassVar[str] = ""
    personal: ClassVar[frozenset[str]] = frozenset()
    free_text: ClassVar[frozenset[str]] = frozenset()
    # The field naming the person the event is about, whose key seals its personal data
    # (events/sealing.py): set on the events that create a person's aggregate
    # ("originator_id" on a StaffMember's own events); later events of the aggregate inherit
    # it. "" on events about the organisation (trusts, cycles, frameworks).
    about: ClassVar[str] = ""
    # Reading this event erases its aggregate's person (their key: events/sealing.py).
    erases_subject: ClassVar[bool] = False


class TopicError(LookupError):
    """A stored topic names no registered event class."""


_REGISTRY: dict[str, type[DomainEvent]] = {}

E = TypeVar("E", bound=type[DomainEvent])


def register(name: str) -> Callable[[E], E]:
    """Register an event class under a stable name, so stored events outlive refactors."""

    def decorate(cls: E) -> E:
        topic = TOPIC_PREFIX + name
        existing = _REGISTRY.get(topic)
        if existing is not None and existing is not cls:
            raise ValueError(f"topic {topic!r} is already registered to {existing!r}")
        cls.topic = topic
        _REGISTRY[topic] = cls
        return cls

    return decorate


def resolve(topic: str) -> type[DomainEvent]:
    try:
        return _REGISTRY[topic]
    except KeyError:
        raise TopicError(f"no event class is registered for topic {topic!r}") from None


def registered_topics() -> dict[str, type[DomainEvent]]:
    return dict(_REGISTRY)


def topic_of(cls: type[DomainEvent]) -> str:
    if not cls.topic:
        raise TopicError(f"{cls.__name__} is not registered under a stable topic")
    return cls.topic


def upcast(cls: type[DomainEvent], state: dict[str, Any], stored_version: int) -> dict[str, Any]:
    """Bring a stored state of ``stored_version`` up to the class's current version."""
    version = stored_version
    while version < cls.class_version:
        step = cls.upcasters.get(version)
        if step is None:
            raise TopicError(f"{cls.__name__} has no upcaster from version {version}")
        state = step(state)
        version += 1
    return state
