"""Unit-test fixtures: the acting context at a fixed moment (never the wall clock)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import pytest

from aggregates.base import Context
from events.base import Role
from tests.unit.aggregates.gwt import History

ACTOR_ID = UUID("00000000-0000-4000-8000-0000000000ac")


@pytest.fixture
def ctx(fixed_now: datetime) -> Context:
    """Who decides and when: a fixed actor at the fixed moment of ``fixed_now``."""
    return Context(actor_id=ACTOR_ID, actor_role=Role.STAFF, now=fixed_now)


@pytest.fixture
def history(ctx: Context) -> History:
    """Builds given events stamped by ``ctx``, with consecutive versions per aggregate."""
    return History(ctx)
