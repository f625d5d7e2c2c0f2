"""The Review aggregate: one person's appraisal in one cycle, from planning to appeal.

A review's id follows from its cycle and appraisee, so each person has one review a cycle.
Who may act (appraisee, appraiser, leaders) is the authorisation policy's concern; this
module decides what the review's state allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid5

from aggregates.base import Context, first_event, next_event, require, require_text
from aggregates.cycle import AppraisalCycle, require_open
from aggregates.staff import StaffMember
from aggregates.trust import Governor
from events.base import DomainEvent
from events.reminders import Milestone, ReviewChased
from events.review import (
    AdviserConsulted,
    AppealDecided,
    AppealLodged,
    AppraiseeCommented,
    AppraiserChanged,
    AssessmentWritten,
    ExternalAdviser,
    MeetingRecorded,
    Moderated,
    ObjectiveLinked,
    ObjectiveUnlinked,
    PanelAppointed,
    PanelMember,
    ReportIssued,
    ReviewReopened,
    ReviewStarted,
    SelfAssessmentSubmitted,
    SignedOff,
)
from events.values import (
    AppealOutcome,
    MeetingKind,
    MeetingWindowPolicy,
    ModerationOutcome,
    ObjectiveNote,
    OverallJudgement,
    Signatory,
    StaffCategory,
)


class AppealState(StrEnum):
    NONE = "none"
    LODGED = "lodged"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class Review:
    id: UUID
    version: int
    cycle_id: UUID
    trust_id: UUID
    school_id: UUID
    appraisee_id: UUID
    appraiser_id: UUID
    active_objectives: frozenset[UUID] = frozenset()
    all_objectives: frozenset[UUID] = frozenset()
    meetings: dict[MeetingKind, date] = field(default_factory=dict)
    self_assessed: bool = False
    assessment: OverallJudgement | None = None
    report_issued_on: date | None = None
    signed_by: frozenset[Signatory] = frozenset()
    commented: bool = False
    moderation: ModerationOutcome | None = None
    appeal: AppealState = AppealState.NONE
    reopened: bool = False
    # When each milestone was last chased by a leader (reminders are rate-limited).
    chased_at: dict[Milestone, datetime] = field(default_factory=dict)
    # A headteacher's review: the governors' panel (the first its chair) and external adviser.
    panel: tuple[PanelMember, ...] = ()
    adviser: ExternalAdviser | None = None
    adviser_consulted_on: date | None = None

    @property
    def panel_ids(self) -> frozenset[UUID]:
        return frozenset(m.governor_id for m in self.panel)

    @property
    def report_open(self) -> bool:
        """True while the report can still be written: not yet issued, or reopened."""
        return self.report_issued_on is None or self.reopened

    @property
    def report_current(self) -> bool:
        """An issued report that has not been reopened."""
        return self.report_issued_on is not None and not self.reopened

    @property
    def finished(self) -> bool:
        """The current report is issued, signed by both and not under appeal."""
        return (
            self.report_current
            and self.signed_by == {Signatory.APPRAISEE, Signatory.APPRAISER}
            and self.appeal is not AppealState.LODGED
        )

    @property
    def left_at(self) -> str:
        """Where an unfinished review stands, in words (for the record of a cycle's close)."""
        if self.appeal is AppealState.LODGED:
            return "an appeal is pending"
        if self.report_current:
            missing = [s.value for s in (Signatory.APPRAISEE, Signatory.APPRAISER)]
            unsigned = [s for s in missing if Signatory(s) not in self.signed_by]
            return "report issued, not signed by the " + " or the ".join(unsigned)
        if self.reopened:
            return "reopened, report not issued again"
        if self.assessment is not None:
            return "assessed, report not issued"
        if not self.active_objectives:
            return "no objectives"
        return "report not issued"


def review_id_for(cycle_id: UUID, appraisee_id: UUID) -> UUID:
    return uuid5(cycle_id, str(appraisee_id))


def start_review(
    cycle: AppraisalCycle, appraisee: StaffMember, appraiser: StaffMember, ctx: Context
) -> list[DomainEvent]:
    require_open(cycle)
    _require_not_headteacher(appraisee)
    _require_appraiser_fits(cycle, appraisee, appraiser)
    require(
        appraisee.trust_id == cycle.trust_id,
        "same-trust",
        "the appraisee does not work for the trust that runs this cycle",
    )
    school_id = appraisee.school_id
    require(
        school_id is not None, "staff-assigned", f"{appraisee.name} is not assigned to a school"
    )
    assert school_id is not None
    return [
        first_event(
            ReviewStarted,
            review_id_for(cycle.id, appraisee.id),
            ctx,
            cycle_id=cycle.id,
            trust_id=cycle.trust_id,
            school_id=school_id,
            appraisee_id=appraisee.id,
            appraiser_id=appraiser.id,
        )
    ]


def change_appraiser(
    review: Review,
    cycle: AppraisalCycle,
    appraisee: StaffMember,
    appraiser: StaffMember,
    reason: str,
    ctx: Context,
) -> list[DomainEvent]:
    require_open(cycle)
    _require_not_headteacher(appraisee)
    _require_appraiser_fits(cycle, appraisee, appraiser)
    require(
        appraiser.id != review.appraiser_id, "appraiser-changed", "this is already the appraiser"
    )
    require(
        review.report_open, "report-not-issued", "the report is issued: reopen the review first"
    )
    require_text(reason, "reason", rule="reason-required")
    return [
        next_event(
            AppraiserChanged,
            review,
            ctx,
            previous_appraiser_id=review.appraiser_id,
            appraiser_id=appraiser.id,
            reason=reason.strip(),
        )
    ]


MIN_PANEL, MAX_PANEL = 2, 5


def _require_not_headteacher(appraisee: StaffMember) -> None:
    require(
        appraisee.category is not StaffCategory.HEADTEACHER,
        "headteacher-appraised-by-panel",
        f"{appraisee.name} is a headteacher: a headteacher is appraised by a governors' panel "
        "advised by an external adviser, not by a member of staff",
    )


def start_headteacher_review(
    cycle: AppraisalCycle,
    appraisee: StaffMember,
    *,
    panel: Sequence[Governor],
    adviser: ExternalAdviser,
    ctx: Context,
) -> list[DomainEvent]:
    """A headteacher's review, run by governors of the school's board or the trust board (the
    first named chairs it and stands as appraiser), advised by an external adviser."""
    require_open(cycle)
    require(
        appraisee.category is StaffCategory.HEADTEACHER,
        "panel-for-headteachers",
        f"{appraisee.name} is not a headteacher: only a headteacher's review has a panel",
    )
    require(not appraisee.has_left, "staff-employed", f"{appraisee.name} has left the trust")
    require(
        appraisee.trust_id == cycle.trust_id,
        "same-trust",
        "the appraisee does not work for the trust that runs this cycle",
    )
    school_id = appraisee.school_id
    require(
        school_id is not None, "staff-assigned", f"{appraisee.name} is not assigned to a school"
    )
    assert school_id is not None
    ids = [g.id for g in panel]
    require(
        MIN_PANEL <= len(set(ids)) == len(ids) <= MAX_PANEL,
        "panel-size",
        f"a headteacher's panel is {MIN_PANEL} to {MAX_PANEL} different governors",
    )
    for g in panel:
        require(
            g.governs(school_id),
            "governor-on-board",
            f"{g.name} is not a governor of {appraisee.name}'s school or of the trust board",
        )
    require_text(adviser.name, "adviser name", rule="adviser-named")
    require_text(adviser.organisation, "adviser organisation", rule="adviser-named")
    review_id = review_id_for(cycle.id, appraisee.id)
    started = first_event(
        ReviewStarted,
        review_id,
        ctx,
        cycle_id=cycle.id,
        trust_id=cycle.trust_id,
        school_id=school_id,
        appraisee_id=appraisee.id,
        appraiser_id=panel[0].id,
    )
    members = tuple(PanelMember(governor_id=g.id, name=g.name) for g in panel)
    clean = ExternalAdviser(name=adviser.name.strip(), organisation=adviser.organisation.strip())
    appointed = PanelAppointed(
        originator_id=review_id,
        originator_version=2,
        timestamp=ctx.now,
        actor_id=ctx.actor_id,
        actor_role=ctx.actor_role,
        panel=members,
        adviser=clean,
    )
    return [started, appointed]


def consult_adviser(
    review: Review, cycle: AppraisalCycle, held_on: date, summary: str, ctx: Context
) -> list[DomainEvent]:
    """The panel records consulting its external adviser; objectives may be set after."""
    require(
        review.adviser is not None,
        "panel-review",
        "only a headteacher's review has an external adviser to consult",
    )
    require_open(cycle)
    require_text(summary, "summary", rule="consultation-summary-required")
    return [next_event(AdviserConsulted, review, ctx, held_on=held_on, summary=summary.strip())]


def _require_appraiser_fits(
    cycle: AppraisalCycle, appraisee: StaffMember, appraiser: StaffMember
) -> None:
    require(
        appraisee.id != appraiser.id,
        "appraiser-differs",
        "appraisee and appraiser must be different people",
    )
    require(not appraisee.has_left, "staff-employed", f"{appraisee.name} has left the trust")
    require(not appraiser.has_left, "staff-employed", f"{appraiser.name} has left the trust")
    require(
        appraiser.trust_id == cycle.trust_id,
        "same-trust",
        "the appraiser does not work for the trust that runs this cycle",
    )


def link_objective(
    review: Review, cycle: AppraisalCycle, objective_id: UUID, ctx: Context, *, offset: int = 1
) -> list[DomainEvent]:
    require_open(cycle)
    require(review.report_open, "report-not-issued", "objectives cannot be added after the report")
    require(
        review.adviser is None or review.adviser_consulted_on is not None,
        "adviser-consulted",
        "a headteacher's objectives are set by the panel after consulting the external adviser: "
        "record the consultation first",
    )
    limit = cycle.policy.max_objectives
    require(
        len(review.active_objectives) < limit,
        "max-objectives",
        f"a review may have at most {limit} active objectives under this cycle's policy",
    )
    return [next_event(ObjectiveLinked, review, ctx, offset=offset, objective_id=objective_id)]


def unlink_objective(
    review: Review, objective_id: UUID, reason: str, ctx: Context, *, offset: int = 1
) -> list[DomainEvent]:
    require(
        objective_id in review.active_objectives,
        "objective-active",
        "the objective is not active on this review",
    )
    return [
        next_event(
            ObjectiveUnlinked, review, ctx, offset=offset, objective_id=objective_id, reason=reason
        )
    ]


def record_meeting(
    review: Review,
    cycle: AppraisalCycle,
    kind: MeetingKind,
    held_on: date,
    notes: str,
    ctx: Context,
    *,
    outside_window_reason: str | None = None,
) -> list[DomainEvent]:
    require_open(cycle)
    require(
        review.report_open, "report-not-issued", "the report is issued: reopen the review first"
    )
    require(
        cycle.dates.start_date <= held_on <= cycle.dates.end_date,
        "meeting-in-cycle",
        f"the meeting must fall within the cycle ({cycle.dates.start_date} to "
        f"{cycle.dates.end_date})",
    )
    require(held_on <= ctx.now.date(), "meeting-not-future", "a meeting cannot be recorded ahead")
    require(
        kind not in review.meetings or review.reopened,
        "meeting-once",
        f"the {kind.value.replace('_', '-')} meeting is already recorded",
    )
    if kind is not MeetingKind.PLANNING:
        planning = review.meetings.get(MeetingKind.PLANNING)
        require(
            planning is not None and planning <= held_on,
            "meeting-order",
            "the planning meeting must be held before any review meeting",
        )
    if kind is MeetingKind.END_YEAR and MeetingKind.MID_YEAR in review.meetings:
        require(
            review.meetings[MeetingKind.MID_YEAR] <= held_on,
            "meeting-order",
            "the end-of-year meeting cannot come before the mid-year review",
        )
    require_text(notes, "notes", rule="meeting-notes-required")
    opens, closes = meeting_window(cycle, kind)
    reason = (outside_window_reason or "").strip() or None
    if not opens <= held_on <= closes:
        where = f"its window ({opens} to {closes})"
        require(
            cycle.policy.meetings_outside_window is not MeetingWindowPolicy.REFUSE,
            "meeting-in-window",
            f"the {kind.value.replace('_', '-')} meeting must fall within {where} under this "
            "cycle's policy",
        )
        require(
            reason is not None,
            "meeting-window-reason",
            f"the {kind.value.replace('_', '-')} meeting falls outside {where}: give the reason",
        )
    else:
        reason = None  # inside its window nothing needs explaining
    return [
        next_event(
            MeetingRecorded,
            review,
            ctx,
            kind=kind,
            held_on=held_on,
            notes=notes,
            outside_window_reason=reason,
        )
    ]


def meeting_window(cycle: AppraisalCycle, kind: MeetingKind) -> tuple[date, date]:
    """When a meeting of this kind is due: planning by the objective-setting deadline, the
    mid-year review in its window, the end-of-year review after it and by its deadline."""
    d = cycle.dates
    match kind:
        case MeetingKind.PLANNING:
            return d.start_date, d.objective_setting_deadline
        case MeetingKind.MID_YEAR:
            return d.mid_year_window_start, d.mid_year_window_end
    return d.mid_year_window_end + timedelta(days=1), d.end_year_deadline


def submit_self_assessment(
    review: Review, cycle: AppraisalCycle, text: str, ctx: Context
) -> list[DomainEvent]:
    require_open(cycle)
    require(review.report_open, "report-not-issued", "the report is already issued")
    require_text(text, "self-assessment", rule="self-assessment-required")
    return [next_event(SelfAssessmentSubmitted, review, ctx, text=text)]


def write_assessment(
    review: Review,
    cycle: AppraisalCycle,
    overall: OverallJudgement,
    summary: str,
    objective_notes: tuple[ObjectiveNote, ...],
    development_needs: tuple[str, ...],
    support: str,
    ctx: Context,
    *,
    objectives_in_force: int,
    overall_level: str | None = None,
) -> list[DomainEvent]:
    require_open(cycle)
    require(
        objectives_in_force > 0,
        "objectives-agreed",
        "a review is assessed against its objectives: agree (or set) at least one first",
    )
    require(
        review.report_open, "report-not-issued", "the report is issued: reopen the review first"
    )
    require(
        MeetingKind.END_YEAR in review.meetings,
        "end-year-meeting-held",
        "the end-of-year meeting must be recorded before the assessment",
    )
    require_text(summary, "summary", rule="assessment-summary-required")
    known = {str(o) for o in review.all_objectives}
    unknown = [n.objective_id for n in objective_notes if n.objective_id not in known]
    require(
        not unknown, "objective-of-review", f"not objectives of this review: {', '.join(unknown)}"
    )
    return [
        next_event(
            AssessmentWritten,
            review,
            ctx,
            overall=overall,
            summary=summary,
            objective_notes=objective_notes,
            development_needs=tuple(d.strip() for d in development_needs if d.strip()),
            support=support,
            overall_level=overall_level,
        )
    ]


def issue_report(review: Review, cycle: AppraisalCycle, ctx: Context) -> list[DomainEvent]:
    require_open(cycle)
    require(review.report_open, "report-not-issued", "the report is already issued")
    require(
        review.assessment is not None,
        "assessment-written",
        "the assessment must be written before the report is issued",
    )
    return [next_event(ReportIssued, review, ctx, issued_on=ctx.now.date())]


def comment_on_report(
    review: Review, cycle: AppraisalCycle, comment: str, ctx: Context
) -> list[DomainEvent]:
    require_open(cycle)
    require(review.report_current, "report-issued", "there is no issued report to comment on")
    require(
        Signatory.APPRAISEE not in review.signed_by,
        "comment-before-sign-off",
        "comments must be added before the appraisee signs the report",
    )
    require_text(comment, "comment", rule="comment-required")
    return [next_event(AppraiseeCommented, review, ctx, comment=comment)]


def sign_off(
    review: Review, cycle: AppraisalCycle, by: Signatory, ctx: Context
) -> list[DomainEvent]:
    require_open(cycle)
    require(
        review.report_current,
        "report-issued",
        "a report can be signed off only after it is issued",
    )
    require(by not in review.signed_by, "sign-once", f"the {by.value} has already signed")
    require(
        review.appeal is not AppealState.LODGED,
        "no-open-appeal",
        "an appeal against this report is pending: it is signed once the appeal is decided",
    )
    return [next_event(SignedOff, review, ctx, by=by)]


def moderate(
    review: Review, cycle: AppraisalCycle, outcome: ModerationOutcome, note: str, ctx: Context
) -> list[DomainEvent]:
    require_open(cycle)
    require(
        review.report_current and review.signed_by == frozenset(Signatory),
        "signed-off",
        "a review is moderated once both appraisee and appraiser have signed",
    )
    require(review.moderation is None, "moderate-once", "this report has already been moderated")
    require(review.appeal is not AppealState.LODGED, "no-open-appeal", "an appeal is pending")
    if outcome is ModerationOutcome.REFERRED_BACK:
        require_text(note, "note", rule="referral-reason-required")
    return [next_event(Moderated, review, ctx, outcome=outcome, note=note)]


def lodge_appeal(
    review: Review, cycle: AppraisalCycle, grounds: str, ctx: Context
) -> list[DomainEvent]:
    require_open(cycle)
    require(review.report_current, "report-issued", "an appeal needs an issued report")
    require(review.appeal is AppealState.NONE, "appeal-once", "an appeal has already been lodged")
    assert review.report_issued_on is not None
    closes = review.report_issued_on + timedelta(days=cycle.policy.appeal_window_days)
    require(
        ctx.now.date() <= closes,
        "appeal-window",
        f"the appeal window closed on {closes.isoformat()} "
        f"({cycle.policy.appeal_window_days} days after the report)",
    )
    require_text(grounds, "grounds", rule="appeal-grounds-required")
    return [next_event(AppealLodged, review, ctx, grounds=grounds)]


def decide_appeal(
    review: Review, cycle: AppraisalCycle, outcome: AppealOutcome, note: str, ctx: Context
) -> list[DomainEvent]:
    require_open(cycle)
    require(review.appeal is AppealState.LODGED, "appeal-pending", "there is no appeal to decide")
    require_text(note, "note", rule="appeal-note-required")
    return [next_event(AppealDecided, review, ctx, outcome=outcome, note=note)]


def reopen_review(
    review: Review, cycle: AppraisalCycle, reason: str, ctx: Context
) -> list[DomainEvent]:
    require_open(cycle)
    require(
        not review.reopened,
        "report-issued",
        "the review is already reopened: its report is open again until it is reissued",
    )
    require(review.report_current, "report-issued", "only a review with an issued report reopens")
    require(review.appeal is not AppealState.LODGED, "no-open-appeal", "decide the appeal first")
    require_text(reason, "reason", rule="reason-required")
    return [next_event(ReviewReopened, review, ctx, reason=reason.strip())]


def evolve(state: Review | None, event: DomainEvent) -> Review:
    if isinstance(event, ReviewStarted):
        return Review(
            id=event.originator_id,
            version=event.originator_version,
            cycle_id=event.cycle_id,
            trust_id=event.trust_id,
            school_id=event.school_id,
            appraisee_id=event.appraisee_id,
            appraiser_id=event.appraiser_id,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before ReviewStarted")
    s = replace(state, version=event.originator_version)
    match event:
        case PanelAppointed():
            return replace(s, panel=event.panel, adviser=event.adviser)
        case AdviserConsulted():
            return replace(s, adviser_consulted_on=event.held_on)
        case AppraiserChanged():
            return replace(s, appraiser_id=event.appraiser_id)
        case ObjectiveLinked():
            return replace(
                s,
                active_objectives=s.active_objectives | {event.objective_id},
                all_objectives=s.all_objectives | {event.objective_id},
            )
        case ObjectiveUnlinked():
            return replace(s, active_objectives=s.active_objectives - {event.objective_id})
        case MeetingRecorded():
            return replace(s, meetings={**s.meetings, event.kind: event.held_on})
        case SelfAssessmentSubmitted():
            return replace(s, self_assessed=True)
        case AssessmentWritten():
            return replace(s, assessment=event.overall)
        case ReportIssued():
            return replace(
                s,
                report_issued_on=event.issued_on,
                reopened=False,
                signed_by=frozenset(),
                commented=False,
                moderation=None,
            )
        case AppraiseeCommented():
            return replace(s, commented=True)
        case SignedOff():
            return replace(s, signed_by=s.signed_by | {event.by})
        case Moderated():
            if event.outcome is ModerationOutcome.REFERRED_BACK:
                return replace(_reopen(s), moderation=event.outcome)
            return replace(s, moderation=event.outcome)
        case AppealLodged():
            return replace(s, appeal=AppealState.LODGED)
        case AppealDecided():
            if event.outcome is AppealOutcome.UPHELD:
                return replace(_reopen(s), appeal=AppealState.UPHELD)
            return replace(s, appeal=AppealState.DISMISSED)
        case ReviewReopened():
            return _reopen(s)
        case ReviewChased():
            return replace(s, chased_at={**s.chased_at, event.milestone: event.timestamp})
    return s


def _reopen(s: Review) -> Review:
    """Every way a review reopens (by hand, an upheld appeal, a referral back) does the same:
    the report is open again and its signatures, comment and moderation no longer stand."""
    return replace(s, reopened=True, signed_by=frozenset(), commented=False, moderation=None)
