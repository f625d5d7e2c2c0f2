"""Reminders end to end: the read models, the ledger, a real SMTP server, simulated days."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from commands import messages as m
from events.reminders import DEFAULT_POLICY, Frequency, Milestone, QuietPeriod
from events.values import MeetingKind
from reminders.ledger import Ledger
from tests.integration.reminders.conftest import (
    SmtpServer,
    World,
    body,
    html,
    make_world,
    recipients,
)

pytestmark = pytest.mark.integration

ANN = "Ann Appraisee <ann@oak.example>"
BOB = "Bob Appraiser <bob@oak.example>"
LEE = "Lee Manager <lee@oak.example>"
HANA = "Hana Head <hana@oak.example>"
# Objectives are due on 31 October 2025 (tests/scenario.py); the default steps are
# 14 and 3 days before, then 3, 10 (line manager too) and 21 days after (school leader too).
DAYS = {
    date(2025, 10, 17): [ANN, BOB],
    date(2025, 10, 28): [ANN, BOB],
    date(2025, 11, 3): [ANN, BOB],
    date(2025, 11, 10): [ANN, BOB, LEE],
    date(2025, 11, 21): [ANN, BOB, HANA, LEE],
}


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


def subject(message: object) -> str:
    return " ".join(str(message["Subject"]).split())  # type: ignore[index]


def test_the_right_people_get_the_right_mails_on_the_right_simulated_days(world: World) -> None:
    sent = {day: world.run(day) for day in days(date(2025, 10, 1), date(2025, 11, 30))}

    assert {d: recipients(msgs) for d, msgs in sent.items() if msgs} == DAYS
    before = {subject(msg) for msg in sent[date(2025, 10, 17)]}
    assert before == {
        "Reminder: agree objectives for your appraisal by 31 October 2025",
        "Reminder: agree objectives for Ann Appraisee's appraisal by 31 October 2025",
    }
    escalation = {str(msg["To"]): msg for msg in sent[date(2025, 11, 21)]}
    to_head = body(escalation[HANA])
    assert "Dear Hana Head" in to_head
    assert "Agree objectives for Ann Appraisee's appraisal by 31 October 2025" in to_head
    assert "overdue by 21 days" in to_head
    assert "as the school leader" in to_head
    link = f"https://appraisals.oak.example/reviews/{world.org.review_id}"
    assert link in to_head
    assert f'href="{link}"' in html(escalation[HANA])
    # Chases after the deadline are not optional: no unsubscribe link; reminders before are.
    assert "List-Unsubscribe" not in escalation[ANN]
    assert "/reminders/unsubscribe?token=" in str(sent[date(2025, 10, 17)][0]["List-Unsubscribe"])
    counts = world.container.reminders.ledger.counts()
    assert counts == {"sent": 13}


def test_a_step_done_before_its_reminder_sends_nothing(world: World) -> None:
    assert recipients(world.run(date(2025, 10, 17))) == [ANN, BOB]
    world.clock.day(date(2025, 10, 20))
    world.execute(
        m.RecordMeeting(
            review_id=world.org.review_id,
            kind=MeetingKind.PLANNING,
            held_on=date(2025, 10, 20),
            notes="Objectives agreed",
        ),
        world.org.appraiser,
    )
    for day in days(date(2025, 10, 21), date(2025, 11, 30)):
        assert world.run(day) == [], day


def test_a_reminder_recorded_before_its_step_was_done_is_cancelled_not_sent(world: World) -> None:
    reminders = world.container.reminders
    world.clock.day(date(2025, 11, 3))
    world.catch_up()
    assert reminders.record().recorded == 2
    world.execute(
        m.RecordMeeting(
            review_id=world.org.review_id,
            kind=MeetingKind.PLANNING,
            held_on=date(2025, 11, 3),
            notes="Objectives agreed at last",
            outside_window_reason="Both were off sick in October",
        ),
        world.org.appraiser,
    )
    report = reminders.deliver()
    assert (report.sent, report.cancelled) == (0, 2)
    assert world.smtp.messages == []
    assert reminders.ledger.counts() == {"cancelled": 2}


def test_two_workers_and_a_restart_mid_run_never_send_a_mail_twice(world: World) -> None:
    first, second = world.worker(), world.worker()
    # A third worker claims its share and dies before sending (a restart mid-run).
    crashed = world.worker()
    world.clock.day(date(2025, 11, 21))
    world.catch_up()
    assert crashed.reminders.record().recorded == 4
    lost = crashed.reminders.ledger.claim(
        crashed.reminders.owner, world.clock(), lease=timedelta(minutes=10), limit=2
    )
    assert len(lost) == 2
    crashed.close()
    world.containers.remove(crashed)

    def run(container: object) -> None:
        for _ in range(3):
            container.reminders.run_once()  # type: ignore[attr-defined]

    threads = [threading.Thread(target=run, args=(c,)) for c in (first, second, first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The two the crashed worker held are not sent until its lease runs out...
    assert len(world.smtp.messages) == 2
    world.clock.advance(timedelta(minutes=11))
    for c in (first, second):
        c.reminders.run_once()
    # ...and then exactly once, by one of the others.
    assert recipients(world.smtp.messages) == [ANN, BOB, HANA, LEE]
    assert Counter(str(msg["Message-ID"]) for msg in world.smtp.messages).most_common(1)[0][1] == 1
    for day in days(date(2025, 11, 21), date(2025, 11, 25)):
        world.clock.day(day, hour=15)
        for c in (first, second, world.container):
            c.reminders.run_once()
    assert len(world.smtp.messages) == 4
    assert world.container.reminders.ledger.counts() == {"sent": 4}


def test_an_smtp_outage_is_retried_with_back_off_then_succeeds(world: World) -> None:
    reminders = world.container.reminders
    world.smtp.stop()
    world.clock.day(date(2025, 11, 3))
    world.catch_up()
    report = reminders.run_once()
    assert (report.recorded, report.sent, report.failed) == (2, 0, 2)
    waiting = reminders.ledger.for_person(world.org.appraisee_id)
    assert [(d.status, d.attempts) for d in waiting] == [("pending", 1)]
    assert "Connection refused" in (waiting[0].last_error or "")
    # Back-off: a minute after the first failure, nothing is tried; after it, again.
    world.clock.advance(timedelta(seconds=30))
    assert reminders.run_once().failed == 0
    world.smtp.start()
    world.clock.advance(timedelta(seconds=31))
    report = reminders.run_once()
    assert (report.sent, report.failed) == (2, 0)
    assert recipients(world.smtp.take()) == [ANN, BOB]
    assert reminders.ledger.counts() == {"sent": 2}


def test_a_server_that_keeps_refusing_leaves_the_reminder_visibly_failed(world: World) -> None:
    reminders = world.container.reminders
    world.smtp.sink.refuse = 100
    world.clock.day(date(2025, 11, 3))
    world.catch_up()
    for _ in range(3):  # reminders_max_attempts = 3 in these tests
        reminders.run_once()
        world.clock.advance(timedelta(hours=1))
    failed = reminders.ledger.with_status("failed")
    assert {d.name for d in failed} == {"Ann Appraisee", "Bob Appraiser"}
    assert all(d.attempts == 3 and "451" in (d.last_error or "") for d in failed)
    assert world.smtp.messages == []
    world.smtp.sink.refuse = 0
    assert reminders.ledger.retry(world.clock()) == 2
    assert reminders.run_once().sent == 2


def test_unsubscribing_stops_optional_reminders_but_not_chases_after_the_deadline(
    world: World,
) -> None:
    first = {str(msg["To"]): msg for msg in world.run(date(2025, 10, 17))}
    token = str(first[ANN]["List-Unsubscribe"]).split("token=")[1].rstrip(">")
    from reminders.tokens import read_unsubscribe_token

    secret = world.container.settings.unsubscribe_secret.get_secret_value()
    assert read_unsubscribe_token(secret, token) == (world.org.appraisee_id, world.org.trust_id)
    world.execute(
        m.ChangeReminderPreference(
            staff_id=world.org.appraisee_id, optional_reminders=False, via="unsubscribe link"
        ),
        world.org.appraisee,
    )
    assert recipients(world.run(date(2025, 10, 28))) == [BOB]
    assert recipients(world.run(date(2025, 11, 3))) == [ANN, BOB]


def test_a_weekly_digest_gathers_optional_reminders_for_the_digest_day(world: World) -> None:
    world.execute(
        m.ChangeReminderPreference(staff_id=world.org.appraisee_id, frequency=Frequency.DIGEST),
        world.org.appraisee,
    )
    # 17 October 2025 is a Friday; the default digest day is Monday.
    assert recipients(world.run(date(2025, 10, 17))) == [BOB]
    assert world.run(date(2025, 10, 18)) == []
    digest = world.run(date(2025, 10, 20))
    assert recipients(digest) == [ANN]
    assert subject(digest[0]) == "Your weekly appraisal digest: 1 to do"


def test_nothing_is_sent_in_a_quiet_period_and_what_fell_due_goes_after_it(world: World) -> None:
    half_term = QuietPeriod(name="Half term", start=date(2025, 10, 27), end=date(2025, 10, 31))
    world.execute(
        m.ChangeReminderPolicy(
            trust_id=world.org.trust_id,
            policy=DEFAULT_POLICY.model_copy(update={"quiet_periods": (half_term,)}),
            reason="Half term",
        ),
        world.org.admin,
    )
    assert recipients(world.run(date(2025, 10, 17))) == [ANN, BOB]
    for day in days(date(2025, 10, 27), date(2025, 10, 31)):
        assert world.run(day) == [], day
    # The step of the 28th is still current on the 1st: it goes then, once.
    assert recipients(world.run(date(2025, 11, 1))) == [ANN, BOB]
    assert world.run(date(2025, 11, 2)) == []


def test_a_leaders_chase_goes_at_once_to_whoever_has_to_act(world: World) -> None:
    world.clock.day(date(2025, 10, 6))
    world.execute(
        m.ChaseReview(
            review_id=world.org.review_id,
            milestone=Milestone.OBJECTIVES_AGREED,
            note="Please book the planning meeting",
        ),
        world.org.school_leader,
    )
    report = world.container.reminders.send_chases()
    assert report.sent == 2
    mails = world.smtp.take()
    assert recipients(mails) == [ANN, BOB]
    assert "Please book the planning meeting" in body(mails[0])
    assert subject(mails[0]).startswith("Chased: agree objectives")
    assert world.container.reminders.send_chases().sent == 0


def test_a_ledger_on_sqlite_records_and_sends_each_reminder_once(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    world = make_world(f"sqlite:///{tmp_path}/reminders.db", smtp, date(2025, 10, 1))
    try:
        assert recipients(world.run(date(2025, 11, 10))) == [ANN, BOB, LEE]
        assert world.run(date(2025, 11, 10)) == []
        assert isinstance(world.container.reminders.ledger, Ledger)
        assert world.container.reminders.ledger.counts() == {"sent": 3}
    finally:
        world.container.close()
