"""One chunk of schools acted out through the command layer, over both cycles.

Each school and each person has a story: a generator that yields the moment of its next
step and, when resumed, runs that step's commands as the people concerned (admin registers,
the head starts reviews, appraiser and appraisee meet, draft, agree, record progress, and
so on). A scheduler resumes stories in time order on the chunk's simulated clock, so every
event is dated when it happened and the chunk's log is in time order.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from random import Random
from uuid import UUID

from appraisals.demo import goals, texts
from appraisals.demo.calendar import CycleCalendar, SimClock, later, moment
from appraisals.demo.development import Development
from appraisals.demo.goals import Goal, ReviewRun
from appraisals.demo.org import OrgRun, registration, start_date
from appraisals.demo.plan import Kind, OrgPlan, Person, School
from appraisals.demo.staging import Staging
from commands import messages as m
from commands.evidence_files import BlobStore
from commands.principal import Principal
from commands.service import CommandResult
from events.reminders import Frequency, Milestone
from events.values import (
    AppealOutcome,
    MeetingKind,
    ModerationOutcome,
    ObjectiveOutcome,
    StaffCategory,
)

Story = Iterator[datetime]


@dataclass
class Paths:
    """Who follows which less common path through the story (chosen per chunk)."""

    leave_a: set[UUID] = field(default_factory=set)
    move_a: set[UUID] = field(default_factory=set)
    appeal_upheld: list[UUID] = field(default_factory=list)
    appeal_dismissed: set[UUID] = field(default_factory=set)
    reopen: set[UUID] = field(default_factory=set)
    refer: set[UUID] = field(default_factory=set)
    late_moderation: set[UUID] = field(default_factory=set)
    withdraw: set[UUID] = field(default_factory=set)
    leave_b: set[UUID] = field(default_factory=set)
    move_b: set[UUID] = field(default_factory=set)

    @property
    def early(self) -> set[UUID]:
        """People whose end-of-year review comes early, to leave time for what follows."""
        return {*self.appeal_upheld, *self.appeal_dismissed, *self.reopen, *self.refer}


class ChunkStory:
    """The story of one chunk of schools, run through one staging store."""

    def __init__(
        self,
        plan: OrgPlan,
        org: OrgRun,
        schools: list[School],
        staging: Staging,
        clock: SimClock,
        rng: Random,
        blobs: BlobStore,
    ) -> None:
        self.plan = plan
        self.tl = plan.timeline
        self.org = org
        self.schools = schools
        self.staging = staging
        self.clock = clock
        self.rng = rng
        self.people = [p for s in schools for p in s.staff]
        self.heads = [s.head for s in schools if s.head is not None]
        self.joiners = [p for s in schools for p in s.joiners]
        self.reviews: dict[tuple[UUID, str], ReviewRun] = {}
        self.left: set[UUID] = set()
        self.counts: Counter[str] = Counter()
        self.paths = self._choose_paths()
        self.dev = Development(plan, staging, clock, self.counts, blobs, str(schools[0].id))
        # The first objectives of each cycle take these paths, so every kind of event occurs.
        self.forced = {
            "a": ["set_disagree", "agree_then_revise", "revise_first"],
            "b": ["set_disagree", "revise_first", "pending"],
        }

    # Running ----------------------------------------------------------------------------

    def run(self, until: datetime | None = None) -> None:
        """Act the stories out in time order (only what happens up to ``until``, if given)."""
        stories: list[Story] = []
        for s in self.schools:
            stories.append(self._school(s))
        for p in [*self.heads, *self.people, *self.joiners]:
            stories.append(self._life(p))
        heap: list[tuple[datetime, int, Story]] = []
        for i, story in enumerate(stories):
            first = next(story, None)
            if first is not None:
                heap.append((first, i, story))
        heapq.heapify(heap)
        while heap:
            when, i, story = heapq.heappop(heap)
            if until is not None and when > until:
                continue  # this person's story has reached today: nothing more happens yet
            self.clock.advance_to(when)
            step = next(story, None)
            if step is not None:
                heapq.heappush(heap, (step, i, story))

    def act(self, command: m.Command, who: Principal) -> CommandResult:
        result = self.staging.execute(command, who)
        self.clock.tick(self.rng.randint(4, 30))
        return result

    def _choose_paths(self) -> Paths:
        eligible = [p.id for p in self.people if not p.is_manager]
        self.rng.shuffle(eligible)
        n = len(eligible)
        pool = iter(eligible)

        def take(rate: float) -> list[UUID]:
            return [x for _, x in zip(range(max(1, round(n * rate))), pool, strict=False)]

        movable = len(self.schools) > 1
        paths = Paths(
            leave_a=set(take(0.015)),
            move_a=set(take(0.02)) if movable else set(),
            appeal_upheld=take(0.005),
            appeal_dismissed=set(take(0.005)),
            reopen=set(take(0.005)),
            refer=set(take(0.008)),
            late_moderation=set(take(0.008)),
            leave_b=set(take(0.015)),
            move_b=set(take(0.02)) if movable else set(),
        )
        others = [p.id for p in self.people if p.id not in paths.leave_a]
        paths.withdraw = {x for x in others if self.rng.random() < 0.03}
        paths.withdraw.update(paths.appeal_upheld[:1])
        return paths

    def sample(self) -> tuple[Person, UUID] | None:
        """A teacher with an ordinary current review, to show in the summary."""
        unusual = {*self.left, *self.paths.move_a, *self.paths.move_b, *self.paths.early}
        for p in self.people:
            if p.kind is Kind.TEACHER and p.id not in unusual and (p.id, "b") in self.reviews:
                return p, self.reviews[p.id, "b"].id
        for p in self.people:
            if (p.id, "b") in self.reviews:
                return p, self.reviews[p.id, "b"].id
        return None

    # Schools ----------------------------------------------------------------------------

    def _school(self, s: School) -> Story:
        tl, rng, admin = self.tl, self.rng, self.plan.admin
        year = tl.a.start.year
        yield moment(rng, *tl.staff_registration)
        for p in s.staff:
            started = date(year, 9, 1) if p.kind is Kind.ECT else start_date(rng, year)
            self.act(registration(self.plan, p, started), admin)
            self.counts["staff"] += 1
        for p in s.staff:
            self._line_manager(p, tl.a, admin)
        yield moment(rng, *tl.a_reviews_started)
        for appraisee in [s.head, *s.staff]:
            if appraisee is not None:
                self._start_review(appraisee, "a")
        yield moment(rng, *tl.joiners_registration)
        self._summer_changes(s)
        for p in s.joiners:
            self.act(registration(self.plan, p, tl.b.start), admin)
            self.counts["staff"] += 1
            self._line_manager(p, tl.b, admin)
        yield moment(rng, *tl.b_reviews_started)
        current = [p for p in [*self.people, *self.joiners] if p.school is s]
        for appraisee in [s.head, *current]:
            if appraisee is not None and appraisee.id not in self.left:
                self._start_review(appraisee, "b")

    def _summer_changes(self, s: School) -> None:
        """Over the summer a member of staff changes name and another is promoted (the MIS
        sync would record the same)."""
        ordinary = [p for p in s.staff if not p.is_manager and p.id not in self.left]
        if len(ordinary) < 2:
            return
        married, promoted = ordinary[-1], ordinary[-2]
        first = married.name.split(" ", 1)[0]
        new_name = f"{first} {self.rng.choice(texts.MARRIED_SURNAMES)}"
        if new_name != married.name:
            self.act(
                m.RenameStaff(staff_id=married.id, new_name=new_name, reason="Married"),
                self.plan.admin,
            )
            married.name = new_name
        title = f"Senior {promoted.job_title}"
        self.act(
            m.ChangeJobTitle(staff_id=promoted.id, job_title=title, reason="Promoted"),
            self.plan.admin,
        )
        promoted.job_title = title

    def _line_manager(self, p: Person, cycle: CycleCalendar, who: Principal) -> None:
        assert p.appraiser is not None
        reason = self.rng.choice(texts.LINE_MANAGER_REASONS).format(year=cycle.name)
        self.act(
            m.ChangeLineManager(staff_id=p.id, line_manager_id=p.appraiser.id, reason=reason),
            who,
        )

    def _start_review(self, p: Person, cycle: str) -> None:
        assert p.appraiser is not None
        cycle_id = self.org.cycle_a if cycle == "a" else self.org.cycle_b
        starter = p.school.director if p.kind is Kind.HEAD else p.school.head
        assert starter is not None
        if p.kind is Kind.HEAD:
            # A headteacher: the school's governors' panel, advised by an external adviser.
            chair, vice = p.school.governors(self.plan.trust_id)
            start = m.StartHeadteacherReview(
                cycle_id=cycle_id,
                appraisee_id=p.id,
                panel=[chair.id, vice.id],
                adviser_name=texts.EXTERNAL_ADVISER[0],
                adviser_organisation=texts.EXTERNAL_ADVISER[1],
            )
            review_id = self.act(start, starter.principal).aggregate_id
            consult = m.RecordAdviserConsultation(
                review_id=review_id,
                held_on=self.clock.now.date(),
                summary=texts.ADVISER_CONSULTATION,
            )
            self.act(consult, chair.principal)
            self.reviews[p.id, cycle] = ReviewRun(cycle, review_id, chair)
            self.counts["reviews"] += 1
            return
        command = m.StartReview(cycle_id=cycle_id, appraisee_id=p.id, appraiser_id=p.appraiser.id)
        review_id = self.act(command, starter.principal).aggregate_id
        self.reviews[p.id, cycle] = ReviewRun(cycle, review_id, p.appraiser)
        self.counts["reviews"] += 1

    # People -----------------------------------------------------------------------------

    def _life(self, p: Person) -> Story:
        if not p.joins_in_b:
            yield from self._cycle_a(p)
            if p.id in self.left:
                return
        yield from self._cycle_b(p)

    def _cycle_a(self, p: Person) -> Story:
        tl, rng, paths = self.tl, self.rng, self.paths
        yield moment(rng, *tl.a_planning)
        rv = self.reviews[p.id, "a"]
        new = self._plan_year(p, rv, tl.a, carry=False)
        yield later(rng, self.clock.now, 3, 12)
        waiting = self._agree(p, rv, new, texts.REVISION_REASONS_PLANNING, tl.a)
        if waiting:
            yield later(rng, self.clock.now, 1, 5)
            self._agree_again(p, rv, waiting)
        yield moment(rng, *tl.a_progress_1)
        self._progress(p, rv, 1)
        self.dev.plan_cpd(p, rv)
        if p.id in paths.move_a:
            yield moment(rng, tl.a_transfer, tl.a_transfer + timedelta(3))
            self._move(p, rv, tl.a_transfer)
        if rng.random() < 0.7:
            yield moment(rng, *tl.a_progress_2)
            self._progress(p, rv, 2)
        yield moment(rng, *tl.a_mid_year)
        self.dev.observe(p, rv)
        waiting = self._mid_year(p, rv, 0.9, 0.15, withdraw=p.id in paths.withdraw)
        if waiting:
            yield later(rng, self.clock.now, 1, 4)
            self._agree_again(p, rv, waiting)
        if p.id in paths.leave_a:
            yield moment(rng, *tl.a_leaving)
            self._leave(p, tl.a_left_on)
            return
        yield moment(rng, *tl.a_progress_3)
        self._progress(p, rv, 3)
        self.dev.complete_cpd(p, rv)
        self.dev.evidence(p, rv)
        self.dev.respond(p, rv)
        yield moment(rng, *tl.a_self_assessment)
        self.dev.reflect(p, rv)
        self.act(
            m.SubmitSelfAssessment(review_id=rv.id, text=rng.choice(texts.SELF_ASSESSMENTS)),
            p.principal,
        )
        yield moment(rng, *(tl.a_end_year_early if p.id in paths.early else tl.a_end_year))
        self._end_year(rv)
        yield from self._after_report(p, rv)

    def _after_report(self, p: Person, rv: ReviewRun) -> Story:
        rng, paths = self.rng, self.paths
        if p.id in paths.appeal_dismissed or p.id in paths.appeal_upheld:
            yield later(rng, self.clock.now, 1, 4)
            grounds = rng.choice(texts.APPEAL_GROUNDS)
            self.act(m.LodgeAppeal(review_id=rv.id, grounds=grounds), p.principal)
            yield later(rng, self.clock.now, 2, 4)
            upheld = p.id in paths.appeal_upheld
            decider = p.school.director
            assert decider is not None
            note = rng.choice(texts.APPEAL_UPHELD_NOTES if upheld else texts.APPEAL_DISMISSED_NOTES)
            outcome = AppealOutcome.UPHELD if upheld else AppealOutcome.DISMISSED
            self.act(m.DecideAppeal(review_id=rv.id, outcome=outcome, note=note), decider.principal)
            if upheld:
                yield later(rng, self.clock.now, 1, 2)
                self._reassess(p, rv, reinstate=True)
        yield later(rng, self.clock.now, 1, 4)
        self._sign(p, rv, comment=rng.random() < 0.4)
        if p.id in paths.reopen:
            yield later(rng, self.clock.now, 1, 3)
            reason = rng.choice(texts.REOPEN_REASONS)
            self.act(m.ReopenReview(review_id=rv.id, reason=reason), self._moderator(p, rv))
            self._reassess(p, rv, reinstate=False)
            yield later(rng, self.clock.now, 1, 2)
            self._sign(p, rv, comment=False)
        if p.id in paths.late_moderation:
            # Signed in the last week of term: moderated when the trust reopens the cycle.
            yield moment(rng, *self.tl.a_late_moderation)
            director = p.school.director
            assert director is not None
            self._moderate(rv, director.principal, ModerationOutcome.CONFIRMED)
            self.dev.recommend_pay(p, rv, appealed=False)
            return
        yield later(rng, self.clock.now, 1, 3)
        if p.id in paths.refer:
            self._moderate(rv, self._moderator(p, rv), ModerationOutcome.REFERRED_BACK)
            yield later(rng, self.clock.now, 1, 2)
            self._write_report(rv)
            yield later(rng, self.clock.now, 1, 2)
            self._sign(p, rv, comment=False)
            yield later(rng, self.clock.now, 1, 2)
        self._moderate(rv, self._moderator(p, rv), ModerationOutcome.CONFIRMED)
        appealed = p.id in paths.appeal_upheld or p.id in paths.appeal_dismissed
        self.dev.recommend_pay(p, rv, appealed=appealed)

    def _cycle_b(self, p: Person) -> Story:
        tl, rng, paths = self.tl, self.rng, self.paths
        yield moment(rng, *tl.b_planning)
        rv = self.reviews[p.id, "b"]
        self._reminders(p, rv)
        new = self._plan_year(p, rv, tl.b, carry=True)
        yield later(rng, self.clock.now, 3, 12)
        waiting = self._agree(p, rv, new, texts.REVISION_REASONS_PLANNING, tl.b)
        if waiting:
            yield later(rng, self.clock.now, 1, 5)
            self._agree_again(p, rv, waiting)
        yield moment(rng, *tl.b_progress_1)
        self._progress(p, rv, 1)
        self.dev.plan_cpd(p, rv)
        if p.id in paths.leave_b:
            yield moment(rng, *tl.b_leaving)
            self._leave(p, tl.b_left_on)
            return
        if p.id in paths.move_b:
            yield moment(rng, tl.b_transfer, tl.b_transfer + timedelta(3))
            self._move(p, rv, tl.b_transfer)
        if rng.random() < 0.7:
            yield moment(rng, *tl.b_progress_2)
            self._progress(p, rv, 2)
        yield moment(rng, *tl.b_mid_year)
        self.dev.observe(p, rv)
        self.dev.complete_cpd(p, rv)
        self.dev.evidence(p, rv)
        waiting = self._mid_year(p, rv, 0.85, 0.2, withdraw=False)
        if waiting:
            yield later(rng, self.clock.now, 1, 4)
            self._agree_again(p, rv, [g for g in waiting if rng.random() < 0.8])
        if rng.random() < 0.5:
            yield moment(rng, *tl.b_progress_3)
            self._progress(p, rv, 3)

    # Steps ------------------------------------------------------------------------------

    def _reminders(self, p: Person, rv: ReviewRun) -> None:
        """The first people of a chunk set their reminders; a leader chases the first."""
        first = [q.id for q in self.people if not q.is_manager][:3]
        if p.id not in first:
            return
        which = first.index(p.id)
        if which == 0:
            chase = m.ChaseReview(
                review_id=rv.id,
                milestone=Milestone.OBJECTIVES_AGREED,
                note="Please book your planning meeting",
            )
            self.act(chase, self._moderator(p, rv))
            return
        preference = m.ChangeReminderPreference(
            staff_id=p.id,
            frequency=Frequency.DIGEST if which == 1 else Frequency.IMMEDIATE,
            optional_reminders=which == 1,
        )
        self.act(preference, p.principal)

    def _plan_year(
        self, p: Person, rv: ReviewRun, cal: CycleCalendar, *, carry: bool
    ) -> list[Goal]:
        """The planning meeting: objectives carried forward and new ones drafted."""
        rng = self.rng
        appraiser = rv.appraiser.principal
        notes = rng.choice(texts.PLANNING_NOTES)
        self._meeting(rv, MeetingKind.PLANNING, notes)
        new: list[Goal] = []
        if carry:
            new += self._carry_forward(p, rv, cal)
        count = goals.OBJECTIVE_COUNT[p.kind] - len(new)
        last = self.reviews.get((p.id, "a"))
        avoid = {g.template.title for g in last.goals} if last and carry else set()
        for t in goals.choose_templates(rng, p, count, avoid):
            goal = goals.render(rng, self.plan, p, t, rv.cycle, cal)
            drafter = appraiser if rng.random() < 0.7 else p.principal
            goal.id = self.act(goal.draft(rv.id), drafter).aggregate_id
            self.counts["objectives"] += 1
            new.append(goal)
        rv.goals += new
        return new

    def _carry_forward(self, p: Person, rv: ReviewRun, cal: CycleCalendar) -> list[Goal]:
        last = self.reviews.get((p.id, "a"))
        if last is None or last.appraiser is not rv.appraiser or self.rng.random() < 0.85:
            return []
        unmet = [
            g
            for g in last.goals
            if g.status == "assessed" and g.outcome not in (None, ObjectiveOutcome.MET)
        ]
        if not unmet:
            return []
        source = self.rng.choice(unmet)
        due = goals.due_date(self.rng, cal)
        command = m.CarryForwardObjective(objective_id=source.id, to_review_id=rv.id, due_date=due)
        result = self.act(command, rv.appraiser.principal)
        assert result.created_id is not None
        source.carried = True
        self.counts["objectives"] += 1
        return [
            Goal(
                id=result.created_id,
                template=source.template,
                title=source.title,
                description=source.description,
                criteria=source.criteria,
                standards=source.standards,
                due=due,
                priority=None,
            )
        ]

    def _path(self, cycle: str) -> str:
        if self.forced[cycle]:
            return self.forced[cycle].pop(0)
        r = self.rng.random()
        if r < 0.12:
            return "revise_first"
        if r < 0.18:
            return "agree_then_revise"
        if r < 0.22:
            return "set_disagree" if self.rng.random() < 0.6 else "set"
        if cycle == "b" and r < 0.25:
            return "pending"
        return "agree"

    def _agree(
        self,
        p: Person,
        rv: ReviewRun,
        new: list[Goal],
        reasons: tuple[str, ...],
        cal: CycleCalendar,
    ) -> list[Goal]:
        """Agreement on newly drafted objectives; those needing a second meeting returned."""
        rng = self.rng
        appraisee, appraiser = p.principal, rv.appraiser.principal
        waiting = []
        for g in new:
            match self._path(rv.cycle):
                case "agree":
                    self._agree_one(g, appraisee, appraiser)
                case "revise_first":
                    self._revise(g, appraisee, reasons, cal)
                    waiting.append(g)
                case "agree_then_revise":
                    self._agree_by(g, appraisee, "appraisee")
                    self._revise(g, appraiser, reasons, cal)
                    waiting.append(g)
                case "set" | "set_disagree" as path:
                    reason = rng.choice(texts.SET_WITHOUT_AGREEMENT_REASONS)
                    self.act(
                        m.SetObjectiveWithoutAgreement(objective_id=g.id, reason=reason), appraiser
                    )
                    g.status = "set"
                    if path == "set_disagree":
                        statement = rng.choice(texts.DISAGREEMENTS)
                        self.act(
                            m.RecordDisagreement(objective_id=g.id, statement=statement), appraisee
                        )
                case _:
                    pass  # still a draft: the appraisee has not agreed it yet
        return waiting

    def _agree_again(self, p: Person, rv: ReviewRun, waiting: list[Goal]) -> None:
        for g in waiting:
            self._agree_one(g, p.principal, rv.appraiser.principal)

    def _agree_one(self, g: Goal, appraisee: Principal, appraiser: Principal) -> None:
        sides = [("appraisee", appraisee), ("appraiser", appraiser)]
        if self.rng.random() < 0.5:
            sides.reverse()
        for side, who in sides:
            self._agree_by(g, who, side)

    def _agree_by(self, g: Goal, who: Principal, side: str) -> None:
        if side not in g.agreed:
            self.act(m.AgreeObjective(objective_id=g.id), who)
            g.agreed.add(side)
            if len(g.agreed) == 2:
                g.status = "agreed"

    def _revise(
        self, g: Goal, who: Principal, reasons: tuple[str, ...], cal: CycleCalendar
    ) -> None:
        command = goals.revision(self.rng, g, reasons, cal)
        self.act(command, who)
        goals.apply_revision(g, command)

    def _progress(self, p: Person, rv: ReviewRun, step: int) -> None:
        rng = self.rng
        for g in rv.goals:
            if not g.in_force or rng.random() < 0.15:
                continue
            gain = rng.randint(15, 40) if step == 1 else rng.randint(10, 30)
            g.progress = min(100, g.progress + gain)
            who = p.principal if rng.random() < 0.8 else rv.appraiser.principal
            month = self.clock.now.strftime("%B %Y")
            evidence = [f"{e}, {month}" for e in rng.sample(texts.EVIDENCE, rng.randint(0, 2))]
            note = rng.choice(texts.PROGRESS_NOTES)
            self.act(
                m.RecordProgress(
                    objective_id=g.id, percent=g.progress, note=note, evidence=evidence
                ),
                who,
            )

    def _meeting(self, rv: ReviewRun, kind: MeetingKind, notes: str) -> None:
        held_on = self.clock.now.date()
        self.act(
            m.RecordMeeting(review_id=rv.id, kind=kind, held_on=held_on, notes=notes),
            rv.appraiser.principal,
        )

    def _mid_year(
        self, p: Person, rv: ReviewRun, held: float, revise: float, *, withdraw: bool
    ) -> list[Goal]:
        """The mid-year review; objectives revised there (needing re-agreement) returned."""
        rng = self.rng
        if not withdraw and rng.random() >= held:
            return []
        cal = self.tl.a if rv.cycle == "a" else self.tl.b
        self._meeting(rv, MeetingKind.MID_YEAR, rng.choice(texts.MID_YEAR_NOTES))
        appraiser = rv.appraiser.principal
        waiting = []
        in_force = [g for g in rv.goals if g.in_force]
        if withdraw and in_force:
            g = rng.choice(in_force)
            reason = rng.choice(texts.WITHDRAW_REASONS)
            self.act(m.WithdrawObjective(objective_id=g.id, reason=reason), appraiser)
            g.status = "withdrawn"
            if p.id not in self.paths.appeal_upheld:
                # Replaced by a new objective, agreed at the same meeting.
                replacement = self._plan_replacement(p, rv, cal)
                self._agree_one(replacement, p.principal, appraiser)
        elif in_force and rng.random() < revise:
            g = rng.choice(in_force)
            self._revise(g, appraiser, texts.REVISION_REASONS_MID_YEAR, cal)
            waiting.append(g)
        return waiting

    def _plan_replacement(self, p: Person, rv: ReviewRun, cal: CycleCalendar) -> Goal:
        used = {g.template.title for g in rv.goals}
        t = goals.choose_templates(self.rng, p, 1, used)[0]
        goal = goals.render(self.rng, self.plan, p, t, rv.cycle, cal)
        goal.id = self.act(goal.draft(rv.id), rv.appraiser.principal).aggregate_id
        self.counts["objectives"] += 1
        rv.goals.append(goal)
        return goal

    def _end_year(self, rv: ReviewRun) -> None:
        rng = self.rng
        self._meeting(rv, MeetingKind.END_YEAR, rng.choice(texts.END_YEAR_NOTES))
        appraiser = rv.appraiser.principal
        for g in rv.goals:
            if g.in_force:
                self._assess(g, goals.outcome(rng, g), appraiser)
        self._write_report(rv)

    def _assess(self, g: Goal, outcome: ObjectiveOutcome, who: Principal) -> None:
        comment = self.rng.choice(texts.OBJECTIVE_NOTES[outcome.value])
        self.act(m.AssessObjective(objective_id=g.id, outcome=outcome, comment=comment), who)
        g.status, g.outcome = "assessed", outcome

    def _write_report(self, rv: ReviewRun) -> None:
        rng = self.rng
        appraiser = rv.appraiser.principal
        assessed = [g for g in rv.goals if g.status == "assessed" and g.outcome is not None]
        judgement = goals.overall(rng, [g.outcome for g in assessed if g.outcome is not None])
        notes = [
            m.ObjectiveNoteIn(
                objective_id=g.id, note=rng.choice(texts.OBJECTIVE_NOTES[g.outcome.value])
            )
            for g in assessed
            if g.outcome is not None
        ]
        self.act(
            m.WriteAssessment(
                review_id=rv.id,
                overall=judgement,
                summary=texts.ASSESSMENT_SUMMARIES[judgement.value],
                objective_notes=notes,
                development_needs=rng.sample(texts.DEVELOPMENT_NEEDS, rng.randint(1, 3)),
                support=rng.choice(texts.SUPPORT_OFFERED),
            ),
            appraiser,
        )
        self.act(m.IssueReport(review_id=rv.id), appraiser)

    def _reassess(self, p: Person, rv: ReviewRun, *, reinstate: bool) -> None:
        """The reopened review: a withdrawn objective back if wrongly withdrawn, one outcome
        corrected, and the report rewritten and issued again."""
        appraiser = rv.appraiser.principal
        withdrawn = [g for g in rv.goals if g.status == "withdrawn"]
        if reinstate and withdrawn:
            g = withdrawn[0]
            reason = texts.REINSTATE_REASONS[0]
            self.act(m.ReinstateObjective(objective_id=g.id, reason=reason), appraiser)
            g.status, g.agreed = "draft", set()
            self._agree_one(g, p.principal, appraiser)
            self._assess(g, goals.outcome(self.rng, g), appraiser)
        assessed = [g for g in rv.goals if g.status == "assessed"]
        if assessed:
            g = min(assessed, key=lambda x: goals.SCORE[x.outcome] if x.outcome else 0)
            self._assess(g, goals.better(g.outcome), appraiser)
        self._write_report(rv)

    def _sign(self, p: Person, rv: ReviewRun, *, comment: bool) -> None:
        if comment:
            text = self.rng.choice(texts.APPRAISEE_COMMENTS)
            self.act(m.CommentOnReport(review_id=rv.id, comment=text), p.principal)
        self.act(m.SignOffReview(review_id=rv.id), p.principal)
        self.act(m.SignOffReview(review_id=rv.id), rv.appraiser.principal)

    def _moderator(self, p: Person, rv: ReviewRun) -> Principal:
        """An independent leader: the CEO for heads, a director where the head appraises."""
        if p.kind is Kind.HEAD:
            return self.plan.ceo.principal
        director = p.school.director
        assert director is not None
        if rv.appraiser.kind is Kind.HEAD:
            return director.principal
        return p.school.leader

    def _moderate(self, rv: ReviewRun, who: Principal, outcome: ModerationOutcome) -> None:
        refer = outcome is ModerationOutcome.REFERRED_BACK
        note = self.rng.choice(texts.REFERRAL_NOTES if refer else texts.MODERATION_NOTES)
        self.act(m.ModerateReview(review_id=rv.id, outcome=outcome, note=note), who)

    def _move(self, p: Person, rv: ReviewRun, effective: date) -> None:
        """A move to another school of the chunk: new appraiser and line manager there."""
        rng = self.rng
        target = rng.choice([s for s in self.schools if s is not p.school])
        reason = rng.choice(texts.TRANSFER_REASONS).format(school=target.name)
        self.act(
            m.TransferStaff(
                staff_id=p.id, school_id=target.id, effective_date=effective, reason=reason
            ),
            self.plan.admin,
        )
        p.school = target
        family = "teacher" if p.category is StaffCategory.TEACHER else p.family
        appraiser = rng.choice(target.managers[family])
        reason = rng.choice(texts.APPRAISER_CHANGE_REASONS).format(school=target.name)
        self.act(
            m.ChangeAppraiser(review_id=rv.id, appraiser_id=appraiser.id, reason=reason),
            target.leader,
        )
        self.act(
            m.ChangeLineManager(staff_id=p.id, line_manager_id=appraiser.id, reason=reason),
            target.leader,
        )
        p.appraiser = rv.appraiser = appraiser

    def _leave(self, p: Person, effective: date) -> None:
        reason = self.rng.choice(texts.LEAVING_REASONS)
        self.act(
            m.RecordStaffLeaving(staff_id=p.id, effective_date=effective, reason=reason),
            self.plan.admin,
        )
        self.left.add(p.id)
