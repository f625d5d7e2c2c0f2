"""Unit-test fixtures: the acting context at a fixed moment (never the wall clock), and an
in-memory SQLite event store with a command service and a small trust."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

import pytest

from aggregates.base import Context
from commands.service import CommandService
from commands.store import EventStoreApp
from events.base import Role
from testkit.scenario import Org, build_org
from tests.unit.aggregates.gwt import History
from tests.unit.support import FixedClock, new_store

ACTOR_ID = UUID("00000000-0000-4000-8000-0000000000ac")


@pytest.fixture
def ctx(fixed_now: datetime) -> Context:
    """Who decides and when: a fixed actor at the fixed moment of ``fixed_now``."""
    return Context(actor_id=ACTOR_ID, actor_role=Role.STAFF, now=fixed_now)


@pytest.fixture
def history(ctx: Context) -> History:
    """Builds given events stamped by ``ctx``, with consecutive versions per aggregate."""
    return History(ctx)


@pytest.fixture
def clock(fixed_now: datetime) -> FixedClock:
    return FixedClock(fixed_now)


@pytest.fixture
def event_store() -> Iterator[EventStoreApp]:
    store = new_store()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def service(event_store: EventStoreApp, clock: FixedClock) -> CommandService:
    return CommandService(event_store, clock=clock)


@pytest.fixture
def org(service: CommandService) -> Org:
    """Oak Learning Trust: two schools, Ann appraised by Bob in the open 2025-26 cycle
    (at most three objectives)."""
    return build_org(service)
