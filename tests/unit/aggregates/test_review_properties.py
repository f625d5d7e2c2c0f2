"""Random sequences of commands on one review and its objectives keep the invariants, and
replaying the stored events rebuilds the same states.

Each example runs on its own SQLite file through the real command service, with a clock that
moves only when the machine moves it, and three actors: the appraisee, the appraiser and the
school's leader. Every command either succeeds or raises a domain error that recorded nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from aggregates.errors import DomainError, RuleBroken
from aggregates.objective import Objective, ObjectiveStatus
from aggregates.review import AppealState, Review
from commands import messages as m
from commands.handling import CYCLE, OBJECTIVE, REVIEW, load
from commands.service import CommandResult, CommandService
from commands.store import EventStoreApp
from events.base import DomainEvent
from events.codec import record_hash
from events.values import (
    AppealOutcome,
    MeetingKind,
    ModerationOutcome,
    ObjectiveOutcome,
    OverallJudgement,
    Signatory,
)
from testkit.scenario import Org, build_org
from tests.unit.support import FixedClock, log_length, new_store

START = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
CYCLE_START = date(2025, 9, 1)

CYCLE_END = date(2026, 8, 31)

actors = st.sampled_from(["appraisee", "appraiser", "leader"])


parties = st.sampled_from(["appraisee", "appraiser", "appraisee", "appraiser", "leader"])


def mostly(actor: str) -> st.SearchStrategy[str]:
    """Usually the actor the policy allows, sometimes anyone (to be refused)."""
    return st.one_of(st.just(actor), st.just(actor), actors)


indexes = st.integers(min_value=0, max_value=20)
titles = st.sampled_from(["Improve reading", "Raise attendance", "Lead phonics", "Coach NQTs"])
reasons = st.sampled_from(["agreed at the meeting", "new evidence", "role changed"])
maybe_reasons = st.none() | reasons
texts = st.sampled_from(["on track", "a good year", "see attached notes"])


class ReviewMachine(RuleBasedStateMachine):
    """Commands on Ann's review (appraised by Bob) and its objectives, in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="review-machine-"))
        self.url = f"sqlite:///{self.directory / 'events.db'}"
        self.store: EventStoreApp = new_store(self.url)
        self.clock = FixedClock(START)
        self.service = CommandService(self.store, clock=self.clock)
        self.objectives: list[UUID] = []
        # The states the service worked on during the run, by aggregate id.
        self.seen: dict[UUID, Any] = {}

    @initialize()
    def build_the_trust(self) -> None:
        self.org: Org = build_org(self.service)
        self.actors = {
            "appraisee": self.org.appraisee,
            "appraiser": self.org.appraiser,
            "leader": self.org.school_leader,
        }

    # Running a command -----------------------------------------------------------------------

    def run(self, command: m.Command, actor: str) -> CommandResult | None:
        """Run a command: it succeeds and records, or is refused and records nothing."""
        self.clock.advance(minutes=1)
        before = log_length(self.store)
        principal = self.org.admin if actor == "admin" else self.actors[actor]
        try:
            result = self.service.execute(command, principal)
        except DomainError as error:
            assert log_length(self.store) == before, f"{error!r} recorded events"
            label = error.rule if isinstance(error, RuleBroken) else error.kind
            event(f"{type(command).__name__}: {label}")
            return None
        assert log_length(self.store) > before
        event(f"{type(command).__name__}: ok")
        return result

    def objective(self, index: int) -> UUID:
        return self.objectives[index % len(self.objectives)]

    def today(self) -> date:
        return self.clock.now.date()

    # The clock and the cycle -----------------------------------------------------------------

    @precondition(lambda self: self.clock.now.date() < CYCLE_END)
    @rule(days=st.integers(min_value=1, max_value=90))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days=days)

    @rule(actor=parties, index=indexes)
    def nothing_is_done_while_the_cycle_is_closed(self, actor: str, index: int) -> None:
        if (
            self.run(m.CloseCycle(cycle_id=self.org.cycle_id, reason="The year ends"), "admin")
            is None
        ):
            return
        attempts: list[m.Command] = [
            m.SignOffReview(review_id=self.org.review_id),
            m.SubmitSelfAssessment(review_id=self.org.review_id, text="late"),
        ]
        if self.objectives:
            objective_id = self.objective(index)
            attempts.append(m.AgreeObjective(objective_id=objective_id))
            attempts.append(
                m.ReviseObjective(objective_id=objective_id, title="Late", reason="late")
            )
        for command in attempts:
            assert self.run(command, actor) is None
        self.run(m.ReopenCycle(cycle_id=self.org.cycle_id, reason="late appeal"), "admin")

    # Objectives ------------------------------------------------------------------------------

    @rule(actor=parties, title=titles, due=st.integers(min_value=-30, max_value=400))
    def draft_objective(self, actor: str, title: str, due: int) -> None:
        result = self.run(
            m.DraftObjective(
                review_id=self.org.review_id,
                title=title,
                success_criteria=["80% at ARE"],
                due_date=CYCLE_START + timedelta(days=due),
            ),
            actor,
        )
        if result is not None:
            self.objectives.append(result.aggregate_id)

    @rule(title=titles, due=st.integers(min_value=30, max_value=300))
    def an_objective_is_drafted_and_agreed(self, title: str, due: int) -> None:
        """The usual course of an objective, each command on its own."""
        drafted = self.run(
            m.DraftObjective(
                review_id=self.org.review_id,
                title=title,
                success_criteria=["80% at ARE"],
                due_date=CYCLE_START + timedelta(days=due),
            ),
            "appraiser",
        )
        if drafted is not None:
            self.objectives.append(drafted.aggregate_id)
            for actor in ("appraisee", "appraiser"):
                self.run(m.AgreeObjective(objective_id=drafted.aggregate_id), actor)

    @precondition(lambda self: self.objectives)
    @rule(
        actor=parties,
        index=indexes,
        change=st.sampled_from(["title", "due_date", "success_criteria"]),
        title=titles,
        reason=maybe_reasons,
    )
    def revise_objective(
        self, actor: str, index: int, change: str, title: str, reason: str | None
    ) -> None:
        choices: dict[str, dict[str, Any]] = {
            "title": {"title": title},
            "due_date": {"due_date": self.today()},
            "success_criteria": {"success_criteria": ["85% at ARE", title]},
        }
        changes = choices[change]
        self.run(
            m.ReviseObjective(objective_id=self.objective(index), reason=reason, **changes), actor
        )

    @precondition(lambda self: self.objectives)
    @rule(actor=parties, index=indexes)
    def agree_objective(self, actor: str, index: int) -> None:
        self.run(m.AgreeObjective(objective_id=self.objective(index)), actor)

    @precondition(lambda self: self.objectives)
    @rule(actor=mostly("appraiser"), index=indexes, reason=reasons)
    def set_objective_without_agreement(self, actor: str, index: int, reason: str) -> None:
        self.run(
            m.SetObjectiveWithoutAgreement(objective_id=self.objective(index), reason=reason),
            actor,
        )

    @precondition(lambda self: self.objectives)
    @rule(actor=mostly("appraisee"), index=indexes, statement=texts)
    def record_disagreement(self, actor: str, index: int, statement: str) -> None:
        self.run(
            m.RecordDisagreement(objective_id=self.objective(index), statement=statement), actor
        )

    @precondition(lambda self: self.objectives)
    @rule(actor=parties, index=indexes, percent=st.integers(min_value=0, max_value=100))
    def record_progress(self, actor: str, index: int, percent: int) -> None:
        self.run(
            m.RecordProgress(objective_id=self.objective(index), percent=percent, note="data"),
            actor,
        )

    @precondition(lambda self: self.objectives)
    @rule(actor=mostly("appraiser"), index=indexes, outcome=st.sampled_from(ObjectiveOutcome))
    def assess_objective(self, actor: str, index: int, outcome: ObjectiveOutcome) -> None:
        self.run(
            m.AssessObjective(objective_id=self.objective(index), outcome=outcome, comment="ok"),
            actor,
        )

    @precondition(lambda self: self.objectives)
    @rule(actor=mostly("appraiser"), index=indexes, reason=reasons)
    def withdraw_objective(self, actor: str, index: int, reason: str) -> None:
        self.run(m.WithdrawObjective(objective_id=self.objective(index), reason=reason), actor)

    @precondition(lambda self: self.objectives)
    @rule(actor=mostly("appraiser"), index=indexes, reason=reasons)
    def reinstate_objective(self, actor: str, index: int, reason: str) -> None:
        self.run(m.ReinstateObjective(objective_id=self.objective(index), reason=reason), actor)

    # The review ------------------------------------------------------------------------------

    @rule(
        actor=mostly("appraiser"),
        kind=st.none() | st.sampled_from(MeetingKind),
        days_ago=st.integers(0, 60),
    )
    def record_meeting(self, actor: str, kind: MeetingKind | None, days_ago: int) -> None:
        if kind is None:  # the next meeting due, as a real year runs
            held = load(self.store, REVIEW, self.org.review_id).meetings
            kind = next((k for k in MeetingKind if k not in held), MeetingKind.END_YEAR)
        held_on = self.today() - timedelta(days=days_ago)
        self.run(
            m.RecordMeeting(review_id=self.org.review_id, kind=kind, held_on=held_on, notes="n"),
            actor,
        )

    @rule(actor=mostly("appraisee"), text=texts)
    def submit_self_assessment(self, actor: str, text: str) -> None:
        self.run(m.SubmitSelfAssessment(review_id=self.org.review_id, text=text), actor)

    @rule(
        actor=mostly("appraiser"),
        overall=st.sampled_from(OverallJudgement),
        notes=st.integers(0, 3),
    )
    def write_assessment(self, actor: str, overall: OverallJudgement, notes: int) -> None:
        objective_notes = [
            m.ObjectiveNoteIn(objective_id=objective_id, note="noted")
            for objective_id in self.objectives[:notes]
        ]
        self.run(
            m.WriteAssessment(
                review_id=self.org.review_id,
                overall=overall,
                summary="a good year",
                objective_notes=objective_notes,
                development_needs=["behaviour management"],
            ),
            actor,
        )

    @rule(actor=mostly("appraiser"))
    def issue_report(self, actor: str) -> None:
        self.run(m.IssueReport(review_id=self.org.review_id), actor)

    @rule(actor=mostly("appraisee"), comment=texts)
    def comment_on_report(self, actor: str, comment: str) -> None:
        self.run(m.CommentOnReport(review_id=self.org.review_id, comment=comment), actor)

    @rule(actor=parties)
    def sign_off(self, actor: str) -> None:
        self.run(m.SignOffReview(review_id=self.org.review_id), actor)

    @rule(
        actor=mostly("leader"),
        outcome=st.sampled_from(ModerationOutcome),
        note=st.sampled_from(["", "x"]),
    )
    def moderate(self, actor: str, outcome: ModerationOutcome, note: str) -> None:
        self.run(m.ModerateReview(review_id=self.org.review_id, outcome=outcome, note=note), actor)

    @rule(actor=mostly("appraisee"), grounds=texts)
    def lodge_appeal(self, actor: str, grounds: str) -> None:
        self.run(m.LodgeAppeal(review_id=self.org.review_id, grounds=grounds), actor)

    @rule(actor=mostly("leader"), outcome=st.sampled_from(AppealOutcome), note=texts)
    def decide_appeal(self, actor: str, outcome: AppealOutcome, note: str) -> None:
        self.run(m.DecideAppeal(review_id=self.org.review_id, outcome=outcome, note=note), actor)

    @rule(actor=mostly("leader"), reason=reasons)
    def reopen_review(self, actor: str, reason: str) -> None:
        self.run(m.ReopenReview(review_id=self.org.review_id, reason=reason), actor)

    @precondition(lambda self: self.objectives)
    @rule(overall=st.sampled_from(OverallJudgement))
    def the_year_runs_to_its_report(self, overall: OverallJudgement) -> None:
        """The usual course, so that random runs reach sign-off, appeals and reopening: the
        meetings still to hold, the assessment and the report, each command on its own."""
        for kind in MeetingKind:
            meeting = m.RecordMeeting(
                review_id=self.org.review_id, kind=kind, held_on=self.today(), notes="n"
            )
            self.run(meeting, "appraiser")
        assessment = m.WriteAssessment(
            review_id=self.org.review_id, overall=overall, summary="a good year"
        )
        self.run(assessment, "appraiser")
        self.run(m.IssueReport(review_id=self.org.review_id), "appraiser")

    # Invariants ------------------------------------------------------------------------------

    def current(self) -> tuple[Review, list[Objective]]:
        """The states the service decides on (its cache), which must match the store."""
        states = self.service.states
        review = states.get(REVIEW, self.org.review_id, max_age=float("inf"))
        objectives = [states.get(OBJECTIVE, o, max_age=float("inf")) for o in self.objectives]
        assert review == load(self.store, REVIEW, self.org.review_id)
        for obj in objectives:
            assert obj == load(self.store, OBJECTIVE, obj.id)
        self.seen[review.id] = review
        self.seen.update((obj.id, obj) for obj in objectives)
        return review, objectives

    @invariant()
    def objectives_within_the_policy_limit(self) -> None:
        if not hasattr(self, "org"):
            return
        review, objectives = self.current()
        limit = load(self.store, CYCLE, self.org.cycle_id).policy.max_objectives
        assert len(review.active_objectives) <= limit
        assert review.active_objectives == {o.id for o in objectives if o.is_active}
        assert review.all_objectives == set(self.objectives)
        assert all(o.review_id == review.id for o in objectives)

    @invariant()
    def an_agreed_objective_has_both_agreements(self) -> None:
        if not hasattr(self, "org"):
            return
        for obj in self.current()[1]:
            if obj.status is ObjectiveStatus.AGREED:
                assert obj.agreed_by == frozenset(Signatory)
            if obj.status is ObjectiveStatus.ASSESSED:
                assert obj.outcome is not None
            assert 0 <= obj.progress <= 100

    @invariant()
    def a_signed_report_was_issued(self) -> None:
        if not hasattr(self, "org"):
            return
        review = self.current()[0]
        if review.signed_by or review.moderation is not None or review.commented:
            assert review.report_issued_on is not None
        if review.appeal is not AppealState.NONE:
            assert review.report_issued_on is not None
        if review.report_issued_on is not None:
            assert review.assessment is not None
            assert MeetingKind.END_YEAR in review.meetings

    def teardown(self) -> None:
        try:
            if hasattr(self, "org"):
                self.current()
                self.replay_rebuilds_what_was_seen()
        finally:
            self.store.close()
            shutil.rmtree(self.directory, ignore_errors=True)

    def replay_rebuilds_what_was_seen(self) -> None:
        """A second store on the same file, with nothing cached, replays the same states and
        an unbroken hash chain."""
        fresh = new_store(self.url)
        try:
            for aggregate_id, state in self.seen.items():
                kind = REVIEW if isinstance(state, Review) else OBJECTIVE
                assert load(fresh, kind, aggregate_id) == state  # type: ignore[misc]
                previous = None
                for record in fresh.recorder.select_events(aggregate_id):
                    stored = cast(DomainEvent, fresh.mapper.to_domain_event(record))
                    assert stored.prev_hash == previous
                    previous = record_hash(
                        record.topic, record.originator_id, record.originator_version, record.state
                    )
        finally:
            fresh.close()


ReviewMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRandomCommandsOnAReviewKeepItsInvariantsAndReplay = ReviewMachine.TestCase
