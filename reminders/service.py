"""The reminder run: plan from the read models, record the decisions, deliver what is due.

``ReminderService.run_once()`` is what the scheduler calls (in-process, or in a dramatiq
worker); ``plan`` and ``send`` are what the CLI calls. The time comes from the injected
clock: nothing here reads the system time.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from events.reminders import DEFAULT_POLICY, Recipient, ReminderPolicy
from projections import reminder_context as rc
from projections.engine.common import as_model, select
from projections.engine.db import Database
from projections.review_status import REVIEWS, ReviewView
from reminders.compose import Branding, compose, message_id
from reminders.ledger import Delivery, Ledger
from reminders.mailer import Mailer, MailError
from reminders.people import People
from reminders.planner import Planner, Reminder
from reminders.rules import outstanding

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class RunReport:
    """What one run did."""

    today: date
    planned: int = 0
    recorded: int = 0
    sent: int = 0
    mails: int = 0
    failed: int = 0
    cancelled: int = 0
    postponed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedReminder:
    reminder: Reminder
    recorded: bool


class ReminderService:
    def __init__(
        self,
        db: Database,
        people: People,
        mailer: Mailer,
        brand: Branding,
        *,
        clock: Clock,
        timezone: str = "Europe/London",
        ledger: Ledger | None = None,
        lease: timedelta = timedelta(minutes=10),
        page_size: int = 2000,
    ) -> None:
        self.db = db
        self.people = people
        self.mailer = mailer
        self.brand = brand
        self.clock = clock
        self.zone = ZoneInfo(timezone)
        self.ledger = ledger or Ledger(db)
        self.lease = lease
        self.page_size = page_size
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"

    def today(self, now: datetime) -> date:
        """The trust's calendar day at ``now`` (reminders follow school days, not UTC)."""
        return now.astimezone(self.zone).date()

    def ensure(self) -> None:
        self.ledger.ensure()

    # ---------------------------------------------------------------- planning

    def planner(self) -> Planner:
        return Planner(self.db, self.people, page_size=self.page_size)

    def plan(self, now: datetime | None = None) -> list[PlannedReminder]:
        """What is due today, and whether each is already recorded (nothing is written)."""
        now = now or self.clock()
        planner = self.planner()
        found = [r for page in planner.pages(self.today(now)) for r in page]
        found += planner.chases(now)
        known = self.ledger.known([r.key for r in found])
        return [PlannedReminder(r, r.key in known) for r in found]

    def record(self, now: datetime | None = None, report: RunReport | None = None) -> RunReport:
        """Record every reminder due today that was not recorded before."""
        now = now or self.clock()
        report = report or RunReport(self.today(now))
        planner = self.planner()
        for page in planner.pages(report.today):
            report.planned += len(page)
            report.recorded += self.ledger.record(page, now)
        chases = planner.chases(now)
        report.planned += len(chases)
        report.recorded += self.ledger.record(chases, now)
        return report

    # ---------------------------------------------------------------- delivery

    def deliver(
        self, now: datetime | None = None, report: RunReport | None = None, *, rounds: int = 1000
    ) -> RunReport:
        """Send every recorded reminder that is due, once; failures are retried later."""
        now = now or self.clock()
        report = report or RunReport(self.today(now))
        policies = {t: ReminderPolicy.model_validate(p) for t, p in rc.policies(self.db).items()}
        for _ in range(rounds):
            claimed = self.ledger.claim(self.owner, now, lease=self.lease)
            if not claimed:
                break
            self._deliver(claimed, now, policies, report)
        return report

    def _deliver(
        self,
        claimed: list[Delivery],
        now: datetime,
        policies: dict[UUID, ReminderPolicy],
        report: RunReport,
    ) -> None:
        today = self.today(now)
        claimed = self._drop_done(claimed, policies, report)
        claimed = self._hold_quiet(claimed, policies, today, report)
        by_person: dict[object, list[Delivery]] = defaultdict(list)
        for d in claimed:
            by_person[d.person_id].append(d)
        if not by_person:
            return
        try:
            with self.mailer.connect() as outbox:
                for deliveries in by_person.values():
                    ids = [d.id for d in deliveries]
                    try:
                        outbox.send(compose(deliveries, today, self.brand))
                    except MailError as e:
                        report.failed += self.ledger.mark_failed(ids, self.owner, now, str(e))
                        report.errors.append(str(e))
                        continue
                    report.sent += self.ledger.mark_sent(
                        ids, self.owner, now, message_id(deliveries)
                    )
                    report.mails += 1
        except MailError as e:
            # The server could not be reached: every reminder not sent is retried later.
            log.warning("reminder delivery failed, will retry: %s", e)
            report.errors.append(str(e))
            rest = [d.id for ds in by_person.values() for d in ds]
            report.failed += self.ledger.mark_failed(rest, self.owner, now, str(e))

    def _drop_done(
        self, claimed: list[Delivery], policies: dict[UUID, ReminderPolicy], report: RunReport
    ) -> list[Delivery]:
        """Cancel reminders whose step was done after they were recorded."""
        reviews = _reviews(self.db, {d.review_id for d in claimed})
        keep, done = [], []
        for d in claimed:
            review = reviews.get(d.review_id)
            policy = policies.get(d.trust_id, DEFAULT_POLICY)
            state = None if review is None else outstanding(review, d.milestone, policy)
            if state is None or _own_part_done(d.roles, state.open_roles):
                done.append(d.id)
            else:
                keep.append(d)
        if done:
            report.cancelled += self.ledger.cancel(done, self.owner, "done before it was sent")
        return keep

    def _hold_quiet(
        self,
        claimed: list[Delivery],
        policies: dict[UUID, ReminderPolicy],
        today: date,
        report: RunReport,
    ) -> list[Delivery]:
        keep: list[Delivery] = []
        for d in claimed:
            quiet = policies.get(d.trust_id, DEFAULT_POLICY).quiet_on(today)
            if quiet is None or d.step.startswith("chase-"):
                keep.append(d)
                continue
            report.postponed += self.ledger.postpone([d.id], self.owner, quiet.end)
        return keep

    # ---------------------------------------------------------------- the run

    def send_chases(self, now: datetime | None = None) -> RunReport:
        """Record and send the "chase now" requests (without planning everything else)."""
        now = now or self.clock()
        report = RunReport(self.today(now))
        chases = self.planner().chases(now)
        report.planned = len(chases)
        report.recorded = self.ledger.record(chases, now)
        return self.deliver(now, report)

    def run_once(self, now: datetime | None = None) -> RunReport:
        """Plan, record and deliver: the scheduler's periodic work."""
        now = now or self.clock()
        report = self.record(now)
        self.deliver(now, report)
        if report.recorded or report.sent or report.failed:
            log.info(
                "reminders %s: %d recorded, %d sent in %d mails, %d failed, %d cancelled",
                report.today,
                report.recorded,
                report.sent,
                report.mails,
                report.failed,
                report.cancelled,
            )
        return report


def _own_part_done(roles: Sequence[str], open_roles: frozenset[Recipient]) -> bool:
    """An appraisee or appraiser told only for their own part, which they have now done."""
    own = {Recipient.APPRAISEE.value, Recipient.APPRAISER.value}
    if not open_roles or not roles or not set(roles) <= own:
        return False
    return not any(Recipient(r) in open_roles for r in roles)


def _reviews(db: Database, ids: set[object]) -> dict[object, ReviewView]:
    wanted = sorted(str(i) for i in ids)
    out: dict[object, ReviewView] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = select(db, REVIEWS, f"review_id IN ({marks})", [("id", i) for i in chunk])
        out.update({r.review_id: r for r in as_model(ReviewView, rows)})
    return out
