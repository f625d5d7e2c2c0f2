"""The command handler table: every command type and the function that handles it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commands import development_messages as d
from commands import messages as m
from commands.handlers import (
    access,
    development,
    framework,
    objectives,
    organisation,
    pay,
    reminders,
    reviews,
    subject_access,
)
from commands.handling import Handling, Outcome

Handler = Callable[[Any, Handling], Outcome]

COMMAND_HANDLERS: dict[type[m.Command], Handler] = {
    m.RegisterTrust: organisation.register_trust,
    m.AddSchool: organisation.add_school,
    m.RenameSchool: organisation.rename_school,
    m.AddPriority: organisation.add_priority,
    m.RetirePriority: organisation.retire_priority,
    m.AppointGovernor: organisation.appoint_governor,
    m.RegisterStaff: organisation.register_staff,
    m.TransferStaff: organisation.transfer_staff,
    m.ChangeLineManager: organisation.change_line_manager,
    m.RenameStaff: organisation.rename_staff,
    m.ChangeJobTitle: organisation.change_job_title,
    m.RecordStaffLeaving: organisation.record_staff_leaving,
    m.ScheduleCycle: organisation.schedule_cycle,
    m.OpenCycle: organisation.open_cycle,
    m.CloseCycle: organisation.close_cycle,
    m.ReopenCycle: organisation.reopen_cycle,
    m.ChangeCyclePolicy: organisation.change_cycle_policy,
    m.StartReview: reviews.start_review,
    m.StartHeadteacherReview: reviews.start_headteacher_review,
    m.RecordAdviserConsultation: reviews.record_adviser_consultation,
    m.ChangeAppraiser: reviews.change_appraiser,
    m.RecordMeeting: reviews.record_meeting,
    m.SubmitSelfAssessment: reviews.submit_self_assessment,
    m.WriteAssessment: reviews.write_assessment,
    m.IssueReport: reviews.issue_report,
    m.CommentOnReport: reviews.comment_on_report,
    m.SignOffReview: reviews.sign_off,
    m.ModerateReview: reviews.moderate,
    m.LodgeAppeal: reviews.lodge_appeal,
    m.DecideAppeal: reviews.decide_appeal,
    m.ReopenReview: reviews.reopen_review,
    m.DraftObjective: objectives.draft_objective,
    m.ReviseObjective: objectives.revise_objective,
    m.AgreeObjective: objectives.agree_objective,
    m.SetObjectiveWithoutAgreement: objectives.set_without_agreement,
    m.RecordDisagreement: objectives.record_disagreement,
    m.RecordProgress: objectives.record_progress,
    m.AssessObjective: objectives.assess_objective,
    m.WithdrawObjective: objectives.withdraw_objective,
    m.ReinstateObjective: objectives.reinstate_objective,
    m.CarryForwardObjective: objectives.carry_forward,
    m.ChangeReminderPolicy: reminders.change_reminder_policy,
    m.ChangeReminderPreference: reminders.change_reminder_preference,
    m.ChaseReview: reminders.chase_review,
    m.GrantRole: access.grant_role,
    m.RevokeRole: access.revoke_role,
    m.RecordSubjectAccessExport: subject_access.record_subject_access_export,
}

COMMAND_HANDLERS.update(
    {
        d.PlanCpd: development.plan_cpd,
        d.CompleteCpd: development.complete_cpd,
        d.ReflectOnCpd: development.reflect_on_cpd,
        d.CancelCpd: development.cancel_cpd,
        d.AttachEvidenceFile: development.attach_evidence_file,
        d.AttachEvidenceLink: development.attach_evidence_link,
        d.RemoveEvidence: development.remove_evidence,
        d.RecordObservation: development.record_observation,
        d.CommentOnObservation: development.comment_on_observation,
        d.RecommendPay: pay.recommend_pay,
        d.RecordPayDecision: pay.record_pay_decision,
        d.PublishObjectiveTemplate: framework.publish_template,
        d.RetireObjectiveTemplate: framework.retire_template,
        d.PublishRatingScale: framework.publish_scale,
        d.SetObservationPolicy: framework.set_observation_policy,
    }
)
