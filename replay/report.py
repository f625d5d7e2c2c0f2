"""The written appraisal report as a document: a printable HTML page and a PDF (WeasyPrint).

Built from the ledger itself (the review's events and its objectives', folded with the
aggregates' own ``evolve``), never from a read model that might lag, so a report names the
exact log position it shows: the footer gives the review's last event (position, version and
stored-record hash) and the head of the log when it was rendered. Anyone can check a printed
report later against ``GET /v1/audit/aggregates/{review}?version=N`` (same hash) or
``appraisals audit verify``.

This module decides nothing about who may read a report: callers check the read policy first
(``commands.read_policy.may_read_record`` on the review's scope), as the dashboard does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from projections.directory import Names
from projections.engine.core import EventLog
from projections.engine.db import Database
from replay.aggregates import Recorder, UnknownAggregate, fold, history
from replay.timeline import TimelineEntry, review_timeline

_HERE = Path(__file__).parent
_TEMPLATES = Environment(
    loader=FileSystemLoader(str(_HERE / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class Signed:
    """Who did a thing, their name when they did it, and when."""

    person_id: UUID | None
    name: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportObjective:
    objective_id: UUID
    title: str
    description: str
    success_criteria: tuple[str, ...]
    standards: tuple[str, ...]
    priority: str | None
    due_date: date
    status: str
    progress: int
    disagreement: str | None
    outcome: str | None
    outcome_comment: str | None
    # The appraiser's note on this objective in the end-of-year assessment.
    assessment_note: str | None


@dataclass(frozen=True, slots=True)
class Meeting:
    kind: str
    held_on: date
    notes: str
    recorded: Signed


@dataclass(frozen=True, slots=True)
class Assessment:
    overall: str
    overall_level: str | None
    summary: str
    development_needs: tuple[str, ...]
    support: str
    written: Signed


@dataclass(frozen=True, slots=True)
class Decision:
    """A moderation, an appeal's grounds or its decision: what, the note, who and when."""

    outcome: str
    note: str
    signed: Signed


@dataclass(frozen=True, slots=True)
class WrittenReport:
    review_id: UUID
    trust: str
    school: str
    cycle: str
    appraisee: str
    appraiser: str
    objectives: list[ReportObjective]
    meetings: list[Meeting]
    self_assessment: tuple[str, Signed] | None
    assessment: Assessment | None
    issued_on: date | None
    comments: list[tuple[str, Signed]]
    signatures: dict[str, Signed]
    moderation: Decision | None
    appeal: Decision | None
    appeal_decision: Decision | None
    reopened: list[Decision] = field(default_factory=list)
    # Sign-offs of the report before a reopening: (as whom, who and when, reopened when).
    earlier_signatures: list[tuple[str, Signed, datetime]] = field(default_factory=list)
    # Where in the ledger this report was read: checkable later.
    review_version: int = 0
    review_position: int = 0
    review_record_hash: str = ""
    last_position: int = 0
    log_head: int = 0
    rendered_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class ReportNotFound(LookupError):
    """No review with that id in the ledger."""


def build_report(
    db: Database, recorder: Recorder, review_id: UUID, *, upto: int | None = None
) -> WrittenReport:
    """The review's written report as the ledger holds it now, or as it stood at log position
    ``upto`` (a proof pack's checkpoint); raises ``ReportNotFound``."""
    with db.transaction(write=False) as tx:
        head = EventLog().head(tx)
    if upto is not None:
        head = min(head, upto)
    entries = [e for e in review_timeline(db, review_id) if e.position <= head]
    if not entries:
        raise ReportNotFound(str(review_id))
    own = [e for e in entries if e.aggregate_type == "review"]
    started = own[0].data
    review_history = history(recorder, review_id, upto=own[-1].version)
    names = Names(db).now(
        {
            started["trust_id"],
            started["school_id"],
            started["cycle_id"],
            started["appraisee_id"],
            started["appraiser_id"],
        }
    )

    def named(key: str) -> str:
        value = str(started[key])
        return names.get(value, value)

    appraiser = named("appraiser_id")
    for e in own:
        if e.event_type == "AppraiserChanged":
            appraiser = (
                Names(db)
                .now({e.data["appraiser_id"]})
                .get(str(e.data["appraiser_id"]), str(e.data["appraiser_id"]))
            )
    report = _Builder(db, recorder, entries).build()
    last = review_history[-1]
    return WrittenReport(
        review_id=review_id,
        trust=named("trust_id"),
        school=named("school_id"),
        cycle=named("cycle_id"),
        appraisee=named("appraisee_id"),
        appraiser=appraiser,
        **report,
        review_version=last.event.originator_version,
        review_position=own[-1].position,
        review_record_hash=last.record_hash,
        last_position=entries[-1].position,
        log_head=head,
    )


def _signed(e: TimelineEntry) -> Signed:
    role = (e.actor_role or "person").replace("_", " ")
    return Signed(e.actor_id, e.actor_name or f"a {role} not in the directory", e.timestamp)


class _Builder:
    """Walks the timeline once, oldest first; the latest of each kind of event stands."""

    def __init__(self, db: Database, recorder: Recorder, entries: list[TimelineEntry]) -> None:
        self.db = db
        self.recorder = recorder
        self.entries = entries

    def build(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "meetings": [],
            "self_assessment": None,
            "assessment": None,
            "issued_on": None,
            "comments": [],
            "signatures": {},
            "moderation": None,
            "appeal": None,
            "appeal_decision": None,
            "reopened": [],
            "earlier_signatures": [],
        }
        assessed: dict[str, tuple[str, str]] = {}
        notes: dict[str, str] = {}
        versions: dict[UUID, int] = {}
        for e in self.entries:
            d = e.data
            if e.aggregate_type == "objective":
                versions[e.aggregate_id] = e.version
                if e.event_type == "ObjectiveAssessed":
                    outcome = d.get("outcome") or d.get("level") or "assessed"
                    assessed[str(e.aggregate_id)] = (str(outcome), str(d.get("comment", "")))
                continue
            match e.event_type:
                case "MeetingRecorded":
                    out["meetings"].append(
                        Meeting(
                            str(d["kind"]), date.fromisoformat(d["held_on"]), d["notes"], _signed(e)
                        )
                    )
                case "SelfAssessmentSubmitted":
                    out["self_assessment"] = (d["text"], _signed(e))
                case "AssessmentWritten":
                    notes = {str(n["objective_id"]): n["note"] for n in d["objective_notes"]}
                    out["assessment"] = Assessment(
                        overall=str(d.get("overall") or d.get("overall_level") or ""),
                        overall_level=d.get("overall_level"),
                        summary=d["summary"],
                        development_needs=tuple(d["development_needs"]),
                        support=d.get("support", ""),
                        written=_signed(e),
                    )
                case "ReportIssued":
                    out["issued_on"] = date.fromisoformat(d["issued_on"])
                case "AppraiseeCommented":
                    out["comments"].append((d["comment"], _signed(e)))
                case "SignedOff":
                    out["signatures"][str(d["by"])] = _signed(e)
                case "Moderated":
                    out["moderation"] = Decision(str(d["outcome"]), d["note"], _signed(e))
                    if d["outcome"] == "referred_back":
                        _reopen(out, e)
                case "AppealLodged":
                    out["appeal"] = Decision("lodged", d["grounds"], _signed(e))
                    out["appeal_decision"] = None
                case "AppealDecided":
                    out["appeal_decision"] = Decision(str(d["outcome"]), d["note"], _signed(e))
                    if d["outcome"] == "upheld":
                        _reopen(out, e)
                case "ReviewReopened":
                    out["reopened"].append(Decision("reopened", d["reason"], _signed(e)))
                    _reopen(out, e)
        out["objectives"] = self._objectives(versions, assessed, notes)
        return out

    def _objectives(
        self,
        versions: dict[UUID, int],
        assessed: dict[str, tuple[str, str]],
        notes: dict[str, str],
    ) -> list[ReportObjective]:
        folded = []
        for objective_id, version in versions.items():
            try:
                state = fold(objective_id, history(self.recorder, objective_id, upto=version))
            except UnknownAggregate:
                continue
            folded.append(state.raw_state)
        priorities = Names(self.db).now(
            {str(o.content.priority_id) for o in folded if o.content.priority_id}
        )
        out = []
        for o in folded:
            if str(o.status) == "withdrawn":
                continue
            c = o.content
            outcome = assessed.get(str(o.id))
            out.append(
                ReportObjective(
                    objective_id=o.id,
                    title=c.title,
                    description=c.description,
                    success_criteria=tuple(c.success_criteria),
                    standards=tuple(c.standards),
                    priority=priorities.get(str(c.priority_id)) if c.priority_id else None,
                    due_date=c.due_date,
                    status=str(o.status),
                    progress=o.progress,
                    disagreement=o.disagreement,
                    outcome=outcome[0] if outcome else None,
                    outcome_comment=outcome[1] if outcome else None,
                    assessment_note=notes.get(str(o.id)),
                )
            )
        return out


def _reopen(out: dict[str, Any], e: TimelineEntry) -> None:
    """As every reopening does to the review (an upheld appeal, a referral back, by hand): its
    sign-offs no longer stand. The report keeps them, listed as earlier."""
    out["earlier_signatures"] += [(by, s, e.timestamp) for by, s in out["signatures"].items()]
    out["signatures"] = {}


def words(value: object) -> str:
    """``partially_meets`` → ``partially meets``."""
    return str(value).replace("_", " ")


def when(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%-d %B %Y, %H:%M UTC")
    return value.strftime("%-d %B %Y")


_TEMPLATES.filters["words"] = words
_TEMPLATES.filters["when"] = when


def report_css() -> str:
    """The report's stylesheet (screen, browser print and PDF)."""
    return (_HERE / "templates" / "report.css").read_text(encoding="utf-8")


def render_report_body(report: WrittenReport) -> Markup:
    """The report's content (an ``<article>``), for a page that frames it."""
    return Markup(_TEMPLATES.get_template("report_body.html").render(report=report))


def render_report_html(report: WrittenReport) -> str:
    """The report as a whole, standalone HTML document (what the PDF is printed from)."""
    return _TEMPLATES.get_template("report.html").render(
        report=report, body=render_report_body(report)
    )


def render_report_pdf(report: WrittenReport) -> bytes:
    """The report as a PDF (A4), printed by WeasyPrint from ``render_report_html``."""
    # Imported here: WeasyPrint loads Pango when imported, which only the PDF needs.
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_report_html(report)).write_pdf()
    return pdf
