"""The StaffMember aggregate: a person employed by a trust, where they work and who manages them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from aggregates.base import Context, first_event, next_event, require, require_text
from events.base import DomainEvent
from events.reminders import Frequency, ReminderPreferenceChanged
from events.staff import (
    AssignedToSchool,
    JobTitleChanged,
    LineManagerChanged,
    StaffLeft,
    StaffRegistered,
    StaffRenamed,
)
from events.subject_access import SubjectAccessExported
from events.values import StaffCategory

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Assignment:
    school_id: UUID
    effective_date: date


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: UUID
    version: int
    trust_id: UUID
    name: str
    email: str
    job_title: str
    category: StaffCategory
    assignments: tuple[Assignment, ...] = ()
    line_manager_id: UUID | None = None
    left_on: date | None = None
    preferred_name: str | None = None
    reminder_frequency: Frequency = Frequency.IMMEDIATE
    optional_reminders: bool = True

    @property
    def school_id(self) -> UUID | None:
        """The school they are assigned to now (the latest assignment)."""
        return self.assignments[-1].school_id if self.assignments else None

    @property
    def has_left(self) -> bool:
        return self.left_on is not None

    def school_on(self, day: date) -> UUID | None:
        """The school they were assigned to on a given day."""
        current = None
        for a in self.assignments:
            if a.effective_date <= day:
                current = a.school_id
        return current


def register_staff(
    staff_id: UUID,
    trust_id: UUID,
    name: str,
    email: str,
    job_title: str,
    category: StaffCategory,
    ctx: Context,
    preferred_name: str | None = None,
) -> list[DomainEvent]:
    require_text(name, "name", rule="staff-name-required")
    require_text(job_title, "job title", rule="job-title-required")
    require(bool(_EMAIL.match(email.strip())), "email-valid", f"{email!r} is not an email address")
    return [
        first_event(
            StaffRegistered,
            staff_id,
            ctx,
            trust_id=trust_id,
            name=name.strip(),
            email=email.strip().lower(),
            job_title=job_title.strip(),
            category=category,
            preferred_name=_preferred(preferred_name, name),
        )
    ]


def _preferred(preferred_name: str | None, name: str) -> str | None:
    value = (preferred_name or "").strip()
    return value if value and value != name.strip() else None


def rename_staff(
    staff: StaffMember, new_name: str, preferred_name: str | None, reason: str, ctx: Context
) -> list[DomainEvent]:
    _require_employed(staff)
    require_text(new_name, "name", rule="staff-name-required")
    preferred = _preferred(preferred_name, new_name)
    require(
        (new_name.strip(), preferred) != (staff.name, staff.preferred_name),
        "name-changed",
        "this is already their name",
    )
    require_text(reason, "reason", rule="reason-required")
    return [
        next_event(
            StaffRenamed,
            staff,
            ctx,
            old_name=staff.name,
            new_name=new_name.strip(),
            preferred_name=preferred,
            reason=reason.strip(),
        )
    ]


def change_job_title(
    staff: StaffMember, job_title: str, reason: str, ctx: Context
) -> list[DomainEvent]:
    _require_employed(staff)
    require_text(job_title, "job title", rule="job-title-required")
    require(
        job_title.strip() != staff.job_title,
        "job-title-changed",
        "this is already their job title",
    )
    require_text(reason, "reason", rule="reason-required")
    return [
        next_event(
            JobTitleChanged,
            staff,
            ctx,
            old_job_title=staff.job_title,
            new_job_title=job_title.strip(),
            reason=reason.strip(),
        )
    ]


def assign_to_school(
    staff: StaffMember, school_id: UUID, effective_date: date, reason: str | None, ctx: Context
) -> list[DomainEvent]:
    _require_employed(staff)
    require(
        school_id != staff.school_id,
        "school-changed",
        "the staff member is already assigned to this school",
    )
    if staff.assignments:
        last = staff.assignments[-1].effective_date
        require(
            effective_date >= last,
            "assignment-date-order",
            f"a move cannot take effect before the previous one ({last.isoformat()})",
        )
        require_text(reason or "", "reason", rule="transfer-reason-required")
    return [
        next_event(
            AssignedToSchool,
            staff,
            ctx,
            school_id=school_id,
            previous_school_id=staff.school_id,
            effective_date=effective_date,
            reason=reason.strip() if reason else None,
        )
    ]


def change_line_manager(
    staff: StaffMember, line_manager_id: UUID | None, reason: str, ctx: Context
) -> list[DomainEvent]:
    _require_employed(staff)
    require(line_manager_id != staff.id, "not-own-manager", "nobody can be their own line manager")
    require(
        line_manager_id != staff.line_manager_id,
        "line-manager-changed",
        "this is already their line manager",
    )
    require_text(reason, "reason", rule="reason-required")
    return [
        next_event(
            LineManagerChanged, staff, ctx, line_manager_id=line_manager_id, reason=reason.strip()
        )
    ]


def record_leaving(
    staff: StaffMember, effective_date: date, reason: str, ctx: Context
) -> list[DomainEvent]:
    _require_employed(staff)
    require_text(reason, "reason", rule="reason-required")
    return [next_event(StaffLeft, staff, ctx, effective_date=effective_date, reason=reason.strip())]


def _require_employed(staff: StaffMember) -> None:
    require(not staff.has_left, "staff-employed", f"{staff.name} has left the trust")


def record_subject_access_export(
    staff: StaffMember,
    *,
    format: str,
    up_to_position: int,
    counts: tuple[int, int, int],
    sha256: str,
    ctx: Context,
) -> list[DomainEvent]:
    """A copy of everything held about the person was produced (leavers included: the right
    of access outlasts employment). ``counts``: events, read-model rows and files."""
    events, rows, files = counts
    return [
        next_event(
            SubjectAccessExported,
            staff,
            ctx,
            trust_id=staff.trust_id,
            person_id=staff.id,
            format=format,
            up_to_position=up_to_position,
            event_count=events,
            row_count=rows,
            file_count=files,
            sha256=sha256,
        )
    ]


def evolve(state: StaffMember | None, event: DomainEvent) -> StaffMember:
    if isinstance(event, StaffRegistered):
        return StaffMember(
            id=event.originator_id,
            version=event.originator_version,
            trust_id=event.trust_id,
            name=event.name,
            email=event.email,
            job_title=event.job_title,
            category=event.category,
            preferred_name=event.preferred_name,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before StaffRegistered")
    match event:
        case AssignedToSchool():
            a = Assignment(event.school_id, event.effective_date)
            return replace(
                state, version=event.originator_version, assignments=(*state.assignments, a)
            )
        case LineManagerChanged():
            return replace(
                state, version=event.originator_version, line_manager_id=event.line_manager_id
            )
        case StaffRenamed():
            return replace(
                state,
                version=event.originator_version,
                name=event.new_name,
                preferred_name=event.preferred_name,
            )
        case JobTitleChanged():
            return replace(state, version=event.originator_version, job_title=event.new_job_title)
        case StaffLeft():
            return replace(state, version=event.originator_version, left_on=event.effective_date)
        case SubjectAccessExported():
            return replace(state, version=event.originator_version)
        case ReminderPreferenceChanged():
            return replace(
                state,
                version=event.originator_version,
                reminder_frequency=event.frequency,
                optional_reminders=event.optional_reminders,
            )
    return replace(state, version=event.originator_version)
