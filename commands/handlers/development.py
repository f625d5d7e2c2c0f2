"""Handlers for CPD activities, evidence and observations: the work around an appraisal.

Each loads the review (or the record) it concerns, authorises against the review's people and
school, and lets the aggregate decide.
"""

from __future__ import annotations

from uuid import UUID

from aggregates import cpd, evidence, observation
from aggregates.errors import NotFound
from aggregates.framework import ObservationPolicy, framework_id_for
from aggregates.objective import Objective
from aggregates.review import Review
from commands import development_messages as d
from commands.handling import (
    CPD,
    EVIDENCE,
    FRAMEWORK,
    OBJECTIVE,
    OBSERVATION,
    REVIEW,
    STAFF,
    Handling,
    Outcome,
    review_scope,
)
from commands.messages import Command
from commands.policy import Scope
from events.evidence import EvidenceSubject

# CPD ---------------------------------------------------------------------------------------


def _school_now(h: Handling, rv: Review) -> UUID:
    return h.load(STAFF, rv.appraisee_id).school_id or rv.school_id


def _objectives(h: Handling, rv: Review, ids: list[UUID]) -> tuple[Objective, ...]:
    objectives = tuple(h.load(OBJECTIVE, i) for i in dict.fromkeys(ids))
    for o in objectives:
        # An objective of another trust reads as missing, like any other denial.
        if h.load(REVIEW, o.review_id).trust_id != rv.trust_id:
            raise NotFound(f"there is no objective with id {o.id}")
    return objectives


def plan_cpd(cmd: d.PlanCpd, h: Handling) -> Outcome:
    rv = h.load(REVIEW, cmd.review_id)
    h.authorise(cmd, review_scope(h, rv))
    plan = cpd.CpdPlan(
        title=cmd.title,
        provider=cmd.provider,
        kind=cmd.kind,
        starts_on=cmd.starts_on,
        ends_on=cmd.ends_on,
        hours=cmd.hours,
        cost_pence=cmd.cost_pence,
        development_needs=tuple(cmd.development_needs),
    )
    activity_id = cmd.activity_id or h.new_id()
    events = cpd.plan_cpd(
        activity_id,
        review=rv,
        school_id=_school_now(h, rv),
        plan=plan,
        objectives=_objectives(h, rv, cmd.objective_ids),
        ctx=h.ctx,
    )
    return Outcome(activity_id, events)


def _authorised_activity(cmd: Command, activity_id: UUID, h: Handling) -> cpd.CpdActivity:
    activity = h.target(CPD, activity_id)
    h.authorise(cmd, review_scope(h, h.load(REVIEW, activity.review_id)))
    return activity


def complete_cpd(cmd: d.CompleteCpd, h: Handling) -> Outcome:
    a = _authorised_activity(cmd, cmd.activity_id, h)
    events = cpd.complete_cpd(
        a, completed_on=cmd.completed_on, hours=cmd.hours, cost_pence=cmd.cost_pence, ctx=h.ctx
    )
    return Outcome(a.id, events)


def reflect_on_cpd(cmd: d.ReflectOnCpd, h: Handling) -> Outcome:
    a = _authorised_activity(cmd, cmd.activity_id, h)
    events = cpd.reflect_on_cpd(a, reflection=cmd.reflection, impact=cmd.impact, ctx=h.ctx)
    return Outcome(a.id, events)


def cancel_cpd(cmd: d.CancelCpd, h: Handling) -> Outcome:
    a = _authorised_activity(cmd, cmd.activity_id, h)
    return Outcome(a.id, cpd.cancel_cpd(a, reason=cmd.reason, ctx=h.ctx))


# Evidence ----------------------------------------------------------------------------------


def _attachment(
    cmd: Command, subject: EvidenceSubject, subject_id: UUID, h: Handling
) -> evidence.Attachment:
    """Whose record the subject is, after checking the actor may add evidence to it."""
    if subject is EvidenceSubject.OBJECTIVE:
        rv = h.load(REVIEW, h.load(OBJECTIVE, subject_id).review_id)
        scope = review_scope(h, rv)
        h.authorise(cmd, scope)
        person, school = rv.appraisee_id, scope.school_id or rv.school_id
    else:
        ob = h.load(OBSERVATION, subject_id)
        h.authorise(cmd, observation_scope(ob))
        person, school = ob.observed_id, ob.school_id
    return evidence.Attachment(
        trust_id=h.load(STAFF, person).trust_id,
        school_id=school,
        person_id=person,
        subject=subject,
        subject_id=subject_id,
    )


def observation_scope(ob: observation.Observation) -> Scope:
    return Scope(
        trust_id=ob.trust_id,
        school_id=ob.school_id,
        appraisee_id=ob.observed_id,
        appraiser_id=ob.observer_id,
    )


def attach_evidence_file(cmd: d.AttachEvidenceFile, h: Handling) -> Outcome:
    attachment = _attachment(cmd, cmd.subject, cmd.subject_id, h)
    facts = evidence.FileFacts(cmd.filename, cmd.sniffed_type, cmd.size, cmd.sha256)
    events = evidence.attach_file(
        cmd.evidence_id,
        attachment=attachment,
        title=cmd.title,
        facts=facts,
        max_bytes=cmd.max_bytes,
        ctx=h.ctx,
    )
    return Outcome(cmd.evidence_id, events)


def attach_evidence_link(cmd: d.AttachEvidenceLink, h: Handling) -> Outcome:
    attachment = _attachment(cmd, cmd.subject, cmd.subject_id, h)
    evidence_id = cmd.evidence_id or h.new_id()
    events = evidence.attach_link(
        evidence_id, attachment=attachment, title=cmd.title, url=str(cmd.url), ctx=h.ctx
    )
    return Outcome(evidence_id, events)


def remove_evidence(cmd: d.RemoveEvidence, h: Handling) -> Outcome:
    ev = h.target(EVIDENCE, cmd.evidence_id)
    _attachment(cmd, ev.attachment.subject, ev.attachment.subject_id, h)
    return Outcome(ev.id, evidence.remove_evidence(ev, reason=cmd.reason, ctx=h.ctx))


# Observations ------------------------------------------------------------------------------


def record_observation(cmd: d.RecordObservation, h: Handling) -> Outcome:
    rv = h.load(REVIEW, cmd.review_id)
    h.authorise(cmd, review_scope(h, rv))
    fw = h.maybe(FRAMEWORK, framework_id_for(rv.trust_id))
    policy = ObservationPolicy() if fw is None else fw.observation_policy
    notes = observation.ObservationNotes(
        kind=cmd.kind,
        held_on=cmd.held_on,
        context=cmd.context,
        focus_standards=tuple(cmd.focus_standards),
        strengths=cmd.strengths,
        areas_to_develop=cmd.areas_to_develop,
        grade=cmd.grade,
    )
    observation_id = cmd.observation_id or h.new_id()
    events = observation.record_observation(
        observation_id,
        review=rv,
        school_id=_school_now(h, rv),
        observer_id=h.principal.id,
        notes=notes,
        objectives=_objectives(h, rv, cmd.objective_ids),
        policy=policy,
        ctx=h.ctx,
    )
    return Outcome(observation_id, events)


def comment_on_observation(cmd: d.CommentOnObservation, h: Handling) -> Outcome:
    ob = h.target(OBSERVATION, cmd.observation_id)
    h.authorise(cmd, observation_scope(ob))
    return Outcome(ob.id, observation.comment_on_observation(ob, comment=cmd.comment, ctx=h.ctx))
