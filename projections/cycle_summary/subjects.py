"""The state the summary read models keep per school, person, cycle, review and objective.

Handlers here change subject states only; ``cycle_facts`` turns changed states into facts.
Every school attribution is made when the thing happens, from the person's assignment
history as known at that point of the log, so replaying the log gives the same answer.
Where a review or an objective stands comes from the shared folds (``review_progress``,
``objective_fold``); a subject keeps the fold's state beside the schools it attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from events import cycle as cy
from events import objective as ob
from events import review as rv
from events import staff, trust
from events.base import DomainEvent
from projections import objective_fold as fold
from projections.engine.common import day, text
from projections.engine.core import Event, Handler, Handlers, id_text
from projections.engine.db import Table
from projections.engine.workset import Batch, Row
from projections.review_progress import PROGRESS_EVENTS, ProgressEvent, ReviewProgress

# What an objective's subject keeps of the shared fold's state: the flags its facts read.
KEPT = (
    "agreed_by_appraisee",
    "agreed_by_appraiser",
    "set_without_agreement",
    "outcome",
    "withdrawn",
    "priority_id",
    "carried_forward_to",
    "status",
)
# The fold's events that change nothing an objective's subject keeps (tested): not read.
IGNORED: tuple[type[fold.ObjectiveChange], ...] = (ob.DisagreementRecorded, ob.ProgressRecorded)


class SubjectHandlers:
    """Event handlers that keep subject states (JSON rows keyed by the subject's id)."""

    subjects: Table
    priorities: Table
    _dirty: set[str]
    _dirty_trusts: set[str]
    _dirty_schools: set[str]

    def subject_handlers(self) -> Mapping[type[DomainEvent], Handler]:
        handlers = (
            Handlers()
            .on(trust.SchoolAdded, lambda b, e: self._school(b, e.event.school_id, e.event.name))
            .on(
                trust.SchoolRenamed,
                lambda b, e: self._school(b, e.event.school_id, e.event.new_name),
            )
            .on(trust.PriorityAdded, self._priority_added)
            .on(trust.PriorityRetired, self._priority_retired)
            .on(staff.StaffRegistered, self._staff_registered)
            .on(staff.AssignedToSchool, self._assigned)
            .on(cy.CycleScheduled, self._cycle)
            .on(rv.ReviewStarted, self._review_started)
            .on(ob.ObjectiveDrafted, self._drafted)
        )
        # Review milestones come from the one shared fold (``review_progress``); those that
        # count nothing here (a self-assessment, a comment) are not read.
        for cls in PROGRESS_EVENTS:
            if cls not in (rv.SelfAssessmentSubmitted, rv.AppraiseeCommented):
                handlers.on(cls, self._progress)
        # An objective's state comes from the shared objective fold (``objective_fold``).
        for change in fold.CHANGES:
            if change not in IGNORED:
                handlers.on(change, self._objective)
        return handlers

    def _subject(self, b: Batch, subject_id: str | None) -> Row | None:
        return None if subject_id is None else b.rows(self.subjects).get(subject_id)

    def _put(self, b: Batch, subject_id: str, state: Row, *, dirty: bool = True) -> None:
        b.rows(self.subjects).put({"subject_id": subject_id, "state": state})
        if dirty:
            self._dirty.add(subject_id)

    def _school_at(self, b: Batch, staff_id: str, on: str, fallback: str) -> str:
        person = self._subject(b, staff_id)
        history = [] if person is None else person["state"]["history"]
        school = history[0][1] if history else fallback
        for effective, school_id in history:
            if effective > on:
                break
            school = school_id
        return str(school)

    # ------------------------------------------------------- trust, staff, cycle

    def _school(self, b: Batch, school_id: UUID, name: str) -> None:
        sid = id_text(school_id)
        self._put(b, sid, {"kind": "school", "name": name}, dirty=False)
        self._dirty_schools.add(sid)

    def _priority_added(self, b: Batch, e: Event[trust.PriorityAdded]) -> None:
        d = e.event
        b.rows(self.priorities, index_on=("trust_id",)).put(
            {
                "priority_id": id_text(d.priority_id),
                "trust_id": e.originator_id,
                "school_id": text(d.school_id),
                "active": True,
            }
        )
        self._dirty_trusts.add(e.originator_id)

    def _priority_retired(self, b: Batch, e: Event[trust.PriorityRetired]) -> None:
        rows = b.rows(self.priorities, index_on=("trust_id",))
        existing = rows.get(id_text(e.event.priority_id))
        if existing is not None:
            rows.put({**existing, "active": False})
        self._dirty_trusts.add(e.originator_id)

    def _staff_registered(self, b: Batch, e: Event[staff.StaffRegistered]) -> None:
        state = {"kind": "staff", "history": [], "reviews": []}
        self._put(b, e.originator_id, state, dirty=False)

    def _assigned(self, b: Batch, e: Event[staff.AssignedToSchool]) -> None:
        d = e.event
        school_id = id_text(d.school_id)
        row = self._subject(b, e.originator_id)
        person = row["state"] if row else {"kind": "staff", "history": [], "reviews": []}
        history = [*person["history"], [d.effective_date.isoformat(), school_id]]
        history.sort(key=lambda entry: entry[0])
        self._put(b, e.originator_id, {**person, "history": history}, dirty=False)
        # A review still open counts the appraisee at every school they were in during it.
        for review_id in person["reviews"]:
            review = self._subject(b, review_id)
            if review is None or review["state"]["complete"]:
                continue
            state = review["state"]
            if school_id not in state["schools"]:
                self._put(b, review_id, {**state, "schools": [*state["schools"], school_id]})

    def _cycle(self, b: Batch, e: Event[cy.CycleScheduled]) -> None:
        d = e.event
        state = {
            "kind": "cycle",
            "name": d.name,
            "objective_setting_deadline": d.objective_setting_deadline.isoformat(),
            "mid_year_deadline": d.mid_year_window_end.isoformat(),
            "end_year_deadline": d.end_year_deadline.isoformat(),
        }
        self._put(b, e.originator_id, state, dirty=False)

    # ---------------------------------------------------------------------- reviews

    def _review_started(self, b: Batch, e: Event[rv.ReviewStarted]) -> None:
        d = e.event
        appraisee, school = id_text(d.appraisee_id), id_text(d.school_id)
        state = {
            "kind": "review",
            "cycle": id_text(d.cycle_id),
            "trust": id_text(d.trust_id),
            "appraisee": appraisee,
            "start_school": school,
            "schools": [school],
            "planning_done": None,
            "mid_year_done": None,
            "end_year_done": None,
            "overall": None,
            "reported": None,
            "complete": None,
            "appeal": None,
            "progress": ReviewProgress().as_dict(),
        }
        self._put(b, e.originator_id, state)
        person = self._subject(b, appraisee)
        if person is not None:
            p = person["state"]
            self._put(b, appraisee, {**p, "reviews": [*p["reviews"], e.originator_id]}, dirty=False)

    def _progress(self, b: Batch, e: Event[ProgressEvent]) -> None:
        """A review event through the shared fold; each milestone the fold reaches is counted
        at the appraisee's school that day, and one it no longer holds is no longer counted."""
        row = self._subject(b, e.originator_id)
        if row is None:
            return
        state = dict(row["state"])
        d = e.event
        before = ReviewProgress.from_dict(state.get("progress") or {})
        after = before.apply(d)
        today = self._school_at(b, state["appraisee"], day(e), state["start_school"])
        if isinstance(d, rv.MeetingRecorded):
            held_on = d.held_on.isoformat()
            school = self._school_at(b, state["appraisee"], held_on, state["start_school"])
            state[f"{d.kind.value}_done"] = school
        elif isinstance(d, rv.AssessmentWritten):
            state["overall"] = [d.overall.value, today]
        for key, held, was in (
            ("reported", after.report_issued_on is not None, before.report_issued_on is not None),
            ("complete", after.complete, before.complete),
            ("appeal", after.appeal is not None, before.appeal is not None),
        ):
            if not held:
                state[key] = None
            elif not was or state.get(key) is None:
                state[key] = today
        state["progress"] = after.as_dict()
        self._put(b, e.originator_id, state)

    # ------------------------------------------------------------------- objectives

    def _drafted(self, b: Batch, e: Event[ob.ObjectiveDrafted]) -> None:
        d = e.event
        review = self._subject(b, id_text(d.review_id))
        r = {} if review is None else review["state"]
        fallback = r.get("start_school")
        if fallback is None:  # no review seen: the objective cannot be placed in a school
            return
        appraisee = id_text(d.appraisee_id)
        drafted: Row = dict(fold.drafted(d))
        state = {
            "kind": "objective",
            "cycle": id_text(d.cycle_id),
            "trust": r["trust"],
            "appraisee": appraisee,
            "start_school": fallback,
            "school": self._school_at(b, appraisee, day(e), fallback),
            **{key: drafted[key] for key in KEPT},
            # Where it was agreed (both parties), set without agreement and assessed.
            "agreed_school": None,
            "without_agreement_school": None,
            "outcome_school": None,
        }
        self._put(b, e.originator_id, state)

    def _objective(self, b: Batch, e: Event[fold.ObjectiveChange]) -> None:
        """A change through the shared fold; agreement (by both), a setting without it and an
        outcome are counted at the appraisee's school on the day they are reached, and one the
        objective no longer holds (revised, reinstated) is no longer counted."""
        row = self._subject(b, e.originator_id)
        if row is None:
            return
        before: Row = row["state"]
        d = e.event
        changes = fold.changes(before, d)
        state = dict(before)
        for key in KEPT:
            if key in changes:
                state[key] = changes[key]
        state["priority_id"] = state["priority_id"] or None
        reached = []
        if not (state["agreed_by_appraisee"] and state["agreed_by_appraiser"]):
            state["agreed_school"] = None
        elif not (before["agreed_by_appraisee"] and before["agreed_by_appraiser"]):
            reached.append("agreed_school")
        if not state["set_without_agreement"]:
            state["without_agreement_school"] = None
        elif not before["set_without_agreement"]:
            reached.append("without_agreement_school")
        if state["outcome"] is None:
            state["outcome_school"] = None
        elif isinstance(d, ob.ObjectiveAssessed):
            reached.append("outcome_school")
        if reached:  # the appraisee's school that day, looked up only when something counts
            today = self._school_at(b, state["appraisee"], day(e), state["start_school"])
            state.update(dict.fromkeys(reached, today))
        if state != before:
            self._put(b, e.originator_id, state)
