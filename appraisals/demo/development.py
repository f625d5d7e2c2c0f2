"""The work around each appraisal in the demo: CPD planned, done and reflected on; evidence
files and links on objectives; lesson observations and learning walks with responses; and,
after the report, the pay recommendation and the pay committee's decision.

It draws from its own seeded random stream, so adding it leaves the appraisal story itself
(who does what, with which outcome) as it was.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from random import Random
from uuid import UUID

from appraisals.demo import texts
from appraisals.demo.calendar import SimClock
from appraisals.demo.goals import Goal, ReviewRun
from appraisals.demo.plan import Kind, OrgPlan, Person
from appraisals.demo.staging import Staging
from commands import development_messages as d
from commands.evidence_files import BlobStore, EvidenceFiles
from commands.messages import Command
from commands.principal import Principal
from events.base import Role
from events.cpd import CpdKind, ImpactRating
from events.evidence import EvidenceSubject
from events.observation import ObservationKind
from events.pay import PayOutcome
from events.standards import TEACHERS_STANDARDS
from events.values import ObjectiveOutcome, StaffCategory

# (title, provider, kind, hours, cost in pence)
ACTIVITIES = (
    ("Guided reading masterclass", "English Hub", CpdKind.COURSE, 6.0, 15_000),
    ("Instructional coaching cycle", "Trust coaching team", CpdKind.COACHING, 6.0, 0),
    ("Adaptive teaching INSET", "School CPD lead", CpdKind.INSET, 3.0, 0),
    ("NPQ in Leading Teaching", "Ambition Institute", CpdKind.QUALIFICATION, 40.0, 0),
    ("Reading: Responsive Teaching", "Self-directed", CpdKind.READING, 4.0, 2_500),
    ("Visit to a partner school's maths hub", "Maths Hub", CpdKind.VISIT, 5.0, 4_000),
    ("Behaviour for learning course", "Local authority", CpdKind.COURSE, 6.0, 18_000),
    ("Subject leadership network", "Trust network", CpdKind.CONFERENCE, 3.0, 0),
    ("Phonics refresher (online)", "DfE-validated provider", CpdKind.ONLINE, 2.0, 3_500),
)
REFLECTIONS = {
    ImpactRating.STRONG: "It changed how I plan every lesson; the pupils' work shows it.",
    ImpactRating.CLEAR: "I use the strategies weekly and can see the difference in books.",
    ImpactRating.SOME: "Useful ideas, a few of which have stuck in my practice.",
    ImpactRating.NONE: "Interesting, but it did not fit my classes this year.",
}
STRENGTHS = (
    "Clear explanations and modelling; pupils knew what success looked like.",
    "Warm relationships and calm routines; transitions were quick.",
    "Well-sequenced questioning that checked understanding before moving on.",
)
AREAS = (
    "Stretch for the most able: extend tasks earlier.",
    "Use mini-whiteboards to check every pupil's understanding.",
    "Give pupils more time to respond to feedback.",
)
RESPONSES = (
    "Thank you; I agree and will try hinge questions next half term.",
    "Helpful feedback. The group was unusual that day, but I take the point on stretch.",
)
PAY_REASONS = {
    PayOutcome.PROGRESS: "Objectives met and a strong report: progression recommended.",
    PayOutcome.DEFER: "Recommendation deferred until the appeal outcome is applied.",
    PayOutcome.NOT_PROGRESS: "Objectives not met; support plan in place for next year.",
}
EVIDENCE_LINKS = (
    ("Pupil voice survey (trust drive)", "https://drive.example.org/pupil-voice"),
    ("Reading journal samples", "https://drive.example.org/reading-journals"),
)


def evidence_pdf(title: str, person: str, when: date) -> bytes:
    """A small, valid one-page PDF naming what it is (the demo's evidence files)."""
    text = f"{title} - {person} - {when.isoformat()}".replace("(", "[").replace(")", "]")
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


class Development:
    """The development steps of one chunk's people, run through the chunk's command service."""

    def __init__(
        self,
        plan: OrgPlan,
        staging: Staging,
        clock: SimClock,
        counts: Counter[str],
        blobs: BlobStore,
        seed: str,
    ) -> None:
        self.staging = staging
        self.clock = clock
        self.counts = counts  # the chunk's tally of commands run, shared with its story
        self.rng = Random(f"appraisal-ledger demo development: {seed}")
        self.files = EvidenceFiles(staging.service, blobs, max_bytes=10 * 1024 * 1024)
        # The CEO chairs the trust's pay committee.
        self.pay_committee = Principal(plan.ceo.id, Role.PAY_COMMITTEE, trust_id=plan.trust_id)
        self.plans: dict[UUID, list[tuple[UUID, date, list[Goal]]]] = {}
        self.done: dict[UUID, list[UUID]] = {}
        self.observations: dict[UUID, UUID] = {}
        self.removed_one = False

    def _act(self, command: Command, who: Principal) -> UUID:
        result = self.staging.execute(command, who)
        self.clock.tick(self.rng.randint(4, 30))
        self.counts[type(command).__name__] += 1
        return result.aggregate_id

    # CPD --------------------------------------------------------------------------------

    def plan_cpd(self, p: Person, rv: ReviewRun) -> None:
        rng, today = self.rng, self.clock.now.date()
        in_force = [g for g in rv.goals if g.in_force]
        for _ in range(rng.choice((0, 1, 1, 2))):
            title, provider, kind, hours, cost = rng.choice(ACTIVITIES)
            starts = today + timedelta(days=rng.randint(7, 40))
            ends = starts + timedelta(days=rng.choice((0, 0, 1, 60)))
            linked = rng.sample(in_force, min(len(in_force), rng.choice((1, 1, 2))))
            needs = [] if linked and rng.random() < 0.6 else [rng.choice(texts.DEVELOPMENT_NEEDS)]
            activity = self._act(
                d.PlanCpd(
                    review_id=rv.id,
                    title=title,
                    provider=provider,
                    kind=kind,
                    starts_on=starts,
                    ends_on=ends,
                    hours=hours,
                    cost_pence=cost,
                    objective_ids=[g.id for g in linked],
                    development_needs=needs or ([] if linked else ["Coaching skills"]),
                ),
                p.principal if rng.random() < 0.7 else rv.appraiser.principal,
            )
            self.plans.setdefault(rv.id, []).append((activity, ends, linked))

    def complete_cpd(self, p: Person, rv: ReviewRun) -> None:
        today = self.clock.now.date()
        for activity, ends, linked in self.plans.pop(rv.id, []):
            if ends > today or self.rng.random() < 0.12:
                reason = "Rescheduled by the provider; rebooked for next term"
                self._act(d.CancelCpd(activity_id=activity, reason=reason), p.principal)
                continue
            hours = None if self.rng.random() < 0.7 else self.rng.choice((1.5, 3.0, 7.5))
            self._act(
                d.CompleteCpd(activity_id=activity, completed_on=ends, hours=hours),
                p.principal,
            )
            self.done.setdefault(rv.id, []).append(activity)
            # CPD that was done helps: its objectives end the year further on (the demo's
            # outcomes follow progress), so the CPD view has a difference to show.
            for g in linked:
                g.progress = min(100, g.progress + 25)

    def reflect(self, p: Person, rv: ReviewRun) -> None:
        for activity in self.done.pop(rv.id, []):
            if self.rng.random() < 0.2:
                continue
            impact = self.rng.choice(list(ImpactRating))
            self._act(
                d.ReflectOnCpd(activity_id=activity, reflection=REFLECTIONS[impact], impact=impact),
                p.principal,
            )

    # Evidence ---------------------------------------------------------------------------

    def evidence(self, p: Person, rv: ReviewRun) -> None:
        rng, today = self.rng, self.clock.now.date()
        for g in [g for g in rv.goals if g.in_force]:
            roll = rng.random()
            if roll < 0.35:
                title = rng.choice(texts.EVIDENCE)
                filename = title.lower().replace(" ", "-").replace("'", "") + ".pdf"
                key = f"demo:{g.id}:{today.isoformat()}"
                result = self.files.attach(
                    p.principal,
                    subject=EvidenceSubject.OBJECTIVE,
                    subject_id=g.id,
                    filename=filename,
                    data=evidence_pdf(title, p.name, today),
                    title=title,
                    idempotency_key=key,
                )
                self.clock.tick(self.rng.randint(4, 30))
                self.counts["evidence files"] += 1
                if not self.removed_one:
                    self.removed_one = True
                    self.files.remove(
                        p.principal, result.aggregate_id, "Uploaded the wrong term's report"
                    )
                    self.clock.tick(self.rng.randint(4, 30))
            elif roll < 0.45:
                title, url = rng.choice(EVIDENCE_LINKS)
                self._act(
                    d.AttachEvidenceLink(
                        subject=EvidenceSubject.OBJECTIVE, subject_id=g.id, title=title, url=url
                    ),
                    p.principal,
                )

    # Observations -----------------------------------------------------------------------

    def observe(self, p: Person, rv: ReviewRun) -> None:
        if p.category is not StaffCategory.TEACHER or p.kind is Kind.HEAD:
            return
        rng = self.rng
        walk = (
            rng.random() < 0.25 and p.school.head is not None and p.school.head is not rv.appraiser
        )
        observer = p.school.leader if walk else rv.appraiser.principal
        standards = [s for g in rv.goals for s in g.standards if s in TEACHERS_STANDARDS]
        focus = sorted(set(rng.sample(standards, min(2, len(standards))))) or [
            rng.choice(("TS2", "TS4", "TS5", "TS6", "TS7"))
        ]
        linked = [g.id for g in rv.goals if g.in_force][:1]
        observation = self._act(
            d.RecordObservation(
                review_id=rv.id,
                kind=ObservationKind.LEARNING_WALK if walk else ObservationKind.LESSON_OBSERVATION,
                held_on=self.clock.now.date(),
                context=f"{p.cls or p.subject or 'Class'} lesson, {p.school.pupils}",
                focus_standards=focus,
                strengths=rng.choice(STRENGTHS),
                areas_to_develop=rng.choice(AREAS),
                objective_ids=linked,
            ),
            observer,
        )
        self.observations[rv.id] = observation

    def respond(self, p: Person, rv: ReviewRun) -> None:
        observation = self.observations.pop(rv.id, None)
        if observation is not None and self.rng.random() < 0.6:
            self._act(
                d.CommentOnObservation(
                    observation_id=observation, comment=self.rng.choice(RESPONSES)
                ),
                p.principal,
            )

    # Pay --------------------------------------------------------------------------------

    def recommend_pay(self, p: Person, rv: ReviewRun, *, appealed: bool) -> None:
        if p.category is not StaffCategory.TEACHER or p.kind is Kind.HEAD:
            return
        outcomes = [g.outcome for g in rv.goals if g.status == "assessed"]
        met = sum(o is ObjectiveOutcome.MET for o in outcomes)
        if appealed:
            recommendation = PayOutcome.DEFER
        elif outcomes and met * 2 >= len(outcomes):
            recommendation = PayOutcome.PROGRESS
        else:
            recommendation = PayOutcome.NOT_PROGRESS
        self._act(
            d.RecommendPay(
                review_id=rv.id,
                recommendation=recommendation,
                reasons=PAY_REASONS[recommendation],
            ),
            rv.appraiser.principal,
        )
        decision = recommendation if self.rng.random() < 0.9 else PayOutcome.DEFER
        self._act(
            d.RecordPayDecision(
                review_id=rv.id,
                decision=decision,
                body="Trust pay committee",
                decided_on=self.clock.now.date(),
                rationale="Considered with the appraisal evidence and the pay policy.",
            ),
            self.pay_committee,
        )
