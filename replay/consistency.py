"""The consistency oracle: do the read models say what the aggregates themselves say?

The whole log is folded, in log order, with the aggregates' own ``evolve`` (the write side's
code, never a projector's). From those states this module derives what every row of
``review_status``, ``objective_current`` and the two cycle summaries must hold, then compares
them field by field with the live read models. Each difference is a ``Mismatch`` naming the
read model, the row, the field, the expected and the actual value.

Where the summaries attribute a thing to a school, the school is the appraisee's school (from
the StaffMember aggregate as known at that point of the log) on the day the aggregate's state
reached it. Fields the aggregates do not hold (free-text notes of progress, assessment and
withdrawal) are not compared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from aggregates.objective import Objective, ObjectiveStatus
from aggregates.review import AppealState, Review
from aggregates.staff import StaffMember
from events.base import DomainEvent
from events.codec import decode
from events.objective import ObjectiveAssessed, ObjectiveRevised
from events.review import AssessmentWritten, MeetingRecorded, ReviewStarted
from events.values import MeetingKind, Signatory
from projections import objective_current as oc
from projections import review_status as rs
from projections.cycle_summary import school as scs
from projections.cycle_summary import trust as tcs
from projections.cycle_summary.facts import METRICS
from projections.engine.common import select
from projections.engine.db import Database, Table
from replay.aggregates import KINDS

READ_MODELS = ("review_status", "objective_current", "school_cycle_summary", "trust_cycle_summary")
_PAGE = 2000


@dataclass(frozen=True, slots=True)
class Mismatch:
    read_model: str
    row: str
    field: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return (
            f"{self.read_model} [{self.row}] {self.field}: "
            f"expected {self.expected!r}, found {self.actual!r}"
        )


@dataclass
class _ReviewTrack:
    """What the oracle remembers of a review beyond its state: times and attributions."""

    started_at: datetime
    updated_at: datetime
    current_school: UUID
    schools: list[UUID]
    reopened: int = 0
    appeal_deadline: date | None = None
    facts: dict[str, UUID | None] = field(default_factory=dict)
    overall_school: UUID | None = None


@dataclass
class _ObjectiveTrack:
    created_at: datetime
    updated_at: datetime
    school: UUID
    revisions: int = 0
    agreed_school: UUID | None = None
    without_agreement_school: UUID | None = None
    outcome_school: UUID | None = None


class Truth:
    """Every aggregate's state, folded in log order with its own ``evolve``."""

    def __init__(self) -> None:
        self.states: dict[UUID, Any] = {}
        self.evolvers: dict[UUID, Any] = {}
        self.reviews: dict[UUID, _ReviewTrack] = {}
        self.objectives: dict[UUID, _ObjectiveTrack] = {}
        self.reviews_of: dict[UUID, list[UUID]] = defaultdict(list)

    def apply(self, event: DomainEvent) -> None:
        aid = event.originator_id
        if aid not in self.evolvers:
            kind = KINDS.get(type(event))
            if kind is None:
                return  # an aggregate this oracle does not model (none so far)
            self.evolvers[aid] = kind[1]
        before = self.states.get(aid)
        after = self.evolvers[aid](before, event)
        self.states[aid] = after
        if isinstance(after, Review):
            self._review(before, after, event)
        elif isinstance(after, Objective):
            self._objective(before, after, event)
        elif isinstance(after, StaffMember) and after.assignments:
            for review_id in self.reviews_of[aid]:
                r: Review = self.states[review_id]
                track = self.reviews[review_id]
                if not _complete(r):
                    track.current_school = after.assignments[-1].school_id
                    if track.current_school not in track.schools:
                        track.schools.append(track.current_school)

    # ------------------------------------------------------------------ helpers

    def school_on(self, staff_id: UUID, day: date, fallback: UUID) -> UUID:
        person = self.states.get(staff_id)
        if not isinstance(person, StaffMember) or not person.assignments:
            return fallback
        ordered = sorted(person.assignments, key=lambda a: a.effective_date)
        school = ordered[0].school_id
        for a in ordered:
            if a.effective_date > day:
                break
            school = a.school_id
        return school

    def _review(self, before: Review | None, after: Review, event: DomainEvent) -> None:
        at = event.timestamp
        if isinstance(event, ReviewStarted):
            self.reviews[after.id] = _ReviewTrack(at, at, after.school_id, [after.school_id])
            self.reviews_of[after.appraisee_id].append(after.id)
            return
        assert before is not None
        track = self.reviews[after.id]
        track.updated_at = at
        today = self.school_on(after.appraisee_id, at.date(), after.school_id)
        if isinstance(event, MeetingRecorded):
            held = after.meetings[event.kind]
            track.facts[f"{event.kind.value}_done"] = self.school_on(
                after.appraisee_id, held, after.school_id
            )
        if isinstance(event, AssessmentWritten):
            track.overall_school = today
        if before.report_current and not after.report_current:
            track.reopened += 1
        if after.report_current and not before.report_current:
            cyc = self.states[after.cycle_id]
            assert after.report_issued_on is not None
            track.appeal_deadline = after.report_issued_on + timedelta(
                days=cyc.policy.appeal_window_days
            )
        for key, held_now, held_before in (
            ("reported", after.report_current, before.report_current),
            ("complete", _complete(after), _complete(before)),
            ("appeal", after.appeal is not AppealState.NONE, before.appeal is not AppealState.NONE),
        ):
            if not held_now:
                track.facts[key] = None
            elif not held_before:
                track.facts[key] = today

    def _objective(self, before: Objective | None, after: Objective, event: DomainEvent) -> None:
        at = event.timestamp
        if before is None:
            r: Review = self.states[after.review_id]
            school = self.school_on(after.appraisee_id, at.date(), r.school_id)
            self.objectives[after.id] = _ObjectiveTrack(at, at, school)
            return
        track = self.objectives[after.id]
        track.updated_at = at
        r = self.states[after.review_id]
        today = self.school_on(after.appraisee_id, at.date(), r.school_id)
        if isinstance(event, ObjectiveRevised):
            track.revisions += 1
        both = frozenset(Signatory)
        if after.agreed_by != both:
            track.agreed_school = None
        elif before.agreed_by != both:
            track.agreed_school = today
        if not after.set_without_agreement:
            track.without_agreement_school = None
        elif not before.set_without_agreement:
            track.without_agreement_school = today
        if after.outcome is None:
            track.outcome_school = None
        elif isinstance(event, ObjectiveAssessed):
            track.outcome_school = today


def _complete(r: Review) -> bool:
    return r.report_current and r.signed_by == frozenset(Signatory)


def review_stage(r: Review) -> str:
    """How far a review has got, in the read models' words, from the aggregate's state."""
    if r.appeal is AppealState.LODGED:
        return "in_appeal"
    if r.report_current:
        if r.moderation is not None:
            return "moderated"
        return "signed_off" if r.signed_by == frozenset(Signatory) else "reported"
    if r.reopened:
        return "reopened"
    if r.assessment is not None:
        return "assessed"
    for kind, name in ((MeetingKind.END_YEAR, "end_year"), (MeetingKind.MID_YEAR, "mid_year")):
        if kind in r.meetings:
            return name
    return "planned" if MeetingKind.PLANNING in r.meetings else "started"


def objective_status(o: Objective) -> str:
    if o.status is ObjectiveStatus.WITHDRAWN:
        return "withdrawn"
    if o.carried_forward_to is not None:
        return "carried_forward"
    if o.status is ObjectiveStatus.ASSESSED:
        return "assessed"
    if o.status is ObjectiveStatus.AGREED:
        return "agreed"
    if o.status is ObjectiveStatus.SET_WITHOUT_AGREEMENT:
        return "set_without_agreement"
    return "awaiting_agreement" if o.agreed_by else "draft"


# -------------------------------------------------------------------- expected rows


def expected_reviews(truth: Truth) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for rid, t in truth.reviews.items():
        r: Review = truth.states[rid]
        c = truth.states[r.cycle_id]
        current = r.report_current
        out[str(rid)] = {
            "review_id": r.id,
            "cycle_id": r.cycle_id,
            "trust_id": r.trust_id,
            "school_id": r.school_id,
            "current_school_id": t.current_school,
            "appraisee_id": r.appraisee_id,
            "appraiser_id": r.appraiser_id,
            "stage": review_stage(r),
            "objectives_active": len(r.active_objectives),
            "planning_on": r.meetings.get(MeetingKind.PLANNING),
            "mid_year_on": r.meetings.get(MeetingKind.MID_YEAR),
            "end_year_on": r.meetings.get(MeetingKind.END_YEAR),
            "self_assessment_submitted": r.self_assessed,
            "overall": r.assessment,
            "report_issued_on": r.report_issued_on if current else None,
            "appraisee_commented": r.commented,
            "signed_by_appraisee": Signatory.APPRAISEE in r.signed_by,
            "signed_by_appraiser": Signatory.APPRAISER in r.signed_by,
            "moderation": r.moderation,
            "appeal": None if r.appeal is AppealState.NONE else r.appeal,
            "appeal_deadline": t.appeal_deadline if current else None,
            "reopened": t.reopened,
            "panel": [{"governor_id": m.governor_id, "name": m.name} for m in r.panel] or None,
            "adviser": r.adviser.model_dump() if r.adviser else None,
            "adviser_consulted_on": r.adviser_consulted_on,
            "objective_setting_deadline": c.dates.objective_setting_deadline,
            "mid_year_deadline": c.dates.mid_year_window_end,
            "end_year_deadline": c.dates.end_year_deadline,
            "started_at": t.started_at,
            "updated_at": t.updated_at,
            "version": r.version,
        }
    return out


def expected_objectives(truth: Truth) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for oid, t in truth.objectives.items():
        o: Objective = truth.states[oid]
        r: Review = truth.states[o.review_id]
        tr = truth.states[r.trust_id]
        priority = tr.priorities.get(o.content.priority_id) if o.content.priority_id else None
        out[str(oid)] = {
            "objective_id": o.id,
            "review_id": o.review_id,
            "cycle_id": o.cycle_id,
            "trust_id": r.trust_id,
            "school_id": t.school,
            "appraisee_id": o.appraisee_id,
            "appraiser_id": r.appraiser_id,
            "title": o.content.title,
            "description": o.content.description,
            "success_criteria": list(o.content.success_criteria),
            "standards": list(o.content.standards),
            "priority_id": o.content.priority_id,
            "priority_title": None if priority is None else priority.title,
            "due_date": o.content.due_date,
            "status": objective_status(o),
            "agreed_by_appraisee": Signatory.APPRAISEE in o.agreed_by,
            "agreed_by_appraiser": Signatory.APPRAISER in o.agreed_by,
            "set_without_agreement": o.set_without_agreement,
            "disagreement": o.disagreement,
            "progress_percent": o.progress,
            "outcome": o.outcome,
            "withdrawn": o.status is ObjectiveStatus.WITHDRAWN,
            "carried_forward_from": o.carried_forward_from,
            "carried_forward_to": o.carried_forward_to,
            "revisions": t.revisions,
            "created_at": t.created_at,
            "updated_at": t.updated_at,
            "version": o.version,
        }
    return out


def _facts(truth: Truth) -> list[tuple[UUID, UUID, UUID, str, UUID]]:
    """(trust, cycle, subject, metric, school) for every review and objective."""
    out: list[tuple[UUID, UUID, UUID, str, UUID]] = []
    for rid, t in truth.reviews.items():
        r: Review = truth.states[rid]
        key = (r.trust_id, r.cycle_id, rid)
        out += [(*key, "staff", s) for s in t.schools]
        for metric in ("planning_done", "mid_year_done", "end_year_done"):
            if t.facts.get(metric):
                out.append((*key, metric, t.facts[metric]))  # type: ignore[arg-type]
        for metric, name in (("reported", "reported"), ("complete", "complete")):
            if t.facts.get(metric):
                out.append((*key, name, t.facts[metric]))  # type: ignore[arg-type]
        if t.facts.get("appeal"):
            out.append((*key, "appeal", t.facts["appeal"]))  # type: ignore[arg-type]
        if r.assessment is not None and t.overall_school is not None:
            out.append((*key, f"judgement:{r.assessment.value}", t.overall_school))
        current = t.schools[-1]
        for pending, done in (
            ("pending_planning", "planning_done"),
            ("pending_mid_year", "mid_year_done"),
            ("pending_report", "reported"),
        ):
            if not t.facts.get(done):
                out.append((*key, pending, current))
    for oid, ot in truth.objectives.items():
        o: Objective = truth.states[oid]
        r = truth.states[o.review_id]
        key = (r.trust_id, o.cycle_id, oid)
        if o.status is ObjectiveStatus.WITHDRAWN:
            out.append((*key, "objective_withdrawn", ot.school))
            continue
        out.append((*key, "objective_set", ot.school))
        if ot.agreed_school is not None:
            out.append((*key, "objective_agreed", ot.agreed_school))
        if ot.without_agreement_school is not None:
            out.append((*key, "objective_without_agreement", ot.without_agreement_school))
        if o.outcome is not None and ot.outcome_school is not None:
            out.append((*key, f"outcome:{o.outcome.value}", ot.outcome_school))
        if o.content.priority_id is not None:
            out.append((*key, f"priority:{o.content.priority_id}", ot.school))
    return out


def _metric_values(
    truth: Truth, trust_id: UUID, school_id: UUID | None, facts: Iterable[tuple[UUID, str]]
) -> dict[str, Any]:
    by_metric: dict[str, set[UUID]] = defaultdict(set)
    for subject, metric in facts:
        by_metric[metric].add(subject)
    values: dict[str, Any] = {col: len(by_metric.get(m, ())) for col, m in METRICS.items()}
    tr = truth.states[trust_id]
    applicable = {
        str(p.id)
        for p in tr.priorities.values()
        if p.active and (school_id is None or p.school_id in (None, school_id))
    }
    covered = {m.removeprefix("priority:") for m in by_metric if m.startswith("priority:")}
    values["priorities_applicable"] = len(applicable)
    values["priorities_covered"] = len(applicable & covered)
    return values


def _cycle_values(truth: Truth, cycle_id: UUID) -> dict[str, Any]:
    c = truth.states[cycle_id]
    return {
        "cycle_name": c.name,
        "objective_setting_deadline": c.dates.objective_setting_deadline,
        "mid_year_deadline": c.dates.mid_year_window_end,
        "end_year_deadline": c.dates.end_year_deadline,
    }


def expected_summaries(
    truth: Truth,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(school rows by "school/cycle", trust totals by "trust/cycle")."""
    per_school: dict[tuple[UUID, UUID, UUID], list[tuple[UUID, str]]] = defaultdict(list)
    per_trust: dict[tuple[UUID, UUID], list[tuple[UUID, str]]] = defaultdict(list)
    schools_of: dict[tuple[UUID, UUID], set[UUID]] = defaultdict(set)
    for trust_id, cycle_id, subject, metric, school in _facts(truth):
        per_school[(trust_id, cycle_id, school)].append((subject, metric))
        per_trust[(trust_id, cycle_id)].append((subject, metric))
        schools_of[(trust_id, cycle_id)].add(school)
    schools: dict[str, dict[str, Any]] = {}
    for (trust_id, cycle_id, school_id), facts in per_school.items():
        tr = truth.states[trust_id]
        schools[f"{school_id}/{cycle_id}"] = {
            "school_id": school_id,
            "cycle_id": cycle_id,
            "trust_id": trust_id,
            "school_name": tr.schools.get(school_id),
            **_cycle_values(truth, cycle_id),
            **_metric_values(truth, trust_id, school_id, [(s, m) for s, m in facts]),
        }
    totals: dict[str, dict[str, Any]] = {}
    for (trust_id, cycle_id), facts in per_trust.items():
        totals[f"{trust_id}/{cycle_id}"] = {
            "trust_id": trust_id,
            "cycle_id": cycle_id,
            "schools_count": len(schools_of[(trust_id, cycle_id)]),
            **_cycle_values(truth, cycle_id),
            **_metric_values(truth, trust_id, None, facts),
        }
    return schools, totals


# ------------------------------------------------------------------------ comparing


def _norm(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in value.items()}
    return value


def _rows(db: Database, table: Table, key: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {"/".join(str(r[k]) for k in key): r for r in select(db, table, "1 = 1")}


def compare(
    name: str, expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]
) -> list[Mismatch]:
    out: list[Mismatch] = []
    for key in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(key), actual.get(key)
        if want is None or got is None:
            out.append(Mismatch(name, key, "(row)", want is not None, got is not None))
            continue
        for column, value in want.items():
            exp, act = _norm(value), _norm(got.get(column))
            if column == "progress_percent":
                act = act or 0  # the read model shows no progress as empty, the aggregate as 0
            if exp != act:
                out.append(Mismatch(name, key, column, exp, act))
    return out


def fold_log(recorder: Any, upto: int | None = None) -> Truth:
    """Every stored event, in log order, through the aggregates' own ``evolve``."""
    truth = Truth()
    head = int(recorder.max_notification_id() or 0) if upto is None else upto
    start = 1
    while start <= head:
        page = recorder.select_notifications(start, _PAGE, stop=head)
        if not page:
            break
        for n in page:
            truth.apply(decode(n.topic, n.state, n.originator_id, n.originator_version))
        start = page[-1].id + 1
    return truth


def verify(
    recorder: Any, db: Database, names: Sequence[str] | None = None, *, upto: int | None = None
) -> list[Mismatch]:
    """Every mismatch between the read models (``names``, default all) and the aggregates.

    The read models must have caught up with the log (to ``upto`` when given)."""
    wanted = list(names or READ_MODELS)
    unknown = set(wanted) - set(READ_MODELS)
    if unknown:
        raise ValueError(f"the oracle does not know: {', '.join(sorted(unknown))}")
    truth = fold_log(recorder, upto)
    out: list[Mismatch] = []
    if "review_status" in wanted:
        actual = _rows(db, rs.REVIEWS, ("review_id",))
        out += compare("review_status", expected_reviews(truth), actual)
    if "objective_current" in wanted:
        actual = _rows(db, oc.OBJECTIVES, ("objective_id",))
        out += compare("objective_current", expected_objectives(truth), actual)
    if "school_cycle_summary" in wanted or "trust_cycle_summary" in wanted:
        schools, totals = expected_summaries(truth)
        if "school_cycle_summary" in wanted:
            actual = _rows(db, scs.SUMMARY, ("school_id", "cycle_id"))
            out += compare("school_cycle_summary", schools, actual)
        if "trust_cycle_summary" in wanted:
            actual_side = _rows(db, tcs.SCHOOLS, ("school_id", "cycle_id"))
            out += compare("trust_cycle_summary_schools", schools, actual_side)
            actual = _rows(db, tcs.TOTALS, ("trust_id", "cycle_id"))
            out += compare("trust_cycle_summary", totals, actual)
    return out
