"""The state the summary read models keep per school, person, cycle, review and objective.

Handlers here change subject states only; ``cycle_facts`` turns changed states into facts.
Every school attribution is made when the thing happens, from the person's assignment
history as known at that point of the log, so replaying the log gives the same answer.
"""

from __future__ import annotations

from typing import Any

from projections.engine.common import day
from projections.engine.core import Event
from projections.engine.db import Table
from projections.engine.workset import Batch, Row
from projections.review_progress import ReviewProgress


class SubjectHandlers:
    """Event handlers that keep subject states (JSON rows keyed by the subject's id)."""

    subjects: Table
    priorities: Table
    _dirty: set[str]
    _dirty_trusts: set[str]
    _dirty_schools: set[str]

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

    def _school(self, b: Batch, e: Event) -> None:
        name = e.data.get("name") or e.data.get("new_name")
        self._put(b, e.data["school_id"], {"kind": "school", "name": name}, dirty=False)
        self._dirty_schools.add(e.data["school_id"])

    def _priority(self, b: Batch, e: Event) -> None:
        rows = b.rows(self.priorities, index_on=("trust_id",))
        d = e.data
        existing = rows.get(d["priority_id"])
        if e.type == "PriorityAdded":
            rows.put(
                {
                    "priority_id": d["priority_id"],
                    "trust_id": e.originator_id,
                    "school_id": d.get("school_id"),
                    "active": True,
                }
            )
        elif existing is not None:
            rows.put({**existing, "active": False})
        self._dirty_trusts.add(e.originator_id)

    def _staff_registered(self, b: Batch, e: Event) -> None:
        state = {"kind": "staff", "history": [], "reviews": []}
        self._put(b, e.originator_id, state, dirty=False)

    def _assigned(self, b: Batch, e: Event) -> None:
        row = self._subject(b, e.originator_id)
        person = row["state"] if row else {"kind": "staff", "history": [], "reviews": []}
        history = [*person["history"], [e.data["effective_date"], e.data["school_id"]]]
        history.sort(key=lambda entry: entry[0])
        self._put(b, e.originator_id, {**person, "history": history}, dirty=False)
        # A review still open counts the appraisee at every school they were in during it.
        for review_id in person["reviews"]:
            review = self._subject(b, review_id)
            if review is None or review["state"]["complete"]:
                continue
            state = review["state"]
            if e.data["school_id"] not in state["schools"]:
                self._put(
                    b, review_id, {**state, "schools": [*state["schools"], e.data["school_id"]]}
                )

    def _cycle(self, b: Batch, e: Event) -> None:
        d = e.data
        state = {
            "kind": "cycle",
            "name": d["name"],
            "objective_setting_deadline": d["objective_setting_deadline"],
            "mid_year_deadline": d["mid_year_window_end"],
            "end_year_deadline": d["end_year_deadline"],
        }
        self._put(b, e.originator_id, state, dirty=False)

    # ---------------------------------------------------------------------- reviews

    def _review_started(self, b: Batch, e: Event) -> None:
        d = e.data
        state = {
            "kind": "review",
            "cycle": d["cycle_id"],
            "trust": d["trust_id"],
            "appraisee": d["appraisee_id"],
            "start_school": d["school_id"],
            "schools": [d["school_id"]],
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
        person = self._subject(b, d["appraisee_id"])
        if person is not None:
            p = person["state"]
            self._put(
                b,
                d["appraisee_id"],
                {**p, "reviews": [*p["reviews"], e.originator_id]},
                dirty=False,
            )

    def _review(self, b: Batch, e: Event, on: str | None = None, **changes: Any) -> None:
        """Change a review; a value ``...`` means "the appraisee's school on that day"."""
        row = self._subject(b, e.originator_id)
        if row is None:
            return
        state = dict(row["state"])
        school = self._school_at(b, state["appraisee"], on or day(e), state["start_school"])
        for key, value in changes.items():
            state[key] = school if value is ... else value
        self._put(b, e.originator_id, state)

    def _progress(self, b: Batch, e: Event) -> None:
        """A review event through the shared fold; each milestone the fold reaches is counted
        at the appraisee's school that day, and one it no longer holds is no longer counted."""
        row = self._subject(b, e.originator_id)
        if row is None:
            return
        state = dict(row["state"])
        before = ReviewProgress.from_dict(state.get("progress") or {})
        after = before.apply(e)
        today = self._school_at(b, state["appraisee"], day(e), state["start_school"])
        if e.type == "MeetingRecorded":
            held_on = str(e.data["held_on"])[:10]
            school = self._school_at(b, state["appraisee"], held_on, state["start_school"])
            state[f"{e.data['kind']}_done"] = school
        if e.type == "AssessmentWritten":
            state["overall"] = [e.data["overall"], today]
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

    def _drafted(self, b: Batch, e: Event) -> None:
        d = e.data
        review = self._subject(b, d["review_id"])
        r = {} if review is None else review["state"]
        fallback = r.get("start_school")
        if fallback is None:  # no review seen: the objective cannot be placed in a school
            return
        state = {
            "kind": "objective",
            "cycle": d["cycle_id"],
            "trust": r["trust"],
            "appraisee": d["appraisee_id"],
            "start_school": fallback,
            "school": self._school_at(b, d["appraisee_id"], day(e), fallback),
            "agreed_by": [],
            "agreed": None,
            "without_agreement": None,
            "outcome": None,
            "withdrawn": False,
            "priority_id": d.get("priority_id"),
        }
        self._put(b, e.originator_id, state)

    def _objective(self, b: Batch, e: Event, **changes: Any) -> None:
        """Change an objective; a value ``...`` means "the appraisee's school that day"."""
        row = self._subject(b, e.originator_id)
        if row is None:
            return
        state = dict(row["state"])
        school = self._school_at(b, state["appraisee"], day(e), state["start_school"])
        for key, value in changes.items():
            state[key] = school if value is ... else value
        self._put(b, e.originator_id, state)

    def _agreed(self, b: Batch, e: Event) -> None:
        row = self._subject(b, e.originator_id)
        if row is None:
            return
        agreed_by = sorted({*row["state"]["agreed_by"], e.data["by"]})
        # Counted once, at the school where the second party agreed.
        agreed = row["state"]["agreed"] or (... if len(agreed_by) == 2 else None)
        self._objective(b, e, agreed_by=agreed_by, agreed=agreed)

    def _revised(self, b: Batch, e: Event) -> None:
        # Revising clears agreement (and a setting without it); a new priority counts instead.
        changes: dict[str, Any] = {"agreed_by": [], "agreed": None, "without_agreement": None}
        for change in e.data["changes"]:
            if change["field"] == "priority_id":
                changes["priority_id"] = change["new"] or None
        self._objective(b, e, **changes)

    def _without_agreement(self, b: Batch, e: Event) -> None:
        self._objective(b, e, without_agreement=...)

    def _assessed(self, b: Batch, e: Event) -> None:
        row = self._subject(b, e.originator_id)
        if row is not None:
            s = row["state"]
            school = self._school_at(b, s["appraisee"], day(e), s["start_school"])
            self._objective(b, e, outcome=[e.data["outcome"], school])
