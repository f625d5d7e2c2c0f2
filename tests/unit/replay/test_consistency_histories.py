"""Random but valid command histories: every read model agrees with the aggregates after EVERY
step (a later command can hide an earlier mismatch, so a check at the end alone is not enough).

Commands go through the real command service (rules, policy, idempotency) on an SQLite file,
the projections catch up in process, and the consistency oracle folds the log with the
aggregates' own ``evolve`` and compares every row field by field.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from aggregates.errors import DomainError
from appraisals.wiring import build_store
from commands import messages as m
from commands.principal import Principal
from commands.service import CommandService
from commands.states import REVIEW
from config.settings import Settings
from events.base import Role
from events.values import (
    AppealOutcome,
    MeetingKind,
    ModerationOutcome,
    ObjectiveOutcome,
    OverallJudgement,
    Signatory,
)
from projections.catalogue import read_models
from tests.oracle import mismatches
from tests.unit.support import FixedClock

PEOPLE = 3  # person i is appraised by person (i + 1) % 3
LAST_DAY = datetime(2026, 8, 25, tzinfo=UTC)  # the clock stays inside the cycle


class HistoryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.applied = 0
        self.dir = Path(tempfile.mkdtemp(prefix="oracle-"))
        url = f"sqlite:///{self.dir / 'store.db'}"
        self.clock = FixedClock(datetime(2025, 9, 2, 9, 0, tzinfo=UTC))
        self.store = build_store(Settings(database_url=url))
        self.svc = CommandService(self.store, clock=self.clock)
        self.projections = read_models(url)
        self.projections.ensure()
        root = Principal(uuid.uuid4(), Role.ADMIN)
        self.trust_id = self.svc.execute(m.RegisterTrust(name="Oak Trust"), root).aggregate_id
        self.admin = Principal(uuid.uuid4(), Role.ADMIN, trust_id=self.trust_id)
        self.leader = Principal(uuid.uuid4(), Role.TRUST_LEADER, trust_id=self.trust_id)
        self.schools = [uuid.uuid4(), uuid.uuid4()]
        for i, school in enumerate(self.schools):
            self.run(m.AddSchool(trust_id=self.trust_id, name=f"School {i}", school_id=school))
        self.priority = uuid.uuid4()
        self.run(m.AddPriority(trust_id=self.trust_id, title="Reading", priority_id=self.priority))
        self.staff = [
            self.svc.execute(
                m.RegisterStaff(
                    trust_id=self.trust_id,
                    name=f"Person {i}",
                    email=f"p{i}@oak.example",
                    job_title="Teacher",
                    school_id=self.schools[0],
                    start_date=date(2020, 9, 1),
                ),
                self.admin,
            ).aggregate_id
            for i in range(PEOPLE)
        ]
        self.cycle_id = self.svc.execute(
            m.ScheduleCycle(
                trust_id=self.trust_id,
                name="2025-26",
                start_date=date(2025, 9, 1),
                end_date=date(2026, 8, 31),
                objective_setting_deadline=date(2025, 10, 31),
                mid_year_window_start=date(2026, 2, 1),
                mid_year_window_end=date(2026, 3, 31),
                end_year_deadline=date(2026, 7, 15),
                max_objectives=3,
                appeal_window_days=30,
            ),
            self.admin,
        ).aggregate_id
        self.run(m.OpenCycle(cycle_id=self.cycle_id), self.admin)
        self.reviews: list[tuple[UUID, int]] = []  # (review, index of its appraisee)
        self.objectives: list[tuple[UUID, int]] = []
        for i in range(PEOPLE - 1):  # the third person's review is started by a rule
            self.start_review(i)

    def teardown(self) -> None:
        self.projections.close()
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ----------------------------------------------------------------- plumbing

    def me(self, i: int) -> Principal:
        return Principal(self.staff[i % PEOPLE], Role.STAFF, trust_id=self.trust_id)

    def run(self, command: m.Command, principal: Principal | None = None) -> bool:
        try:
            self.svc.execute(command, principal or self.admin)
        except DomainError:
            return False  # a rejected command records nothing: the history stays valid
        self.applied += 1
        return True

    def today(self) -> date:
        return self.clock.now.date()

    def review_of(self, k: int) -> tuple[UUID, int] | None:
        """A started review and the index of its appraisee."""
        return self.reviews[k % len(self.reviews)] if self.reviews else None

    # -------------------------------------------------------------------- rules

    @rule(days=st.integers(0, 15))
    def time_passes(self, days: int) -> None:
        if self.clock.now + timedelta(days=days) < LAST_DAY:
            self.clock.advance(days=days)

    @rule(i=st.integers(0, PEOPLE - 1))
    def start_review(self, i: int) -> None:
        cmd = m.StartReview(
            cycle_id=self.cycle_id,
            appraisee_id=self.staff[i],
            appraiser_id=self.staff[(i + 1) % PEOPLE],
        )
        try:
            rid = self.svc.execute(cmd, self.leader).aggregate_id
        except DomainError:
            return
        self.reviews.append((rid, i))

    @rule(k=st.integers(0, 9), overall=st.sampled_from(OverallJudgement), steps=st.integers(1, 10))
    def review_goes_on(self, k: int, overall: OverallJudgement, steps: int) -> None:
        """The next steps a review would naturally take (random single commands rarely get a
        review as far as an appeal)."""
        if (found := self.review_of(k)) is not None:
            for _ in range(steps):
                if not self.next_step(*found, overall):
                    return

    def next_step(self, rid: UUID, i: int, overall: OverallJudgement) -> bool:
        r = self.svc.states.get(REVIEW, rid, max_age=0.0)
        appraiser, appraisee = self.me(i + 1), self.me(i)
        for kind in MeetingKind:
            if kind not in r.meetings:
                return self.run(
                    m.RecordMeeting(
                        review_id=rid,
                        kind=kind,
                        held_on=self.today(),
                        notes="Met",
                        outside_window_reason="Rearranged",
                    ),
                    appraiser,
                )
        if r.report_open:
            if r.assessment is None or r.reopened:
                oid = uuid.uuid4()
                drafted = self.run(
                    m.DraftObjective(
                        review_id=rid,
                        title="Raise reading",
                        success_criteria=["85% at standard"],
                        due_date=date(2026, 7, 10),
                        objective_id=oid,
                    ),
                    appraiser,
                )
                if drafted:
                    self.objectives.append((oid, i))
                    self.run(m.AgreeObjective(objective_id=oid), appraisee)
                    self.run(m.AgreeObjective(objective_id=oid), appraiser)
                cmd = m.WriteAssessment(review_id=rid, overall=overall, summary="Year")
                self.run(cmd, appraiser)
            return self.run(m.IssueReport(review_id=rid), appraiser)
        if Signatory.APPRAISEE not in r.signed_by:
            return self.run(m.SignOffReview(review_id=rid), appraisee)
        if Signatory.APPRAISER not in r.signed_by:
            return self.run(m.SignOffReview(review_id=rid), appraiser)
        return False

    @rule(
        k=st.integers(0, 9),
        how=st.sampled_from(["appeal_upheld", "appeal_dismissed", "referred_back", "reopened"]),
    )
    def report_is_challenged(self, k: int, how: str) -> None:
        """What happens to a report after it is issued: appeals, referral back, reopening."""
        if (found := self.review_of(k)) is None:
            return
        rid, i = found
        if how.startswith("appeal"):
            self.run(m.LodgeAppeal(review_id=rid, grounds="Evidence missed"), self.me(i))
            outcome = AppealOutcome.UPHELD if how == "appeal_upheld" else AppealOutcome.DISMISSED
            cmd = m.DecideAppeal(review_id=rid, outcome=outcome, note="Panel decided")
            self.run(cmd, self.leader)
        elif how == "referred_back":
            moderated = ModerationOutcome.REFERRED_BACK
            moderate = m.ModerateReview(review_id=rid, outcome=moderated, note="Evidence thin")
            self.run(moderate, self.leader)
        else:
            self.run(m.ReopenReview(review_id=rid, reason="New evidence"), self.leader)

    @rule(k=st.integers(0, 9), kind=st.sampled_from(MeetingKind), reason=st.booleans())
    def meeting(self, k: int, kind: MeetingKind, reason: bool) -> None:
        if (found := self.review_of(k)) is not None:
            rid, i = found
            cmd = m.RecordMeeting(
                review_id=rid,
                kind=kind,
                held_on=self.today(),
                notes="Met",
                outside_window_reason="Rearranged" if reason else None,
            )
            self.run(cmd, self.me(i + 1))

    @rule(k=st.integers(0, 9), with_priority=st.booleans())
    def draft_objective(self, k: int, with_priority: bool) -> None:
        if (found := self.review_of(k)) is None:
            return
        rid, i = found
        oid = uuid.uuid4()
        cmd = m.DraftObjective(
            review_id=rid,
            title="Raise reading",
            success_criteria=["85% at standard"],
            priority_id=self.priority if with_priority else None,
            standards=["TS2"],
            due_date=date(2026, 7, 10),
            objective_id=oid,
        )
        if self.run(cmd, self.me(i + 1)):
            self.objectives.append((oid, i))

    def objective(self, k: int) -> tuple[UUID, int] | None:
        return self.objectives[k % len(self.objectives)] if self.objectives else None

    @rule(k=st.integers(0, 20), by_appraiser=st.booleans())
    def agree(self, k: int, by_appraiser: bool) -> None:
        if (found := self.objective(k)) is not None:
            oid, i = found
            self.run(m.AgreeObjective(objective_id=oid), self.me(i + 1 if by_appraiser else i))

    @rule(k=st.integers(0, 20))
    def both_agree(self, k: int) -> None:
        if (found := self.objective(k)) is not None:
            oid, i = found
            self.run(m.AgreeObjective(objective_id=oid), self.me(i))
            self.run(m.AgreeObjective(objective_id=oid), self.me(i + 1))

    @rule(k=st.integers(0, 20))
    def set_without_agreement(self, k: int) -> None:
        if (found := self.objective(k)) is not None:
            oid, i = found
            cmd = m.SetObjectiveWithoutAgreement(objective_id=oid, reason="No agreement")
            self.run(cmd, self.me(i + 1))

    @rule(k=st.integers(0, 20))
    def disagree(self, k: int) -> None:
        if (found := self.objective(k)) is not None:
            oid, i = found
            self.run(m.RecordDisagreement(objective_id=oid, statement="Unfair"), self.me(i))

    @rule(k=st.integers(0, 20), priority=st.booleans())
    def revise(self, k: int, priority: bool) -> None:
        if (found := self.objective(k)) is not None:
            oid, i = found
            cmd = m.ReviseObjective(
                objective_id=oid,
                title=f"Revised {self.applied}",
                priority_id=self.priority if priority else None,
                reason="Changed focus",
            )
            self.run(cmd, self.me(i + 1))

    @rule(k=st.integers(0, 20), percent=st.integers(0, 100))
    def progress(self, k: int, percent: int) -> None:
        if (found := self.objective(k)) is not None:
            oid, i = found
            self.run(m.RecordProgress(objective_id=oid, percent=percent, note="On"), self.me(i))

    @rule(k=st.integers(0, 20), outcome=st.sampled_from(ObjectiveOutcome))
    def assess_objective(self, k: int, outcome: ObjectiveOutcome) -> None:
        if (found := self.objective(k)) is not None:
            oid, i = found
            cmd = m.AssessObjective(objective_id=oid, outcome=outcome, comment="Seen")
            self.run(cmd, self.me(i + 1))

    @rule(k=st.integers(0, 20))
    def withdraw(self, k: int) -> None:
        if (found := self.objective(k)) is not None:
            oid, i = found
            self.run(m.WithdrawObjective(objective_id=oid, reason="No longer fits"), self.me(i + 1))

    @rule(k=st.integers(0, 20))
    def reinstate(self, k: int) -> None:
        if (found := self.objective(k)) is not None:
            oid, i = found
            cmd = m.ReinstateObjective(objective_id=oid, reason="Wrongly withdrawn")
            self.run(cmd, self.me(i + 1))

    @rule(k=st.integers(0, 9), overall=st.sampled_from(OverallJudgement))
    def assess_review(self, k: int, overall: OverallJudgement) -> None:
        if (found := self.review_of(k)) is not None:
            rid, i = found
            cmd = m.WriteAssessment(review_id=rid, overall=overall, summary="A good year")
            self.run(cmd, self.me(i + 1))

    @rule(k=st.integers(0, 9))
    def issue_report(self, k: int) -> None:
        if (found := self.review_of(k)) is not None:
            rid, i = found
            self.run(m.IssueReport(review_id=rid), self.me(i + 1))

    @rule(k=st.integers(0, 9))
    def comment(self, k: int) -> None:
        if (found := self.review_of(k)) is not None:
            rid, i = found
            self.run(m.CommentOnReport(review_id=rid, comment="Fair"), self.me(i))

    @rule(k=st.integers(0, 9), by_appraiser=st.booleans())
    def sign(self, k: int, by_appraiser: bool) -> None:
        if (found := self.review_of(k)) is not None:
            rid, i = found
            self.run(m.SignOffReview(review_id=rid), self.me(i + 1 if by_appraiser else i))

    @rule(k=st.integers(0, 9), outcome=st.sampled_from(ModerationOutcome))
    def moderate(self, k: int, outcome: ModerationOutcome) -> None:
        if (found := self.review_of(k)) is not None:
            cmd = m.ModerateReview(review_id=found[0], outcome=outcome, note="Looked again")
            self.run(cmd, self.leader)

    @rule(k=st.integers(0, 9))
    def appeal(self, k: int) -> None:
        if (found := self.review_of(k)) is not None:
            rid, i = found
            self.run(m.LodgeAppeal(review_id=rid, grounds="Evidence missed"), self.me(i))

    @rule(k=st.integers(0, 9), outcome=st.sampled_from(AppealOutcome))
    def decide_appeal(self, k: int, outcome: AppealOutcome) -> None:
        if (found := self.review_of(k)) is not None:
            cmd = m.DecideAppeal(review_id=found[0], outcome=outcome, note="Panel decided")
            self.run(cmd, self.leader)

    @rule(k=st.integers(0, 9))
    def reopen(self, k: int) -> None:
        if (found := self.review_of(k)) is not None:
            self.run(m.ReopenReview(review_id=found[0], reason="New evidence"), self.leader)

    @rule(i=st.integers(0, PEOPLE - 1), school=st.integers(0, 1), back=st.integers(0, 30))
    def move_school(self, i: int, school: int, back: int) -> None:
        cmd = m.TransferStaff(
            staff_id=self.staff[i],
            school_id=self.schools[school],
            effective_date=self.today() - timedelta(days=back),
            reason="Moved",
        )
        self.run(cmd)

    @rule(reopen=st.booleans(), with_reason=st.booleans())
    def close_or_reopen_cycle(self, reopen: bool, with_reason: bool) -> None:
        if reopen:
            self.run(m.ReopenCycle(cycle_id=self.cycle_id, reason="More to do"), self.leader)
        else:
            self.run(close_cycle(self.cycle_id, with_reason=with_reason), self.leader)

    # ----------------------------------------------------------------- the check

    @invariant()
    def read_models_agree_with_the_aggregates(self) -> None:
        found = mismatches(self.store, self.projections)
        assert not found, "\n".join(str(x) for x in found[:20])


def close_cycle(cycle_id: UUID, *, with_reason: bool = True) -> m.Command:
    # Without a reason the close is refused while any review is unfinished.
    return m.CloseCycle(cycle_id=cycle_id, reason="The year ends" if with_reason else None)


HistoryMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEveryReadModelAgreesWithTheAggregatesAfterEveryCommand = HistoryMachine.TestCase
