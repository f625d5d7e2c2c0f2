"""The authorisation policy: plain functions (principal, command, scope) -> allowed or denied.

A command's scope is the part of the current state that decides who may act: the trust, the
school, and (for appraisal work) the appraisee and appraiser. Handlers build the scope from
what they load; ``POLICIES`` maps every command type to its rule, so the whole policy reads in
one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from aggregates.errors import NOT_VISIBLE, Forbidden, Hidden
from commands import development_messages as d
from commands import messages as m
from commands.principal import Principal
from events.base import Role


@dataclass(frozen=True, slots=True)
class Scope:
    trust_id: UUID | None = None
    school_id: UUID | None = None
    appraisee_id: UUID | None = None
    appraiser_id: UUID | None = None
    # A headteacher's review: the governors on its panel act as the appraiser.
    panel_ids: frozenset[UUID] = frozenset()

    def is_appraiser(self, p: Principal) -> bool:
        """The appraiser; on a headteacher's review, only a governor of its panel."""
        if self.panel_ids:
            return p.role is Role.GOVERNOR and p.id in self.panel_ids
        return p.id == self.appraiser_id


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""
    # Denied without saying the thing exists (it belongs to another trust).
    hidden: bool = False


ALLOW = Decision(True)


def deny(reason: str) -> Decision:
    return Decision(False, reason)


Rule = Callable[[Principal, Scope], Decision]

READ_ONLY = (Role.AUDITOR, Role.ANALYST)


def _in_trust(p: Principal, s: Scope) -> Decision | None:
    """Common denials: read-only roles, and anyone outside the trust."""
    if p.role in READ_ONLY:
        return deny(f"the {p.role.value} role is read-only")
    if p.role is Role.PAY_COMMITTEE:
        return deny("the pay committee role records pay decisions and nothing else")
    if s.trust_id is not None and not p.in_trust(s.trust_id):
        return Decision(False, "this belongs to another trust", hidden=True)
    return None


def platform_admin(p: Principal, s: Scope) -> Decision:  # noqa: ARG001 - uniform signature
    if p.is_platform_admin:
        return ALLOW
    return deny("only a platform administrator registers trusts")


def trust_admin(p: Principal, s: Scope) -> Decision:
    if (d := _in_trust(p, s)) is not None:
        return d
    if p.role is Role.ADMIN:
        return ALLOW
    return deny("only the trust's administrators manage its organisation")


def trust_management(p: Principal, s: Scope) -> Decision:
    """Trust administrators and trust leaders."""
    if (d := _in_trust(p, s)) is not None:
        return d
    if p.role in (Role.ADMIN, Role.TRUST_LEADER):
        return ALLOW
    return deny("only trust leaders and administrators may do this")


def school_management(p: Principal, s: Scope) -> Decision:
    """Trust management, or the school leader of the school in scope."""
    if (d := _in_trust(p, s)) is not None:
        return d
    if p.role in (Role.ADMIN, Role.TRUST_LEADER):
        return ALLOW
    if p.role is Role.SCHOOL_LEADER:
        if s.school_id is not None and s.school_id in p.school_ids:
            return ALLOW
        return deny("school leaders act only for the schools they lead")
    return deny("only school or trust leaders may do this")


def appraisee(p: Principal, s: Scope) -> Decision:
    if (d := _in_trust(p, s)) is not None:
        return d
    if p.id == s.appraisee_id:
        return ALLOW
    return deny("only the appraisee may do this")


def appraiser(p: Principal, s: Scope) -> Decision:
    if (d := _in_trust(p, s)) is not None:
        return d
    if s.is_appraiser(p):
        return ALLOW
    if s.panel_ids:
        return deny("on a headteacher's review only the governors of its panel may do this")
    return deny("only the appraiser may do this")


def appraisee_or_appraiser(p: Principal, s: Scope) -> Decision:
    if (d := _in_trust(p, s)) is not None:
        return d
    if p.id == s.appraisee_id or s.is_appraiser(p):
        return ALLOW
    return deny("only the appraisee or their appraiser may do this")


def independent_leader(p: Principal, s: Scope) -> Decision:
    """A school or trust leader who is neither the appraisee nor the appraiser."""
    if p.id in (s.appraisee_id, s.appraiser_id) or p.id in s.panel_ids:
        return deny("moderation and appeals are decided by someone outside the review")
    return school_management(p, s)


def self_or_trust_admin(p: Principal, s: Scope) -> Decision:
    """The person themselves (``appraisee_id`` is whose it is), or their trust's admins."""
    if (d := _in_trust(p, s)) is not None:
        return d
    if p.id == s.appraisee_id or p.role is Role.ADMIN:
        return ALLOW
    return deny("only the person themselves or an administrator may change this")


def appraisee_appraiser_or_leader(p: Principal, s: Scope) -> Decision:
    """The person, their appraiser, or a leader of their school or trust (CPD plans)."""
    if (d := _in_trust(p, s)) is not None:
        return d
    if p.id in (s.appraisee_id, s.appraiser_id):
        return ALLOW
    return school_management(p, s)


def observer(p: Principal, s: Scope) -> Decision:
    """The appraiser, or a leader of the school or trust, observes; never the person."""
    if p.id == s.appraisee_id:
        return deny("a person does not observe their own lesson")
    if (d := _in_trust(p, s)) is not None:
        return d
    if p.id == s.appraiser_id:
        return ALLOW
    return school_management(p, s)


def pay_recommender(p: Principal, s: Scope) -> Decision:
    """The appraiser, or the school's leader for the panel; not the person, not trust staff."""
    if (d := _in_trust(p, s)) is not None:
        return d
    if p.id == s.appraisee_id:
        return deny("a person does not recommend their own pay")
    if p.id == s.appraiser_id:
        return ALLOW
    if p.role is Role.SCHOOL_LEADER and s.school_id in p.school_ids:
        return ALLOW
    return deny("only the appraiser or the school's leader recommends pay progression")


def pay_committee(p: Principal, s: Scope) -> Decision:
    if s.trust_id is not None and not p.in_trust(s.trust_id):
        return Decision(False, "this belongs to another trust", hidden=True)
    if p.role is Role.PAY_COMMITTEE and p.id != s.appraisee_id:
        return ALLOW
    return deny("only the pay committee records pay decisions")


POLICIES: dict[type[m.Command], Rule] = {
    m.RegisterTrust: platform_admin,
    m.AddSchool: trust_admin,
    m.RenameSchool: trust_admin,
    m.AddPriority: school_management,
    m.RetirePriority: school_management,
    m.AppointGovernor: trust_admin,
    m.RegisterStaff: trust_admin,
    m.TransferStaff: trust_management,
    m.ChangeLineManager: school_management,
    m.RenameStaff: school_management,
    m.ChangeJobTitle: school_management,
    m.RecordStaffLeaving: trust_management,
    m.ScheduleCycle: trust_management,
    m.OpenCycle: trust_management,
    m.CloseCycle: trust_management,
    m.ReopenCycle: trust_management,
    m.ChangeCyclePolicy: trust_management,
    m.StartReview: school_management,
    m.StartHeadteacherReview: trust_management,
    m.RecordAdviserConsultation: appraiser,
    m.ChangeAppraiser: school_management,
    m.RecordMeeting: appraiser,
    m.SubmitSelfAssessment: appraisee,
    m.WriteAssessment: appraiser,
    m.IssueReport: appraiser,
    m.CommentOnReport: appraisee,
    m.SignOffReview: appraisee_or_appraiser,
    m.ModerateReview: independent_leader,
    m.LodgeAppeal: appraisee,
    m.DecideAppeal: independent_leader,
    m.ReopenReview: independent_leader,
    m.DraftObjective: appraisee_or_appraiser,
    m.ReviseObjective: appraisee_or_appraiser,
    m.AgreeObjective: appraisee_or_appraiser,
    m.SetObjectiveWithoutAgreement: appraiser,
    m.RecordDisagreement: appraisee,
    m.RecordProgress: appraisee_or_appraiser,
    m.AssessObjective: appraiser,
    m.WithdrawObjective: appraiser,
    m.ReinstateObjective: appraiser,
    m.CarryForwardObjective: appraiser,
    m.ChangeReminderPolicy: trust_management,
    m.ChangeReminderPreference: self_or_trust_admin,
    m.ChaseReview: independent_leader,
    d.PlanCpd: appraisee_appraiser_or_leader,
    d.CompleteCpd: appraisee_appraiser_or_leader,
    d.ReflectOnCpd: appraisee,
    d.CancelCpd: appraisee_appraiser_or_leader,
    d.AttachEvidenceFile: appraisee_or_appraiser,
    d.AttachEvidenceLink: appraisee_or_appraiser,
    d.RemoveEvidence: appraisee_or_appraiser,
    d.RecordObservation: observer,
    d.CommentOnObservation: appraisee,
    d.RecommendPay: pay_recommender,
    d.RecordPayDecision: pay_committee,
    d.PublishObjectiveTemplate: trust_management,
    d.RetireObjectiveTemplate: trust_management,
    d.PublishRatingScale: trust_management,
    d.SetObservationPolicy: trust_management,
    m.GrantRole: trust_admin,
    m.RevokeRole: trust_admin,
    m.RecordSubjectAccessExport: trust_admin,
}


def decide(principal: Principal, command: m.Command, scope: Scope) -> Decision:
    if principal.read_only:
        return deny("this token is read-only: it may read, never change anything")
    rule = POLICIES.get(type(command))
    if rule is None:
        return deny(f"no policy allows {type(command).__name__}")
    return rule(principal, scope)


def authorise(principal: Principal, command: m.Command, scope: Scope) -> None:
    """Raise ``Forbidden`` (with the policy's reason) unless the principal may run the command.

    Things of another trust are ``NotFound``: a denial must not reveal that they exist.
    """
    decision = decide(principal, command, scope)
    if decision.hidden:
        raise Hidden(NOT_VISIBLE, decision.reason)
    if not decision.allowed:
        raise Forbidden(decision.reason)
