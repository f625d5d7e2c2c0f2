"""The organisation's own story: the trust, its schools, leaders, priorities and cycles.

Run once, before the chunks, through the command layer on its own staging store. Its
events form the first stream of the demo; every chunk's staging store is fed them as its
clock passes them (cycles open, close, reopen; priorities change; a school is renamed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from random import Random
from uuid import UUID, uuid5

from eventsourcing.persistence import StoredEvent

from appraisals.demo import texts
from appraisals.demo.calendar import SimClock
from appraisals.demo.plan import OrgPlan, Person, PriorityPlan
from appraisals.demo.staging import Staging, Timed, event_time
from commands import development_messages as d
from commands import messages as m
from commands.principal import Principal
from events.base import Role
from events.reminders import QuietPeriod, ReminderPolicy


@dataclass(frozen=True, slots=True)
class OrgRun:
    """What the chunks need from the organisation's story."""

    events: list[Timed]
    cycle_a: UUID
    cycle_b: UUID


def school_holidays(year: int) -> tuple[QuietPeriod, ...]:
    """A typical English school year's holidays from September of ``year`` (as trusts set them)."""
    y, z = year, year + 1
    return (
        QuietPeriod(name="Autumn half term", start=date(y, 10, 27), end=date(y, 10, 31)),
        QuietPeriod(name="Christmas holidays", start=date(y, 12, 22), end=date(z, 1, 2)),
        QuietPeriod(name="Spring half term", start=date(z, 2, 16), end=date(z, 2, 20)),
        QuietPeriod(name="Easter holidays", start=date(z, 3, 30), end=date(z, 4, 10)),
        QuietPeriod(name="Summer half term", start=date(z, 5, 25), end=date(z, 5, 29)),
        QuietPeriod(name="Summer holidays", start=date(z, 7, 22), end=date(z, 8, 31)),
    )


# The trust's framework: objective templates its leaders publish, and (from 2025-26) a
# five-point scale for objective outcomes with four overall levels.
TEMPLATES = (
    {
        "title": "Raise attainment in reading",
        "description": "For class teachers and English leads",
        "success_criteria": ["85% at the expected standard", "Reading age gap halved"],
        "standards": ["TS2", "TS3c"],
    },
    {
        "title": "Adaptive teaching for pupils with SEND",
        "description": "Any teacher; link to the SEND priority",
        "success_criteria": ["Provision maps in use for every pupil on the register"],
        "standards": ["TS5", "TS5d"],
    },
    {
        "title": "Lead improvement in a subject",
        "description": "Subject leaders",
        "success_criteria": ["Monitoring cycle completed each term", "Action plan reviewed"],
        "standards": ["TS8", "TS3"],
    },
    {
        "title": "Curriculum leadership (2024 model)",
        "description": "Retired when the 2025-26 template replaced it",
        "success_criteria": ["Curriculum map published"],
        "standards": ["TS4e"],
    },
)
FIVE_POINT_SCALE = {
    "name": "Trust five-point scale",
    "objective_levels": [
        {"key": "exceeded", "label": "Exceeded", "counts_as": "met"},
        {"key": "fully_met", "label": "Fully met", "counts_as": "met"},
        {"key": "mostly_met", "label": "Mostly met", "counts_as": "partially_met"},
        {"key": "partly_met", "label": "Partly met", "counts_as": "partially_met"},
        {"key": "not_met", "label": "Not met", "counts_as": "not_met"},
    ],
    "overall_levels": [
        {"key": "outstanding", "label": "Outstanding contribution", "counts_as": "exceeds"},
        {"key": "secure", "label": "Secure", "counts_as": "meets"},
        {"key": "developing", "label": "Developing", "counts_as": "partially_meets"},
        {"key": "support", "label": "Needs support", "counts_as": "does_not_meet"},
    ],
}


def start_date(rng: Random, year: int) -> date:
    """When someone started at the trust: up to twenty Septembers before the demo."""
    return date(year - rng.randint(1, 20), 9, 1)


def registration(plan: OrgPlan, p: Person, started: date) -> m.RegisterStaff:
    return m.RegisterStaff(
        trust_id=plan.trust_id,
        name=p.name,
        email=p.email,
        job_title=p.job_title,
        category=p.category,
        school_id=p.school.id,
        start_date=started,
        staff_id=p.id,
    )


def run_org(plan: OrgPlan) -> OrgRun:
    tl = plan.timeline
    rng = Random(f"appraisal-ledger demo {plan.seed}: org")
    clock = SimClock(tl.trust_registered)
    collected: list[StoredEvent] = []
    staging = Staging(
        clock, Random(f"appraisal-ledger demo {plan.seed}: org ids"), sink=collected.extend
    )
    ceo = plan.ceo.principal
    admin = plan.admin

    def run(command: m.Command, who: Principal) -> UUID:
        result = staging.execute(command, who)
        clock.tick(rng.randint(20, 120))
        return result.aggregate_id

    def when(moment: datetime) -> None:
        clock.advance_to(moment)

    def add_priority(p: PriorityPlan) -> None:
        run(
            m.AddPriority(
                trust_id=plan.trust_id,
                title=p.text.title,
                description=p.text.description,
                school_id=p.school.id if p.school else None,
                priority_id=p.id,
            ),
            p.added_by,
        )

    year = tl.a.start.year
    when(tl.trust_registered)
    run(m.RegisterTrust(name=plan.trust_name, trust_id=plan.trust_id), plan.platform_admin)
    for s in plan.schools:
        run(m.AddSchool(trust_id=plan.trust_id, name=s.name, phase=s.phase, school_id=s.id), admin)
    for s in plan.schools:
        for g in s.governors(plan.trust_id):
            appoint = m.AppointGovernor(
                trust_id=plan.trust_id, name=g.name, school_id=s.id, governor_id=g.id
            )
            run(appoint, admin)
    when(tl.leaders_registered)
    heads = [s.head for s in plan.schools if s.head is not None]
    leaders = [plan.ceo, *plan.directors, *heads]
    for p in leaders:
        run(registration(plan, p, start_date(rng, year)), admin)
    for p in leaders:
        if p.appraiser is not None:
            reason = texts.LINE_MANAGER_REASONS[0].format(year=tl.a.name)
            change = m.ChangeLineManager(
                staff_id=p.id, line_manager_id=p.appraiser.id, reason=reason
            )
            run(change, admin)
    # Roles beyond their own reviews are facts in the log, granted by the trust's admin.
    for p in [plan.ceo, *plan.directors]:
        run(m.GrantRole(person_id=p.id, role=Role.TRUST_LEADER, reason=texts.LEADER_GRANT), admin)
    for h in heads:
        grant = m.GrantRole(
            person_id=h.id,
            role=Role.SCHOOL_LEADER,
            school_ids=[h.school.id],
            reason=texts.HEAD_GRANT,
        )
        run(grant, admin)
    run(
        m.GrantRole(person_id=plan.directors[0].id, role=Role.ADMIN, reason=texts.ADMIN_GRANT),
        admin,
    )
    analyst = m.GrantRole(person_id=plan.ceo.id, role=Role.ANALYST, reason=texts.ANALYST_GRANT)
    analyst_grant = staging.execute(analyst, admin).created_id
    when(tl.priorities_added)
    for priority in plan.priorities:
        if priority.in_a:
            add_priority(priority)
    for n, template in enumerate(TEMPLATES):
        template_id = uuid5(plan.trust_id, f"objective template {n}")
        run(
            d.PublishObjectiveTemplate(trust_id=plan.trust_id, template_id=template_id, **template),
            ceo,
        )
    run(
        d.SetObservationPolicy(
            trust_id=plan.trust_id,
            graded=False,
            reason="The trust's observations are developmental and never graded",
        ),
        ceo,
    )
    when(tl.a_scheduled)
    cycle_a = run(tl.a.schedule(plan.trust_id, support_frameworks=texts.SUPPORT_FRAMEWORKS), ceo)
    when(tl.a_opened)
    run(m.OpenCycle(cycle_id=cycle_a), ceo)
    if plan.renamed is not None:
        when(tl.school_renamed)
        school, new_name = plan.renamed
        rename = m.RenameSchool(
            trust_id=plan.trust_id,
            school_id=school.id,
            new_name=new_name,
            reason=texts.RENAME_REASON,
        )
        run(rename, admin)
        school.name = new_name
    when(tl.b_scheduled)
    assert analyst_grant is not None
    revoke = m.RevokeRole(person_id=plan.ceo.id, grant_id=analyst_grant, reason=texts.ANALYST_END)
    run(revoke, admin)
    cycle_b = run(tl.b.schedule(plan.trust_id, support_frameworks=texts.SUPPORT_FRAMEWORKS), ceo)
    when(tl.b_policy_changed)
    run(d.PublishRatingScale(trust_id=plan.trust_id, **FIVE_POINT_SCALE), ceo)
    run(
        d.RetireObjectiveTemplate(
            trust_id=plan.trust_id,
            template_id=uuid5(plan.trust_id, f"objective template {len(TEMPLATES) - 1}"),
            reason="Replaced by the trust's 2025-26 curriculum leadership template",
        ),
        ceo,
    )
    run(
        m.ChangeCyclePolicy(
            cycle_id=cycle_b,
            max_objectives=5,
            appeal_window_days=15,
            rating_scale_version=1,
            reason=texts.POLICY_CHANGE_REASON,
        ),
        ceo,
    )
    # The trust's reminders keep quiet in cycle B's school holidays.
    run(
        m.ChangeReminderPolicy(
            trust_id=plan.trust_id,
            policy=ReminderPolicy(quiet_periods=school_holidays(tl.b.start.year)),
            reason="No reminders in the school holidays",
        ),
        ceo,
    )
    # Leavers' personal data is erased six years after they leave (docs/privacy.md).
    run(
        m.SetRetentionPolicy(
            trust_id=plan.trust_id,
            erase_after_years=6,
            reason="Retention schedule: staff records six years after employment ends",
        ),
        admin,
    )
    when(tl.priorities_changed)
    for priority in plan.priorities:
        if priority.school is None and priority.in_a and not priority.in_b:
            retire = m.RetirePriority(
                trust_id=plan.trust_id, priority_id=priority.id, reason=texts.RETIRE_REASON
            )
            run(retire, ceo)
        elif priority.school is None and priority.in_b and not priority.in_a:
            add_priority(priority)
    when(tl.a_closed)
    run(m.CloseCycle(cycle_id=cycle_a, reason=texts.CYCLE_CLOSE_REASON), ceo)
    when(tl.a_reopened)
    run(m.ReopenCycle(cycle_id=cycle_a, reason=texts.CYCLE_REOPEN_REASON), ceo)
    when(tl.a_closed_again)
    run(m.CloseCycle(cycle_id=cycle_a, reason=texts.CYCLE_CLOSE_REASON), ceo)
    when(tl.b_opened)
    run(m.OpenCycle(cycle_id=cycle_b), ceo)
    when(tl.b_priorities_added)
    for priority in plan.priorities:
        if priority.school is not None and priority.in_b and not priority.in_a:
            add_priority(priority)
    staging.finish()
    events = [Timed(event_time(e.state), e) for e in collected]
    return OrgRun(events, cycle_a, cycle_b)
