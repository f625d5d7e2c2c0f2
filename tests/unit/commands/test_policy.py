"""The authorisation matrix: every command type against every kind of actor.

The scope is Ann's review at Oak Primary in Oak Learning Trust, appraised by Bob. Who may run
each command is written out here, independently of ``POLICIES``, so a change to the policy
shows up as a failing row.
"""

from __future__ import annotations

from uuid import UUID

import pytest

from aggregates.errors import Forbidden, NotFound
from commands import development_messages as d
from commands import messages as m
from commands.handlers import COMMAND_HANDLERS
from commands.policy import POLICIES, Scope, authorise, decide
from commands.principal import Principal
from events.base import Role

TRUST = UUID("60000000-0000-4000-8000-000000000001")
OTHER_TRUST = UUID("60000000-0000-4000-8000-000000000002")
OAK = UUID("60000000-0000-4000-8000-0000000000c1")
ASH = UUID("60000000-0000-4000-8000-0000000000c2")
ANN = UUID("60000000-0000-4000-8000-0000000000a1")
BOB = UUID("60000000-0000-4000-8000-0000000000b0")

SCOPE = Scope(trust_id=TRUST, school_id=OAK, appraisee_id=ANN, appraiser_id=BOB)

ACTORS: dict[str, Principal] = {
    "appraisee": Principal(ANN, Role.STAFF, trust_id=TRUST),
    "appraiser": Principal(BOB, Role.STAFF, trust_id=TRUST),
    "unrelated staff": Principal(UUID(int=3), Role.STAFF, trust_id=TRUST),
    "school leader": Principal(
        UUID(int=4), Role.SCHOOL_LEADER, trust_id=TRUST, school_ids=frozenset({OAK})
    ),
    "other school leader": Principal(
        UUID(int=5), Role.SCHOOL_LEADER, trust_id=TRUST, school_ids=frozenset({ASH})
    ),
    "trust leader": Principal(UUID(int=6), Role.TRUST_LEADER, trust_id=TRUST),
    "other trust leader": Principal(UUID(int=7), Role.TRUST_LEADER, trust_id=OTHER_TRUST),
    "admin": Principal(UUID(int=8), Role.ADMIN, trust_id=TRUST),
    "other trust admin": Principal(UUID(int=9), Role.ADMIN, trust_id=OTHER_TRUST),
    "platform admin": Principal(UUID(int=10), Role.ADMIN),
    "auditor": Principal(UUID(int=11), Role.AUDITOR, trust_id=TRUST),
    "analyst": Principal(UUID(int=12), Role.ANALYST, trust_id=TRUST),
    "pay committee": Principal(UUID(int=13), Role.PAY_COMMITTEE, trust_id=TRUST),
    # A governor on no panel of this review: appraises only the headteachers they are panel of.
    "governor": Principal(UUID(int=14), Role.GOVERNOR, trust_id=TRUST, school_ids=frozenset({OAK})),
}
OUTSIDERS = {"other trust leader", "other trust admin"}
READ_ONLY = {"auditor", "analyst"}

PLATFORM = {"platform admin"}
ORGANISATION = {"admin", "platform admin"}
TRUST_MANAGEMENT = {"admin", "platform admin", "trust leader"}
SCHOOL_MANAGEMENT = {*TRUST_MANAGEMENT, "school leader"}
APPRAISEE = {"appraisee"}
APPRAISER = {"appraiser"}
EITHER_PARTY = {"appraisee", "appraiser"}
INDEPENDENT_LEADER = SCHOOL_MANAGEMENT

ALLOWED: dict[type[m.Command], set[str]] = {
    m.RegisterTrust: PLATFORM,
    m.AddSchool: ORGANISATION,
    m.RenameSchool: ORGANISATION,
    m.AddPriority: SCHOOL_MANAGEMENT,
    m.RetirePriority: SCHOOL_MANAGEMENT,
    m.AppointGovernor: ORGANISATION,
    m.RegisterStaff: ORGANISATION,
    m.TransferStaff: TRUST_MANAGEMENT,
    m.ChangeLineManager: SCHOOL_MANAGEMENT,
    m.RenameStaff: SCHOOL_MANAGEMENT,
    m.ChangeJobTitle: SCHOOL_MANAGEMENT,
    m.RecordStaffLeaving: TRUST_MANAGEMENT,
    m.ScheduleCycle: TRUST_MANAGEMENT,
    m.OpenCycle: TRUST_MANAGEMENT,
    m.CloseCycle: TRUST_MANAGEMENT,
    m.ReopenCycle: TRUST_MANAGEMENT,
    m.ChangeCyclePolicy: TRUST_MANAGEMENT,
    m.StartReview: SCHOOL_MANAGEMENT,
    m.StartHeadteacherReview: TRUST_MANAGEMENT,
    m.RecordAdviserConsultation: APPRAISER,
    m.ChangeAppraiser: SCHOOL_MANAGEMENT,
    m.RecordMeeting: APPRAISER,
    m.SubmitSelfAssessment: APPRAISEE,
    m.WriteAssessment: APPRAISER,
    m.IssueReport: APPRAISER,
    m.CommentOnReport: APPRAISEE,
    m.SignOffReview: EITHER_PARTY,
    m.ModerateReview: INDEPENDENT_LEADER,
    m.LodgeAppeal: APPRAISEE,
    m.DecideAppeal: INDEPENDENT_LEADER,
    m.ReopenReview: INDEPENDENT_LEADER,
    m.DraftObjective: EITHER_PARTY,
    m.ReviseObjective: EITHER_PARTY,
    m.AgreeObjective: EITHER_PARTY,
    m.SetObjectiveWithoutAgreement: APPRAISER,
    m.RecordDisagreement: APPRAISEE,
    m.RecordProgress: EITHER_PARTY,
    m.AssessObjective: APPRAISER,
    m.WithdrawObjective: APPRAISER,
    m.ReinstateObjective: APPRAISER,
    m.CarryForwardObjective: APPRAISER,
    m.ChangeReminderPolicy: TRUST_MANAGEMENT,
    # A person's own preference (the scope's appraisee is whose it is), or an administrator.
    m.ChangeReminderPreference: {"appraisee", *ORGANISATION},
    m.ChaseReview: INDEPENDENT_LEADER,
    d.PlanCpd: EITHER_PARTY | SCHOOL_MANAGEMENT,
    d.CompleteCpd: EITHER_PARTY | SCHOOL_MANAGEMENT,
    d.ReflectOnCpd: APPRAISEE,
    d.CancelCpd: EITHER_PARTY | SCHOOL_MANAGEMENT,
    d.AttachEvidenceFile: EITHER_PARTY,
    d.AttachEvidenceLink: EITHER_PARTY,
    d.RemoveEvidence: EITHER_PARTY,
    d.RecordObservation: APPRAISER | SCHOOL_MANAGEMENT,
    d.CommentOnObservation: APPRAISEE,
    d.RecommendPay: APPRAISER | {"school leader"},
    d.RecordPayDecision: {"pay committee"},
    d.PublishObjectiveTemplate: TRUST_MANAGEMENT,
    d.RetireObjectiveTemplate: TRUST_MANAGEMENT,
    d.PublishRatingScale: TRUST_MANAGEMENT,
    d.SetObservationPolicy: TRUST_MANAGEMENT,
    m.GrantRole: ORGANISATION,
    m.RevokeRole: ORGANISATION,
    m.RecordSubjectAccessExport: ORGANISATION,
}

MATRIX = [(command, actor) for command in ALLOWED for actor in ACTORS]


def command_of(command_type: type[m.Command]) -> m.Command:
    # The policy looks only at the command's type, so its fields need not be valid here.
    return command_type.model_construct()


def scope_for(command_type: type[m.Command]) -> Scope:
    # A trust is registered before it has a scope; everything else happens inside Ann's.
    return Scope() if command_type is m.RegisterTrust else SCOPE


def test_every_command_has_a_policy_and_a_handler() -> None:
    modules = {m.__name__, d.__name__}
    commands = {c for c in m.Command.__subclasses__() if c.__module__ in modules}
    assert set(POLICIES) == commands == set(COMMAND_HANDLERS) == set(ALLOWED)


@pytest.mark.parametrize(
    ("command_type", "actor"), MATRIX, ids=[f"{c.__name__}-{a}" for c, a in MATRIX]
)
def test_authorisation_matrix(command_type: type[m.Command], actor: str) -> None:
    decision = decide(ACTORS[actor], command_of(command_type), scope_for(command_type))
    assert decision.allowed is (actor in ALLOWED[command_type])
    if not decision.allowed:
        assert decision.reason


@pytest.mark.parametrize(
    ("command_type", "actor"), MATRIX, ids=[f"{c.__name__}-{a}" for c, a in MATRIX]
)
def test_authorise_raises_the_error_the_decision_calls_for(
    command_type: type[m.Command], actor: str
) -> None:
    principal, command, scope = ACTORS[actor], command_of(command_type), scope_for(command_type)
    if actor in ALLOWED[command_type]:
        authorise(principal, command, scope)
    elif actor in OUTSIDERS and command_type is not m.RegisterTrust:
        # Another trust's records are not revealed: not found, rather than forbidden.
        with pytest.raises(NotFound):
            authorise(principal, command, scope)
    else:
        with pytest.raises(Forbidden):
            authorise(principal, command, scope)


@pytest.mark.parametrize("actor", sorted(READ_ONLY))
@pytest.mark.parametrize("command_type", list(ALLOWED), ids=lambda c: c.__name__)
def test_auditors_and_analysts_never_write(command_type: type[m.Command], actor: str) -> None:
    decision = decide(ACTORS[actor], command_of(command_type), scope_for(command_type))
    assert not decision.allowed
    assert not decision.hidden


def test_a_school_leader_does_not_manage_trust_wide_things() -> None:
    leader = ACTORS["school leader"]
    trust_wide = Scope(trust_id=TRUST)
    assert not decide(leader, command_of(m.AddPriority), trust_wide).allowed
    assert decide(leader, command_of(m.AddPriority), Scope(trust_id=TRUST, school_id=OAK)).allowed
    assert not decide(
        leader, command_of(m.AddPriority), Scope(trust_id=TRUST, school_id=ASH)
    ).allowed


@pytest.mark.parametrize("command_type", [m.ModerateReview, m.DecideAppeal, m.ReopenReview])
@pytest.mark.parametrize("party", ["appraisee", "appraiser"])
def test_leaders_who_are_party_to_a_review_do_not_moderate_or_decide_its_appeal(
    command_type: type[m.Command], party: str
) -> None:
    leader_id = ANN if party == "appraisee" else BOB
    for role in (Role.SCHOOL_LEADER, Role.TRUST_LEADER, Role.ADMIN):
        leader = Principal(leader_id, role, trust_id=TRUST, school_ids=frozenset({OAK}))
        decision = decide(leader, command_of(command_type), SCOPE)
        assert not decision.allowed
        assert "outside the review" in decision.reason


def test_a_leader_appraising_someone_acts_on_the_review_as_their_appraiser() -> None:
    head = Principal(BOB, Role.SCHOOL_LEADER, trust_id=TRUST, school_ids=frozenset({OAK}))
    assert decide(head, command_of(m.AssessObjective), SCOPE).allowed
    assert decide(head, command_of(m.SignOffReview), SCOPE).allowed


def test_staff_of_another_trust_are_told_nothing_exists() -> None:
    stranger = Principal(ANN, Role.STAFF, trust_id=OTHER_TRUST)
    decision = decide(stranger, command_of(m.AgreeObjective), SCOPE)
    assert (decision.allowed, decision.hidden) == (False, True)


def test_a_command_without_a_policy_is_denied() -> None:
    class Unlisted(m.Command):
        pass

    decision = decide(ACTORS["platform admin"], Unlisted(), SCOPE)
    assert not decision.allowed
    assert "Unlisted" in decision.reason


# A headteacher's review: Hana the headteacher, appraised by a panel of two governors (the
# chair stands as appraiser). Ordinary staff, leaders and governors off the panel are not.
HANA = UUID("60000000-0000-4000-8000-0000000000d1")
CHAIR = UUID("60000000-0000-4000-8000-0000000000e1")
SECOND = UUID("60000000-0000-4000-8000-0000000000e2")
PANEL_SCOPE = Scope(
    trust_id=TRUST,
    school_id=OAK,
    appraisee_id=HANA,
    appraiser_id=CHAIR,
    panel_ids=frozenset({CHAIR, SECOND}),
)
PANEL_ACTORS: dict[str, Principal] = {
    "headteacher": Principal(HANA, Role.SCHOOL_LEADER, trust_id=TRUST, school_ids=frozenset({OAK})),
    "chair": Principal(CHAIR, Role.GOVERNOR, trust_id=TRUST, school_ids=frozenset({OAK})),
    "second governor": Principal(SECOND, Role.GOVERNOR, trust_id=TRUST),
    "governor off the panel": ACTORS["governor"],
    # A member of staff whose id is the chair's cannot act as the panel: only governors can.
    "staff with the chair's id": Principal(CHAIR, Role.STAFF, trust_id=TRUST),
    "deputy head": ACTORS["appraiser"],
    "trust leader": ACTORS["trust leader"],
}
PANEL = {"chair", "second governor"}
PANEL_ALLOWED: dict[type[m.Command], set[str]] = {
    m.RecordAdviserConsultation: PANEL,
    m.RecordMeeting: PANEL,
    m.WriteAssessment: PANEL,
    m.IssueReport: PANEL,
    m.SetObjectiveWithoutAgreement: PANEL,
    m.AssessObjective: PANEL,
    m.AgreeObjective: {*PANEL, "headteacher"},
    m.SignOffReview: {*PANEL, "headteacher"},
    m.CommentOnReport: {"headteacher"},
    m.ModerateReview: {"trust leader"},
}
PANEL_MATRIX = [(c, a) for c in PANEL_ALLOWED for a in PANEL_ACTORS]


@pytest.mark.parametrize(
    ("command_type", "actor"), PANEL_MATRIX, ids=[f"{c.__name__}-{a}" for c, a in PANEL_MATRIX]
)
def test_a_headteachers_review_is_run_by_its_governors_panel_not_by_staff(
    command_type: type[m.Command], actor: str
) -> None:
    decision = decide(PANEL_ACTORS[actor], command_of(command_type), PANEL_SCOPE)
    assert decision.allowed is (actor in PANEL_ALLOWED[command_type]), decision.reason
