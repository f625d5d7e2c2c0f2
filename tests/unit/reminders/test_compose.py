"""A reminder mail: names, what is due, by when, the link; unsubscribe only when optional."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from events.reminders import Milestone
from reminders.compose import Branding, compose, message_id
from reminders.ledger import Delivery
from reminders.tokens import BadToken, read_unsubscribe_token

ANN = UUID("80000000-0000-4000-8000-0000000000a1")
BOB = UUID("80000000-0000-4000-8000-0000000000b0")
TRUST = UUID("80000000-0000-4000-8000-000000000001")
BRAND = Branding("Oak <appraisals@oak.example>", "https://oak.example/", "k" * 40)


def delivery(step: str, *, optional: bool, person: UUID = BOB) -> Delivery:
    now = datetime(2026, 3, 20, tzinfo=UTC)
    return Delivery(
        id=f"{person}:r:{step}",
        trust_id=TRUST,
        person_id=person,
        review_id=UUID(int=9),
        milestone=Milestone.MID_YEAR_REVIEW,
        step=step,
        roles=("appraiser", "line_manager"),
        email="bob@oak.example",
        name="Bob Appraiser",
        appraisee_id=ANN,
        appraisee_name="Ann Appraisee",
        deadline=date(2026, 3, 31),
        deliver_on=date(2026, 3, 20),
        optional=optional,
        digest=False,
        note="",
        status="pending",
        attempts=0,
        next_attempt_at=now,
        lease_owner=None,
        lease_until=None,
        last_error=None,
        sent_at=None,
        message_id=None,
        created_at=now,
    )


def test_a_reminder_names_the_person_what_is_due_by_when_and_links_the_review() -> None:
    msg = compose([delivery("-14", optional=True)], date(2026, 3, 17), BRAND)
    assert msg["Subject"] == (
        "Reminder: hold the mid-year review for Ann Appraisee's appraisal by 31 March 2026"
    )
    assert msg["To"] == "Bob Appraiser <bob@oak.example>"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Dear Bob Appraiser" in text
    assert "due in 14 days" in text
    assert "as the appraiser and line manager" in text
    assert f"https://oak.example/reviews/{UUID(int=9)}" in text
    unsubscribe = str(msg["List-Unsubscribe"]).strip("<>")
    token = unsubscribe.split("token=")[1]
    assert read_unsubscribe_token("k" * 40, token) == (BOB, TRUST)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_chase_after_the_deadline_has_no_unsubscribe_link() -> None:
    msg = compose([delivery("+3", optional=False)], date(2026, 4, 3), BRAND)
    assert msg["Subject"].startswith("Overdue:")
    assert "List-Unsubscribe" not in msg
    assert "overdue by 3 days" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_the_same_reminders_always_get_the_same_message_id() -> None:
    a, b = delivery("-14", optional=True), delivery("+3", optional=False)
    assert message_id([a, b]) == message_id([b, a])
    assert message_id([a]) != message_id([b])


def test_a_changed_unsubscribe_token_is_refused() -> None:
    msg = compose([delivery("-14", optional=True)], date(2026, 3, 17), BRAND)
    token = str(msg["List-Unsubscribe"]).strip("<>").split("token=")[1]
    with pytest.raises(BadToken):
        read_unsubscribe_token("k" * 40, token[:-2] + "xx")
    with pytest.raises(BadToken):
        read_unsubscribe_token("another key, just as long as the first one", token)
