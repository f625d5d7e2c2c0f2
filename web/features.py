"""Where the replay feature plugs in: cycle summaries as they stood at a past moment
(``replay.summaries``).

It is looked up when used, so the dashboard runs with or without it: without it, the date
picker is shown disabled, with a note.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from projections.engine.db import Database


def _find(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if callable(found) else None


def summary_as_of() -> Callable[..., Any] | None:
    """``trust_summary_as_of(db, trust_id, cycle_id, at=...)``, once it exists."""
    return _find("replay.summaries", "trust_summary_as_of")


@dataclass(frozen=True, slots=True)
class Past:
    """A summary as it stood at the end of a day, or why it cannot be shown."""

    moment: datetime
    view: Any | None
    problem: str | None = None


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(
        microseconds=1
    )


def trust_summary_on(db: Database, trust_id: UUID, cycle_id: UUID, day: date) -> Past | None:
    """The trust's cycle summary as it stood at the end of ``day`` (UTC); None without the
    replay feature."""
    return _summary_on(summary_as_of(), db, trust_id, cycle_id, day)


def school_summary_on(db: Database, school_id: UUID, cycle_id: UUID, day: date) -> Past | None:
    """A school's cycle summary as it stood at the end of ``day`` (UTC)."""
    as_of = _find("replay.summaries", "school_summary_as_of")
    return _summary_on(as_of, db, school_id, cycle_id, day)


def _summary_on(
    as_of: Callable[..., Any] | None, db: Database, subject: UUID, cycle_id: UUID, day: date
) -> Past | None:
    if as_of is None:
        return None
    moment = end_of(day)
    try:
        answer = as_of(db, subject, cycle_id, at=moment)
    except (RuntimeError, ValueError) as e:  # the replay's NotReady is a RuntimeError
        return Past(moment, None, str(e))
    return Past(moment, getattr(answer, "view", None))
