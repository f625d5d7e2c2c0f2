"""Handlers for reviews: starting, meetings, assessment, the report, sign-off and appeals."""

from __future__ import annotations

from uuid import UUID

from aggregates import framework, review
from aggregates.base import require
from aggregates.errors import AlreadyExists, Forbidden, NotFound
from aggregates.objective import IN_FORCE, ObjectiveStatus
from aggregates.review import Review
from commands import messages as m
from commands.handling import (
    CYCLE,
    FRAMEWORK,
    OBJECTIVE,
    REVIEW,
    STAFF,
    TRUST,
    Handling,
    Outcome,
    review_scope,
)
from commands.policy import Scope
from events.review import ExternalAdviser
from events.values import ObjectiveNote, Signatory


def start_review(cmd: m.StartReview, h: Handling) -> Outcome:
    appraisee = h.load(STAFF, cmd.appraisee_id)
    h.authorise(cmd, Scope(trust_id=appraisee.trust_id, school_id=appraisee.school_id))
    c = h.load_in_trust(CYCLE, cmd.cycle_id, appraisee.trust_id)
    appraiser = h.load_in_trust(STAFF, cmd.appraiser_id, appraisee.trust_id)
    events = review.start_review(c, appraisee, appraiser, h.ctx)
    review_id = events[0].originator_id
    try:
        h.load(REVIEW, review_id)
    except NotFound:
        return Outcome(review_id, events)
    raise AlreadyExists(f"{appraisee.name} already has a review in {c.name}", existing_id=review_id)


def start_headteacher_review(cmd: m.StartHeadteacherReview, h: Handling) -> Outcome:
    c = h.load(CYCLE, cmd.cycle_id)
    appraisee = h.load(STAFF, cmd.appraisee_id)
    h.authorise(cmd, Scope(trust_id=appraisee.trust_id, school_id=appraisee.school_id))
    t = h.load(TRUST, appraisee.trust_id)
    unknown = [g for g in cmd.panel if g not in t.governors]
    require(
        not unknown,
        "governor-appointed",
        f"{len(unknown)} of the panel are not governors appointed in this trust",
    )
    adviser = ExternalAdviser(name=cmd.adviser_name, organisation=cmd.adviser_organisation)
    panel = [t.governors[g] for g in cmd.panel]
    events = review.start_headteacher_review(c, appraisee, panel=panel, adviser=adviser, ctx=h.ctx)
    review_id = events[0].originator_id
    try:
        h.load(REVIEW, review_id)
    except NotFound:
        return Outcome(review_id, events)
    raise AlreadyExists(f"{appraisee.name} already has a review in {c.name}", existing_id=review_id)


def record_adviser_consultation(cmd: m.RecordAdviserConsultation, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    return Outcome(rv.id, review.consult_adviser(rv, c, cmd.held_on, cmd.summary, h.ctx))


def change_appraiser(cmd: m.ChangeAppraiser, h: Handling) -> Outcome:
    rv = h.target(REVIEW, cmd.review_id)
    h.authorise(cmd, review_scope(h, rv))
    c = h.load(CYCLE, rv.cycle_id)
    appraisee = h.load(STAFF, rv.appraisee_id)
    appraiser = h.load_in_trust(STAFF, cmd.appraiser_id, rv.trust_id)
    return Outcome(rv.id, review.change_appraiser(rv, c, appraisee, appraiser, cmd.reason, h.ctx))


def _authorised_review(cmd: m.Command, review_id: UUID, h: Handling) -> Review:
    rv = h.target(REVIEW, review_id)
    h.authorise(cmd, review_scope(h, rv))
    return rv


def record_meeting(cmd: m.RecordMeeting, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    events = review.record_meeting(
        rv,
        c,
        cmd.kind,
        cmd.held_on,
        cmd.notes,
        h.ctx,
        outside_window_reason=cmd.outside_window_reason,
    )
    return Outcome(rv.id, events)


def submit_self_assessment(cmd: m.SubmitSelfAssessment, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    return Outcome(rv.id, review.submit_self_assessment(rv, c, cmd.text, h.ctx))


def write_assessment(cmd: m.WriteAssessment, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    in_force = sum(
        h.load(OBJECTIVE, oid).status in (*IN_FORCE, ObjectiveStatus.ASSESSED)
        for oid in rv.active_objectives
    )
    notes = tuple(
        ObjectiveNote(objective_id=str(n.objective_id), note=n.note) for n in cmd.objective_notes
    )
    scale = scale_for(h, rv.trust_id, c.policy.rating_scale_version)
    overall, level = framework.overall_judgement(scale, cmd.overall, cmd.overall_level)
    events = review.write_assessment(
        rv,
        c,
        overall,
        cmd.summary,
        notes,
        tuple(cmd.development_needs),
        cmd.support,
        h.ctx,
        objectives_in_force=in_force,
        overall_level=level,
    )
    return Outcome(rv.id, events)


def issue_report(cmd: m.IssueReport, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    return Outcome(rv.id, review.issue_report(rv, c, h.ctx))


def comment_on_report(cmd: m.CommentOnReport, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    return Outcome(rv.id, review.comment_on_report(rv, c, cmd.comment, h.ctx))


def sign_off(cmd: m.SignOffReview, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    by = signatory(h, rv)
    return Outcome(rv.id, review.sign_off(rv, c, by, h.ctx))


def signatory(h: Handling, rv: Review) -> Signatory:
    """Whether the actor signs or agrees as the appraisee or as the appraiser."""
    if h.principal.id == rv.appraisee_id:
        return Signatory.APPRAISEE
    if h.principal.id == rv.appraiser_id or h.principal.id in rv.panel_ids:
        return Signatory.APPRAISER
    raise Forbidden("only the appraisee or their appraiser may do this")


def moderate(cmd: m.ModerateReview, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    return Outcome(rv.id, review.moderate(rv, c, cmd.outcome, cmd.note, h.ctx))


def lodge_appeal(cmd: m.LodgeAppeal, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    return Outcome(rv.id, review.lodge_appeal(rv, c, cmd.grounds, h.ctx))


def decide_appeal(cmd: m.DecideAppeal, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    return Outcome(rv.id, review.decide_appeal(rv, c, cmd.outcome, cmd.note, h.ctx))


def reopen_review(cmd: m.ReopenReview, h: Handling) -> Outcome:
    rv = _authorised_review(cmd, cmd.review_id, h)
    c = h.load(CYCLE, rv.cycle_id)
    return Outcome(rv.id, review.reopen_review(rv, c, cmd.reason, h.ctx))


def scale_for(h: Handling, trust_id: UUID, version: int) -> framework.RatingScale:
    """The rating scale a cycle reports by (the built-in one until the trust publishes)."""
    fw = h.maybe(FRAMEWORK, framework.framework_id_for(trust_id))
    scale = framework.DEFAULT_SCALE if fw is None else fw.scale(version)
    return scale or framework.DEFAULT_SCALE
