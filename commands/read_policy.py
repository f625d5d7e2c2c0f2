"""Who may read what: the query side's scoping, the same relations as the command policy.

Staff read their own records and their appraisees'; school leaders the staff of the schools
they lead; trust leaders, auditors and admins their whole trust; analysts only aggregates
(summaries, never one person's record). A denied read answers as if the record did not
exist, so a denial never tells whether it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from commands.principal import Principal
from events.base import Role

TRUST_WIDE_READERS = frozenset({Role.TRUST_LEADER, Role.AUDITOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class ReadScope:
    """What a record is about: its trust, school(s), and the people it concerns."""

    trust_id: UUID | None
    school_ids: frozenset[UUID] = field(default_factory=frozenset)
    people: frozenset[UUID] = field(default_factory=frozenset)


def may_read_record(p: Principal, s: ReadScope) -> bool:
    """One person's record (a review, an objective, a staff member, an aggregate's history)."""
    if s.trust_id is not None and not p.in_trust(s.trust_id):
        return False
    if p.role in TRUST_WIDE_READERS:
        return True
    if p.role is Role.ANALYST:
        return False
    if p.id in s.people:
        return True
    return p.role is Role.SCHOOL_LEADER and bool(s.school_ids & p.school_ids)


def may_read_summary(p: Principal, trust_id: UUID, school_id: UUID | None = None) -> bool:
    """A school's or the trust's summary: leaders of it, analysts, auditors, admins."""
    if not p.in_trust(trust_id):
        return False
    if p.role in TRUST_WIDE_READERS or p.role is Role.ANALYST:
        return True
    if p.role is Role.SCHOOL_LEADER:
        return school_id is not None and school_id in p.school_ids
    return False


def may_read_audit_log(p: Principal, trust_id: UUID | None) -> bool:
    """The audit log of events: auditors, admins and trust leaders of the trust."""
    if trust_id is not None and not p.in_trust(trust_id):
        return False
    return p.role in TRUST_WIDE_READERS


@dataclass(frozen=True, slots=True)
class ListScope:
    """Which records of a trust a list may hold, as ``may_read_record`` would allow them one
    by one: ``school_ids`` None means every school; ``people`` None means anyone in them."""

    trust_id: UUID
    school_ids: frozenset[UUID] | None = None
    people: frozenset[UUID] | None = None


def list_scope(p: Principal) -> ListScope | None:
    """The scope of a list of people's records (staff, reviews); None: nothing to list."""
    if p.trust_id is None or p.role is Role.ANALYST:
        return None
    if p.role in TRUST_WIDE_READERS:
        return ListScope(p.trust_id)
    if p.role is Role.SCHOOL_LEADER:
        return ListScope(p.trust_id, school_ids=p.school_ids)
    return ListScope(p.trust_id, people=frozenset({p.id}))


def may_read_directory(p: Principal, trust_id: UUID) -> bool:
    """The trust's schools, cycles and priorities (names and dates, nobody's record)."""
    return p.in_trust(trust_id)


def may_read_pay(p: Principal, s: ReadScope) -> bool:
    """A pay recommendation: the person, their school's leader and the pay committee only.

    Nobody else, whatever their role (trust leaders, auditors, admins, analysts, the
    appraiser), so every other reader gets the same answer as for a missing record.
    """
    if s.trust_id is None or not p.in_trust(s.trust_id) or p.is_platform_admin:
        return False
    if p.id in s.people:
        return True
    if p.role is Role.PAY_COMMITTEE:
        return True
    return p.role is Role.SCHOOL_LEADER and bool(s.school_ids & p.school_ids)


def may_export_subject_access(p: Principal, trust_id: UUID) -> bool:
    """A subject access export of a person: the administrators of the person's own trust
    (its data-protection function), with a token that may write, since each export is
    recorded as an event. Not a platform administrator (the trust is the controller), nor a
    trust leader, auditor or the person themselves (a request goes through the trust)."""
    return p.role is Role.ADMIN and p.trust_id == trust_id and not p.read_only
