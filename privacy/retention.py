"""Retention: leavers' personal data erased a trust's chosen number of years after they left.

Each trust sets its policy by command (``SetRetentionPolicy``, an event with who and why).
``plan`` lists who is due (by name, with their leaving date and the day they fall due) from
the directory read model and the trusts' policies; ``run`` erases them through the same
``Eraser`` as a request, with basis ``retention``. An APScheduler job runs it in every
process that runs the service: each erasure carries the idempotency key
``retention:<person>`` and the aggregate refuses a second erasure, so any number of
processes and restarts erase each person once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from aggregates.errors import DomainError
from commands.principal import Principal
from commands.service import CommandService
from commands.states import STAFF, TRUST
from events.actors import RETENTION_ID
from events.base import Role
from events.sealing import ERASED_PERSON
from events.staff import ErasureBasis
from privacy.erasure import Eraser, Erasure
from projections.engine.db import Database

log = logging.getLogger(__name__)

# The service itself, erasing by policy (recorded as the actor of retention erasures).
RETENTION = Principal(RETENTION_ID, Role.ADMIN)
JOB = "privacy_retention"


@dataclass(frozen=True, slots=True)
class Due:
    """A leaver whose data the policy erases, and from when."""

    person_id: UUID
    trust_id: UUID
    name: str
    left_on: date
    erase_on: date
    years: int


def erase_on(left_on: date, years: int) -> date:
    """``years`` whole years after leaving (29 February falls due on 28 February)."""
    try:
        return left_on.replace(year=left_on.year + years)
    except ValueError:
        return left_on.replace(year=left_on.year + years, day=28)


def policies(commands: CommandService, trust_ids: set[UUID]) -> dict[UUID, int]:
    """Each trust's retention years (trusts without a policy keep data until erased by hand)."""
    out: dict[UUID, int] = {}
    for trust_id in trust_ids:
        years = commands.states.get(TRUST, trust_id, max_age=0).retention_years
        if years is not None:
            out[trust_id] = years
    return out


def plan(
    db: Database,
    commands: CommandService,
    *,
    today: date,
    trust_id: UUID | None = None,
    horizon: date | None = None,
) -> list[Due]:
    """Leavers due for erasure on ``today`` (or by ``horizon``, for a look ahead), by name."""
    where = "left_on IS NOT NULL AND display_name <> ?"
    params: list[object] = [ERASED_PERSON]
    with db.transaction(write=False) as tx:
        if trust_id is not None:
            where += " AND trust_id = ?"
            params.append(tx.param("id", trust_id))
        rows = tx.query(
            "SELECT staff_id, trust_id, display_name, left_on FROM rm_directory_people "
            f"WHERE {where} ORDER BY left_on, sort_key",
            params,
        )
    leavers = [
        (UUID(str(s)), UUID(str(t)), str(n), left if isinstance(left, date) else _day(left))
        for s, t, n, left in rows
    ]
    years_of = policies(commands, {t for _, t, _, _ in leavers})
    until = horizon or today
    due = []
    for person, trust, name, left in leavers:
        years = years_of.get(trust)
        if years is None:
            continue
        when = erase_on(left, years)
        if when <= until:
            due.append(Due(person, trust, name, left, when, years))
    return due


def run(
    eraser: Eraser, db: Database, *, today: date, trust_id: UUID | None = None
) -> list[Erasure]:
    """Erase everyone due today; those another process erased first are skipped. Erasures
    recorded but not carried out (a process stopped half-way) are finished first."""
    eraser.finish_interrupted()
    done = []
    for d in plan(db, eraser.commands, today=today, trust_id=trust_id):
        if eraser.commands.states.get(STAFF, d.person_id, max_age=0).erased:
            continue
        try:
            done.append(
                eraser.erase(
                    d.person_id,
                    reason=(
                        f"retention policy: {d.years} years after leaving on "
                        f"{d.left_on.isoformat()}"
                    ),
                    principal=RETENTION,
                    basis=ErasureBasis.RETENTION,
                    idempotency_key=f"retention:{d.person_id}",
                )
            )
        except DomainError as e:  # erased meanwhile by another process, or by hand
            log.info("retention skipped %s: %s", d.person_id, e)
    return done


class RetentionScheduler:
    """The retention pass on an APScheduler timer in this process."""

    def __init__(
        self, work: Callable[[], object], *, interval: float, first_run: datetime | None = None
    ) -> None:
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_job(
            _guarded(work),
            IntervalTrigger(seconds=interval),
            id=JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=first_run or datetime.now(UTC),
        )

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def _guarded(work: Callable[[], object]) -> Callable[[], None]:
    def run_once() -> None:
        try:
            work()
        except Exception:
            # The next interval tries again: erasures already made are recorded events.
            log.exception("the retention pass failed; the next run retries")

    return run_once


def _day(value: object) -> date:
    return date.fromisoformat(str(value)[:10])


def today_utc() -> date:
    return datetime.now(UTC).date()
