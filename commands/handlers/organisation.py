"""Handlers for the organisation: trusts, schools, priorities, staff and appraisal cycles."""

from __future__ import annotations

from uuid import UUID

from aggregates import cycle, staff, trust
from aggregates.base import require
from aggregates.framework import framework_id_for
from commands import messages as m
from commands.handling import CYCLE, FRAMEWORK, REVIEW, STAFF, TRUST, Handling, Outcome
from commands.policy import Scope
from commands.states import reviews_started_in
from events.cycle import UnfinishedReview
from events.values import CyclePolicy


def register_trust(cmd: m.RegisterTrust, h: Handling) -> Outcome:
    h.authorise(cmd, Scope())
    trust_id = cmd.trust_id or h.new_id()
    return Outcome(trust_id, trust.register_trust(trust_id, cmd.name, h.ctx))


def add_school(cmd: m.AddSchool, h: Handling) -> Outcome:
    t = h.target(TRUST, cmd.trust_id)
    h.authorise(cmd, Scope(trust_id=t.id))
    school_id = cmd.school_id or h.new_id()
    return Outcome(t.id, trust.add_school(t, school_id, cmd.name, cmd.phase, h.ctx), school_id)


def rename_school(cmd: m.RenameSchool, h: Handling) -> Outcome:
    t = h.target(TRUST, cmd.trust_id)
    h.authorise(cmd, Scope(trust_id=t.id, school_id=cmd.school_id))
    return Outcome(t.id, trust.rename_school(t, cmd.school_id, cmd.new_name, cmd.reason, h.ctx))


def add_priority(cmd: m.AddPriority, h: Handling) -> Outcome:
    t = h.target(TRUST, cmd.trust_id)
    h.authorise(cmd, Scope(trust_id=t.id, school_id=cmd.school_id))
    priority_id = cmd.priority_id or h.new_id()
    events = trust.add_priority(t, priority_id, cmd.title, cmd.description, cmd.school_id, h.ctx)
    return Outcome(t.id, events, priority_id)


def appoint_governor(cmd: m.AppointGovernor, h: Handling) -> Outcome:
    t = h.target(TRUST, cmd.trust_id)
    h.authorise(cmd, Scope(trust_id=t.id, school_id=cmd.school_id))
    governor_id = cmd.governor_id or h.new_id()
    events = trust.appoint_governor(
        t, governor_id=governor_id, name=cmd.name, school_id=cmd.school_id, ctx=h.ctx
    )
    return Outcome(t.id, events, governor_id)


def retire_priority(cmd: m.RetirePriority, h: Handling) -> Outcome:
    t = h.target(TRUST, cmd.trust_id)
    p = t.priorities.get(cmd.priority_id)
    h.authorise(cmd, Scope(trust_id=t.id, school_id=p.school_id if p else None))
    return Outcome(t.id, trust.retire_priority(t, cmd.priority_id, cmd.reason, h.ctx))


def register_staff(cmd: m.RegisterStaff, h: Handling) -> Outcome:
    t = h.load(TRUST, cmd.trust_id)
    h.authorise(cmd, Scope(trust_id=t.id, school_id=cmd.school_id))
    require(t.has_school(cmd.school_id), "school-in-trust", "the school is not in this trust")
    staff_id = cmd.staff_id or h.new_id()
    registered = staff.register_staff(
        staff_id,
        t.id,
        cmd.name,
        cmd.email,
        cmd.job_title,
        cmd.category,
        h.ctx,
        preferred_name=cmd.preferred_name,
    )
    member = staff.evolve(None, registered[0])
    assigned = staff.assign_to_school(member, cmd.school_id, cmd.start_date, None, h.ctx)
    return Outcome(staff_id, [*registered, *assigned])


def transfer_staff(cmd: m.TransferStaff, h: Handling) -> Outcome:
    member = h.target(STAFF, cmd.staff_id)
    h.authorise(cmd, Scope(trust_id=member.trust_id, school_id=member.school_id))
    t = h.load(TRUST, member.trust_id)
    require(t.has_school(cmd.school_id), "school-in-trust", "the school is not in this trust")
    events = staff.assign_to_school(member, cmd.school_id, cmd.effective_date, cmd.reason, h.ctx)
    return Outcome(member.id, events)


def change_line_manager(cmd: m.ChangeLineManager, h: Handling) -> Outcome:
    member = h.target(STAFF, cmd.staff_id)
    h.authorise(cmd, Scope(trust_id=member.trust_id, school_id=member.school_id))
    if cmd.line_manager_id is not None:
        manager = h.load_in_trust(STAFF, cmd.line_manager_id, member.trust_id)
        require(
            manager.trust_id == member.trust_id and not manager.has_left,
            "line-manager-in-trust",
            "the line manager must be a current member of staff of the same trust",
        )
    events = staff.change_line_manager(member, cmd.line_manager_id, cmd.reason, h.ctx)
    return Outcome(member.id, events)


def rename_staff(cmd: m.RenameStaff, h: Handling) -> Outcome:
    member = h.target(STAFF, cmd.staff_id)
    h.authorise(cmd, Scope(trust_id=member.trust_id, school_id=member.school_id))
    events = staff.rename_staff(member, cmd.new_name, cmd.preferred_name, cmd.reason, h.ctx)
    return Outcome(member.id, events)


def change_job_title(cmd: m.ChangeJobTitle, h: Handling) -> Outcome:
    member = h.target(STAFF, cmd.staff_id)
    h.authorise(cmd, Scope(trust_id=member.trust_id, school_id=member.school_id))
    return Outcome(member.id, staff.change_job_title(member, cmd.job_title, cmd.reason, h.ctx))


def record_staff_leaving(cmd: m.RecordStaffLeaving, h: Handling) -> Outcome:
    member = h.target(STAFF, cmd.staff_id)
    h.authorise(cmd, Scope(trust_id=member.trust_id, school_id=member.school_id))
    return Outcome(member.id, staff.record_leaving(member, cmd.effective_date, cmd.reason, h.ctx))


def erase_person(cmd: m.ErasePerson, h: Handling) -> Outcome:
    member = h.target(STAFF, cmd.staff_id)
    h.authorise(cmd, Scope(trust_id=member.trust_id, school_id=member.school_id))
    return Outcome(member.id, staff.erase(member, basis=cmd.basis, reason=cmd.reason, ctx=h.ctx))


def set_retention_policy(cmd: m.SetRetentionPolicy, h: Handling) -> Outcome:
    t = h.target(TRUST, cmd.trust_id)
    h.authorise(cmd, Scope(trust_id=t.id))
    events = trust.set_retention_policy(
        t, erase_after_years=cmd.erase_after_years, reason=cmd.reason, ctx=h.ctx
    )
    return Outcome(t.id, events)


def schedule_cycle(cmd: m.ScheduleCycle, h: Handling) -> Outcome:
    t = h.load(TRUST, cmd.trust_id)
    h.authorise(cmd, Scope(trust_id=t.id))
    dates = cycle.CycleDates(
        cmd.start_date,
        cmd.end_date,
        cmd.objective_setting_deadline,
        cmd.mid_year_window_start,
        cmd.mid_year_window_end,
        cmd.end_year_deadline,
    )
    _require_scale(h, t.id, cmd.rating_scale_version)
    policy = CyclePolicy(
        max_objectives=cmd.max_objectives,
        appeal_window_days=cmd.appeal_window_days,
        rating_scale_version=cmd.rating_scale_version,
        support_frameworks=tuple(cmd.support_frameworks),
        meetings_outside_window=cmd.meetings_outside_window,
    )
    events = cycle.schedule_cycle(t.id, cmd.name, dates, policy, h.ctx)
    cycle_id = events[0].originator_id
    # The trust keeps its cycles' dates: a concurrent schedule conflicts on the trust and is
    # decided again on fresh state, so overlapping cycles cannot slip in side by side.
    added = trust.add_cycle(
        t,
        cycle_id=cycle_id,
        name=cmd.name,
        start_date=dates.start_date,
        end_date=dates.end_date,
        ctx=h.ctx,
    )
    return Outcome(cycle_id, [*events, *added])


def open_cycle(cmd: m.OpenCycle, h: Handling) -> Outcome:
    c = h.target(CYCLE, cmd.cycle_id)
    h.authorise(cmd, Scope(trust_id=c.trust_id))
    return Outcome(c.id, cycle.open_cycle(c, h.ctx))


def close_cycle(cmd: m.CloseCycle, h: Handling) -> Outcome:
    c = h.target(CYCLE, cmd.cycle_id)
    h.authorise(cmd, Scope(trust_id=c.trust_id))
    unfinished = []
    for review_id in reviews_started_in(h.states.store, c.id):
        rv = h.load(REVIEW, review_id)
        if not rv.finished:
            appraisee = h.load(STAFF, rv.appraisee_id)
            unfinished.append(
                UnfinishedReview(
                    review_id=rv.id,
                    school_id=rv.school_id,
                    appraisee_id=rv.appraisee_id,
                    appraisee_name=appraisee.name,
                    left_at=rv.left_at,
                )
            )
    unfinished.sort(key=lambda u: (u.appraisee_name.casefold(), str(u.review_id)))
    events = cycle.close_cycle(c, unfinished=unfinished, reason=cmd.reason, ctx=h.ctx)
    return Outcome(c.id, events)


def reopen_cycle(cmd: m.ReopenCycle, h: Handling) -> Outcome:
    c = h.target(CYCLE, cmd.cycle_id)
    h.authorise(cmd, Scope(trust_id=c.trust_id))
    return Outcome(c.id, cycle.reopen_cycle(c, cmd.reason, h.ctx))


def change_cycle_policy(cmd: m.ChangeCyclePolicy, h: Handling) -> Outcome:
    c = h.target(CYCLE, cmd.cycle_id)
    h.authorise(cmd, Scope(trust_id=c.trust_id))
    scale = c.policy.rating_scale_version
    if cmd.rating_scale_version is not None:
        scale = cmd.rating_scale_version
        _require_scale(h, c.trust_id, scale)
    frameworks = cmd.support_frameworks
    policy = CyclePolicy(
        max_objectives=cmd.max_objectives,
        appeal_window_days=cmd.appeal_window_days,
        rating_scale_version=scale,
        support_frameworks=c.policy.support_frameworks if frameworks is None else tuple(frameworks),
        meetings_outside_window=cmd.meetings_outside_window or c.policy.meetings_outside_window,
    )
    return Outcome(c.id, cycle.change_policy(c, policy, cmd.reason, h.ctx))


def _require_scale(h: Handling, trust_id: UUID, version: int) -> None:
    if version == 0:
        return
    fw = h.maybe(FRAMEWORK, framework_id_for(trust_id))
    require(
        fw is not None and fw.scale(version) is not None,
        "scale-version-published",
        f"the trust has not published version {version} of its rating scale",
    )
