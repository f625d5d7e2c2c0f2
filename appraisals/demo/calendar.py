"""The demo's calendar: the two cycles, the story's milestones, and the simulated clock.

Everything is derived from the first cycle's starting year (2024 gives "2024-25", closed, and
"2025-26", in progress), so the same seed always tells the same story on the same dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from uuid import UUID

from commands import messages as m

DAY_STARTS = time(8, 0)
WORKING_SECONDS = 9 * 3600  # 08:00 to 17:00 UTC


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def working_days(start: date, end: date) -> list[date]:
    """The weekdays from ``start`` to ``end`` inclusive (at least ``start`` itself)."""
    days = [start + timedelta(d) for d in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5] or [start]


def moment(rng: Random, start: date, end: date) -> datetime:
    """A random moment of the working day, on a weekday between ``start`` and ``end``."""
    days = working_days(start, end)
    day = days[rng.randrange(len(days))]
    return datetime.combine(day, DAY_STARTS, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(WORKING_SECONDS)
    )


def later(rng: Random, after: datetime, low: int, high: int) -> datetime:
    """A working moment ``low`` to ``high`` weekdays after ``after`` (same day when 0)."""
    day = after.date()
    for _ in range(rng.randint(low, high)):
        day += timedelta(1)
        while day.weekday() >= 5:
            day += timedelta(1)
    if day == after.date():
        return after + timedelta(minutes=rng.randint(5, 90))
    return moment(rng, day, day)


class SimClock:
    """The demo's clock: a moment that only moves forward as the story proceeds."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance_to(self, moment: datetime) -> None:
        if moment > self.now:
            self.now = moment

    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class CycleCalendar:
    """One cycle's name and dates, as scheduled."""

    name: str
    start: date
    end: date
    objective_setting_deadline: date
    mid_year_start: date
    mid_year_end: date
    end_year_deadline: date

    @classmethod
    def for_year(cls, year: int) -> CycleCalendar:
        return cls(
            name=f"{year}-{(year + 1) % 100:02d}",
            start=date(year, 9, 1),
            end=date(year + 1, 8, 31),
            objective_setting_deadline=date(year, 10, 31),
            mid_year_start=date(year + 1, 2, 1),
            mid_year_end=date(year + 1, 3, 31),
            end_year_deadline=date(year + 1, 7, 15),
        )

    def schedule(self, trust_id: UUID, **policy: object) -> m.ScheduleCycle:
        return m.ScheduleCycle.model_validate(
            {
                "trust_id": trust_id,
                "name": self.name,
                "start_date": self.start,
                "end_date": self.end,
                "objective_setting_deadline": self.objective_setting_deadline,
                "mid_year_window_start": self.mid_year_start,
                "mid_year_window_end": self.mid_year_end,
                "end_year_deadline": self.end_year_deadline,
                **policy,
            }
        )


Window = tuple[date, date]


class Timeline:
    """When each part of the story happens: cycle A (closed) and cycle B (in progress)."""

    def __init__(self, year: int) -> None:
        y, z, w = year, year + 1, year + 2
        self.a = CycleCalendar.for_year(y)
        self.b = CycleCalendar.for_year(z)
        # The organisation (the trust's own timeline).
        self.trust_registered = at(date(y, 6, 3), 9)
        self.leaders_registered = at(date(y, 6, 4), 9)
        self.priorities_added = at(date(y, 6, 10), 10)
        self.a_scheduled = at(date(y, 7, 1), 10)
        self.a_opened = at(date(y, 9, 2), 7, 30)
        self.school_renamed = at(date(z, 1, 20), 10)
        self.b_scheduled = at(date(z, 6, 16), 9)
        self.b_policy_changed = at(date(z, 6, 30), 10)
        self.priorities_changed = at(date(z, 7, 15), 10)
        self.a_closed = at(date(z, 7, 23), 16)
        self.a_reopened = at(date(z, 8, 26), 9)
        self.a_closed_again = at(date(z, 8, 29), 12)
        self.b_opened = at(date(z, 9, 1), 7, 30)
        self.b_priorities_added = at(date(z, 9, 1), 8)
        # Cycle A, everyone.
        self.staff_registration: Window = (date(y, 7, 8), date(y, 7, 19))
        self.a_reviews_started: Window = (date(y, 9, 3), date(y, 9, 6))
        self.a_planning: Window = (date(y, 9, 9), date(y, 10, 4))
        self.a_progress_1: Window = (date(y, 11, 4), date(y, 12, 13))
        self.a_transfer = date(z, 1, 6)
        self.a_progress_2: Window = (date(z, 1, 13), date(z, 1, 31))
        self.a_mid_year: Window = (date(z, 2, 3), date(z, 3, 21))
        self.a_leaving: Window = (date(z, 4, 22), date(z, 4, 25))
        self.a_left_on = date(z, 4, 30)
        self.a_progress_3: Window = (date(z, 4, 28), date(z, 5, 23))
        self.a_self_assessment: Window = (date(z, 6, 2), date(z, 6, 13))
        self.a_end_year: Window = (date(z, 6, 16), date(z, 7, 2))
        self.a_end_year_early: Window = (date(z, 6, 16), date(z, 6, 24))
        self.a_late_moderation: Window = (date(z, 8, 27), date(z, 8, 28))
        # Cycle B, everyone still here, and the new starters.
        self.joiners_registration: Window = (date(z, 8, 18), date(z, 8, 22))
        self.b_reviews_started: Window = (date(z, 9, 2), date(z, 9, 5))
        self.b_planning: Window = (date(z, 9, 8), date(z, 10, 3))
        self.b_progress_1: Window = (date(z, 11, 3), date(z, 12, 12))
        self.b_leaving: Window = (date(z, 12, 15), date(z, 12, 19))
        self.b_left_on = date(z, 12, 31)
        self.b_transfer = date(w, 1, 5)
        self.b_progress_2: Window = (date(w, 1, 12), date(w, 1, 30))
        self.b_mid_year: Window = (date(w, 2, 2), date(w, 3, 13))
        self.b_progress_3: Window = (date(w, 3, 16), date(w, 3, 27))
