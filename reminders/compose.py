"""Writing a person's reminder mail: plain text and HTML from templates, with its headers.

One mail per person per delivery run lists everything due for them (a weekly digest is the
same mail on the digest day). Optional reminders carry a signed unsubscribe link, also as
RFC 8058 one-click ``List-Unsubscribe`` headers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from events.reminders import Milestone
from reminders.ledger import Delivery
from reminders.tokens import unsubscribe_token

WHAT = {
    Milestone.OBJECTIVES_AGREED: "agree objectives",
    Milestone.MID_YEAR_REVIEW: "hold the mid-year review",
    Milestone.END_YEAR_REVIEW: "hold the end-of-year review",
    Milestone.REPORT_ISSUED: "issue the appraisal report",
    Milestone.SIGN_OFF: "sign off the appraisal report",
    Milestone.MODERATION: "moderate the appraisal report",
    Milestone.APPEAL_DECISION: "decide the appeal",
}

_env = Environment(
    loader=PackageLoader("reminders", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a mail: what is due, for whose review, by when, and where to do it."""

    what: str
    whose: str
    deadline: date
    days: int
    link: str
    chase: bool
    note: str
    role: str

    @property
    def when(self) -> str:
        if self.days > 0:
            return f"due in {self.days} day{'s' if self.days != 1 else ''}"
        if self.days == 0:
            return "due today"
        late = -self.days
        return f"overdue by {late} day{'s' if late != 1 else ''}"


@dataclass(frozen=True)
class Branding:
    sender: str
    public_url: str
    unsubscribe_secret: str


def message_id(deliveries: Sequence[Delivery]) -> str:
    """The same Message-ID for the same reminders, so a resend after a crash is recognisable."""
    digest = hashlib.sha256("|".join(sorted(d.id for d in deliveries)).encode()).hexdigest()
    return f"<{digest[:40]}@appraisal-ledger>"


def compose(deliveries: Sequence[Delivery], today: date, brand: Branding) -> EmailMessage:
    """The mail for one person's reminders (all to the same person)."""
    first = deliveries[0]
    base = brand.public_url.rstrip("/")
    items = [
        Item(
            what=WHAT[d.milestone],
            whose=_whose(d),
            deadline=d.deadline,
            days=(d.deadline - today).days,
            link=f"{base}/reviews/{d.review_id}",
            chase=d.step.startswith("chase-"),
            note=d.note,
            role=" and ".join(r.replace("_", " ") for r in d.roles),
        )
        for d in sorted(deliveries, key=lambda d: (d.deadline, d.id))
    ]
    optional = any(d.optional for d in deliveries)
    unsubscribe = None
    if optional:
        token = unsubscribe_token(brand.unsubscribe_secret, first.person_id, first.trust_id)
        unsubscribe = f"{base}/reminders/unsubscribe?token={token}"
    digest = all(d.digest for d in deliveries)
    context = {
        "name": first.name,
        "items": items,
        "digest": digest,
        "unsubscribe": unsubscribe,
        "preferences": f"{base}/home",
    }
    msg = EmailMessage()
    msg["Subject"] = _subject(items, digest)
    msg["From"] = brand.sender
    msg["To"] = formataddr((first.name, first.email))
    msg["Message-ID"] = message_id(deliveries)
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe is not None:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(_env.get_template("reminder.txt").render(context))
    msg.add_alternative(_env.get_template("reminder.html").render(context), subtype="html")
    return msg


def _whose(d: Delivery) -> str:
    if d.person_id == d.appraisee_id:
        return "your appraisal"
    return f"{d.appraisee_name}'s appraisal" if d.appraisee_name else "an appraisal"


def _subject(items: Sequence[Item], digest: bool) -> str:
    if digest:
        return f"Your weekly appraisal digest: {len(items)} to do"
    if len(items) == 1:
        item = items[0]
        prefix = "Chased" if item.chase else ("Overdue" if item.days < 0 else "Reminder")
        return f"{prefix}: {item.what} for {item.whose} by {item.deadline:%-d %B %Y}"
    late = sum(1 for i in items if i.days < 0)
    tail = f" ({late} overdue)" if late else ""
    return f"Appraisal reminders: {len(items)} things to do{tail}"
