"""Who people are, for reminders: names, emails, line managers, school leaders, preferences.

One small interface (``People``) so the scheduler does not care which read model answers;
``ReadModelPeople`` reads the ``reminder_context`` read model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol
from uuid import UUID

from projections import reminder_context as rc
from projections.engine.db import Database

Person = rc.PersonView


class People(Protocol):
    def get_many(self, ids: Iterable[UUID]) -> dict[UUID, Person]: ...

    def school_leaders(self, school_ids: Iterable[UUID]) -> dict[UUID, list[Person]]: ...


class ReadModelPeople:
    """People from the ``reminder_context`` read model; school leaders cached per run."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._leaders: dict[UUID, list[Person]] = {}

    def get_many(self, ids: Iterable[UUID]) -> dict[UUID, Person]:
        return rc.people(self.db, ids)

    def school_leaders(self, school_ids: Iterable[UUID]) -> dict[UUID, list[Person]]:
        wanted = set(school_ids)
        missing = wanted - self._leaders.keys()
        if missing:
            found = rc.school_leaders(self.db, missing)
            for school_id in missing:
                self._leaders[school_id] = found.get(school_id, [])
        return {s: self._leaders[s] for s in wanted}
