"""Events of the StaffMember aggregate: who they are, where they work, who manages them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from events.base import DomainEvent, register
from events.values import StaffCategory


def _staff_registered_v1_to_v2(state: dict[str, Any]) -> dict[str, Any]:
    # Version 1 did not distinguish teachers from support staff and headteachers;
    # everyone registered then was on the teachers' policy.
    return {**state, "category": StaffCategory.TEACHER.value}


@register("StaffRegistered")
class StaffRegistered(DomainEvent):
    about: ClassVar[str] = "originator_id"
    audit_summary: ClassVar[str] = "Staff registered: {name}, {job_title}"
    personal: ClassVar[frozenset[str]] = frozenset({"email", "name", "preferred_name"})

    class_version = 2
    upcasters = {1: _staff_registered_v1_to_v2}  # noqa: RUF012

    trust_id: UUID
    name: str
    email: str
    job_title: str
    category: StaffCategory
    # The name they go by (a directory shows it); None: the same as ``name``.
    preferred_name: str | None = None


@register("AssignedToSchool")
class AssignedToSchool(DomainEvent):
    about: ClassVar[str] = "originator_id"
    audit_summary: ClassVar[str] = "Assigned to school {school_id} from {effective_date}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    school_id: UUID
    previous_school_id: UUID | None
    effective_date: date
    reason: str | None = None


@register("LineManagerChanged")
class LineManagerChanged(DomainEvent):
    about: ClassVar[str] = "originator_id"
    audit_summary: ClassVar[str] = "Line manager changed to {line_manager_id}: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    line_manager_id: UUID | None
    reason: str


@register("StaffLeft")
class StaffLeft(DomainEvent):
    about: ClassVar[str] = "originator_id"
    audit_summary: ClassVar[str] = "Left on {effective_date}: {reason}"
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    effective_date: date
    reason: str


@register("StaffRenamed")
class StaffRenamed(DomainEvent):
    """A change of legal or preferred name (marriage, a correction, an MIS sync)."""

    about: ClassVar[str] = "originator_id"
    audit_summary: ClassVar[str] = "Name changed from {old_name} to {new_name}: {reason}"
    personal: ClassVar[frozenset[str]] = frozenset({"new_name", "old_name", "preferred_name"})
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    old_name: str
    new_name: str
    preferred_name: str | None = None
    reason: str


@register("JobTitleChanged")
class JobTitleChanged(DomainEvent):
    about: ClassVar[str] = "originator_id"
    audit_summary: ClassVar[str] = (
        "Job title changed from {old_job_title} to {new_job_title}: {reason}"
    )
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    old_job_title: str
    new_job_title: str
    reason: str


class ErasureBasis(StrEnum):
    """Why a person's data was erased: their request, or the trust's retention policy."""

    REQUEST = "request"
    RETENTION = "retention"


@register("PersonErased")
class PersonErased(DomainEvent):
    """A leaver's personal data was erased (their key deleted: docs/privacy.md). The reason
    stays readable: it is the record of why, and must not name them."""

    audit_summary: ClassVar[str] = "Personal data erased ({basis}): {reason}"
    # Reading this event tells a process to drop the person's key from its memory.
    erases_subject = True

    basis: ErasureBasis
    reason: str
