"""Planning: which reminders are due on a day, from the read models, page by page.

One keyset-paged scan of ``review_status`` (reviews of open cycles), a handful of queries per
page for the people concerned, and the trust policies once per run: memory stays bounded by
the page, whatever the trust's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from uuid import UUID

from events.reminders import DEFAULT_POLICY, Milestone, Recipient, ReminderPolicy, ReminderStep
from projections import reminder_context as rc
from projections.engine.db import Database
from projections.review_status import ReviewView, get_review
from reminders.people import People, Person
from reminders.rules import Outstanding, due_step, next_digest_day, outstanding, recipients_for

# Chases are picked up from the read model for this long after they were asked for.
CHASE_WINDOW = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class Reminder:
    """One decision to tell one person about one step of one milestone of one review."""

    trust_id: UUID
    person_id: UUID
    review_id: UUID
    milestone: Milestone
    step: str
    roles: tuple[str, ...]
    email: str
    name: str
    appraisee_id: UUID
    appraisee_name: str
    deadline: date
    deliver_on: date
    optional: bool
    digest: bool
    note: str = ""
    # The unique key: person, review, milestone and step (recorded once, ever).
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        key = f"{self.person_id}:{self.review_id}:{self.milestone.value}:{self.step}"
        object.__setattr__(self, "key", key)


@dataclass(frozen=True, slots=True)
class _Due:
    review: ReviewView
    policy: ReminderPolicy
    state: Outstanding
    step: ReminderStep
    recipients: tuple[Recipient, ...]


class Planner:
    """Works out the reminders due on a day; records nothing (see ``reminders.ledger``)."""

    def __init__(self, db: Database, people: People, *, page_size: int = 2000) -> None:
        self.db = db
        self.people = people
        self.page_size = page_size
        self.queries = 0

    def policies(self) -> dict[UUID, ReminderPolicy]:
        self.queries += 1
        return {t: ReminderPolicy.model_validate(p) for t, p in rc.policies(self.db).items()}

    def pages(self, today: date) -> Iterator[list[Reminder]]:
        """The reminders due on ``today``, one page of reviews at a time."""
        policies = self.policies()
        self.queries += 1
        cycles = sorted(rc.open_cycles(self.db), key=str)
        if not cycles:
            return
        after: UUID | None = None
        while True:
            page = self._reviews(cycles, after)
            if not page:
                return
            after = page[-1].review_id
            due = [d for r in page for d in _due(r, policies, today)]
            if due:
                yield self._resolve(due, today)
            if len(page) < self.page_size:
                return

    def _reviews(self, cycles: list[UUID], after: UUID | None) -> list[ReviewView]:
        self.queries += 1
        return rc.reviews_page(self.db, cycles, after, self.page_size)

    def _resolve(self, due: list[_Due], today: date) -> list[Reminder]:
        wanted = {d.review.appraisee_id for d in due} | {d.review.appraiser_id for d in due}
        self.queries += 1
        people = self.people.get_many(wanted)
        managers = {
            p.line_manager_id
            for d in due
            if Recipient.LINE_MANAGER in d.recipients
            and (p := people.get(d.review.appraisee_id)) is not None
            and p.line_manager_id is not None
        } - people.keys()
        if managers:
            self.queries += 1
            people.update(self.people.get_many(managers))
        told = [d for d in due if Recipient.SCHOOL_LEADER in d.recipients]
        schools = {d.review.current_school_id for d in told}
        leaders = self.people.school_leaders(schools) if schools else {}
        found: dict[str, Reminder] = {}
        for d in due:
            for role, person in _who(d, people, leaders):
                reminder = _reminder(d, role, person, people, today)
                if reminder is None:
                    continue
                seen = found.get(reminder.key)
                if seen is None:
                    found[reminder.key] = reminder
                elif role.value not in seen.roles:
                    found[reminder.key] = replace(seen, roles=(*seen.roles, role.value))
        return list(found.values())

    def chases(self, now: datetime) -> list[Reminder]:
        """Reminders for the "chase now" requests of the last few days (immediate)."""
        self.queries += 1
        chases = rc.chases_since(self.db, now - CHASE_WINDOW)
        policies = self.policies() if chases else {}
        out: list[Reminder] = []
        for chase in chases:
            review = get_review(self.db, chase.review_id)
            if review is None:
                continue
            policy = policies.get(review.trust_id, DEFAULT_POLICY)
            state = outstanding(review, Milestone(chase.milestone), policy)
            if state is None:
                continue
            people = self.people.get_many(
                {UUID(r) for r in chase.recipients} | {review.appraisee_id}
            )
            subject = people.get(review.appraisee_id)
            for rid in chase.recipients:
                person = people.get(UUID(rid))
                if person is None or person.left_on is not None:
                    continue
                role = "appraisee" if person.staff_id == review.appraisee_id else "appraiser"
                out.append(
                    Reminder(
                        trust_id=review.trust_id,
                        person_id=person.staff_id,
                        review_id=review.review_id,
                        milestone=state.milestone,
                        step=f"chase-{chase.chase_id.rsplit(':', 1)[1]}",
                        roles=(role,),
                        email=person.email,
                        name=person.name,
                        appraisee_id=review.appraisee_id,
                        appraisee_name=subject.name if subject else "",
                        deadline=state.deadline,
                        deliver_on=now.date(),
                        optional=False,
                        digest=False,
                        note=chase.note,
                    )
                )
        return out


def _due(review: ReviewView, policies: dict[UUID, ReminderPolicy], today: date) -> Iterator[_Due]:
    policy = policies.get(review.trust_id, DEFAULT_POLICY)
    if policy.quiet_on(today) is not None:
        return
    for rule in policy.milestones:
        if not rule.enabled:
            continue
        state = outstanding(review, rule.milestone, policy)
        if state is None:
            continue
        step = due_step(rule.steps, state.deadline, today, policy.catch_up_days)
        if step is None:
            continue
        who = recipients_for(step, state)
        if who:
            yield _Due(review, policy, state, step, who)


def _who(
    d: _Due, people: dict[UUID, Person], leaders: dict[UUID, list[Person]]
) -> Iterator[tuple[Recipient, Person]]:
    r = d.review
    for role in d.recipients:
        match role:
            case Recipient.APPRAISEE:
                person = people.get(r.appraisee_id)
                if person is not None:
                    yield role, person
            case Recipient.APPRAISER:
                person = people.get(r.appraiser_id)
                if person is not None:
                    yield role, person
            case Recipient.LINE_MANAGER:
                appraisee = people.get(r.appraisee_id)
                manager = appraisee and people.get(appraisee.line_manager_id)  # type: ignore[arg-type]
                if manager is not None:
                    yield role, manager
            case Recipient.SCHOOL_LEADER:
                for leader in leaders.get(r.current_school_id, []):
                    if leader.staff_id != r.appraisee_id:
                        yield role, leader


def _reminder(
    d: _Due, role: Recipient, person: Person, people: dict[UUID, Person], today: date
) -> Reminder | None:
    if person.left_on is not None and person.left_on <= today:
        return None
    optional = d.step.optional
    if optional and not person.optional_reminders:
        return None
    digest = optional and d.policy.weekly_digest and person.frequency == "digest"
    subject = people.get(d.review.appraisee_id)
    return Reminder(
        trust_id=d.review.trust_id,
        person_id=person.staff_id,
        review_id=d.review.review_id,
        milestone=d.state.milestone,
        step=d.step.key,
        roles=(role.value,),
        email=person.email,
        name=person.name,
        appraisee_id=d.review.appraisee_id,
        appraisee_name=subject.name if subject else "",
        deadline=d.state.deadline,
        deliver_on=next_digest_day(today, d.policy.digest_weekday) if digest else today,
        optional=optional,
        digest=digest,
    )
