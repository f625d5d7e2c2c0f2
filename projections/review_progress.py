"""How far a review has got: the one fold of review events every read model derives from.

``review_status`` (its stage, sign-offs, moderation, appeal) and the cycle summaries (planning
done, reported, complete) each used to recompute these from the events with their own
handlers, and each missed a different way a review reopens. Now both hold a
``ReviewProgress`` and ask it; the consistency oracle (``replay.consistency``) checks it against
the Review aggregate's own ``evolve``. Values are JSON-ready (ISO dates, plain strings), so a
read model can keep the progress in its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from events.review import (
    AppealDecided,
    AppealLodged,
    AppraiseeCommented,
    AssessmentWritten,
    MeetingRecorded,
    Moderated,
    ReportIssued,
    ReviewReopened,
    SelfAssessmentSubmitted,
    SignedOff,
)
from events.values import AppealOutcome, MeetingKind, ModerationOutcome, Signatory

# The review events that change progress (AppraiserChanged and the objective links do not).
ProgressEvent = (
    MeetingRecorded
    | SelfAssessmentSubmitted
    | AssessmentWritten
    | ReportIssued
    | AppraiseeCommented
    | SignedOff
    | Moderated
    | AppealLodged
    | AppealDecided
    | ReviewReopened
)
PROGRESS_EVENTS: tuple[type[ProgressEvent], ...] = (
    MeetingRecorded,
    SelfAssessmentSubmitted,
    AssessmentWritten,
    ReportIssued,
    AppraiseeCommented,
    SignedOff,
    Moderated,
    AppealLodged,
    AppealDecided,
    ReviewReopened,
)


@dataclass(frozen=True, slots=True)
class ReviewProgress:
    planning_on: str | None = None
    mid_year_on: str | None = None
    end_year_on: str | None = None
    self_assessment_submitted: bool = False
    overall: str | None = None
    # The current report: None before it is issued and again once the review is reopened.
    report_issued_on: str | None = None
    appraisee_commented: bool = False
    signed_by_appraisee: bool = False
    signed_by_appraiser: bool = False
    moderation: str | None = None
    appeal: str | None = None  # lodged, upheld, dismissed
    reopened: int = 0  # how many times the review has been reopened, however it happened

    def apply(self, e: ProgressEvent) -> ReviewProgress:
        match e:
            case MeetingRecorded():
                on = e.held_on.isoformat()
                match e.kind:
                    case MeetingKind.PLANNING:
                        return replace(self, planning_on=on)
                    case MeetingKind.MID_YEAR:
                        return replace(self, mid_year_on=on)
                    case MeetingKind.END_YEAR:
                        return replace(self, end_year_on=on)
            case SelfAssessmentSubmitted():
                return replace(self, self_assessment_submitted=True)
            case AssessmentWritten():
                return replace(self, overall=e.overall.value)
            case ReportIssued():
                return replace(
                    self,
                    report_issued_on=e.issued_on.isoformat(),
                    appraisee_commented=False,
                    signed_by_appraisee=False,
                    signed_by_appraiser=False,
                    moderation=None,
                )
            case AppraiseeCommented():
                return replace(self, appraisee_commented=True)
            case SignedOff():
                if e.by is Signatory.APPRAISEE:
                    return replace(self, signed_by_appraisee=True)
                return replace(self, signed_by_appraiser=True)
            case Moderated():
                if e.outcome is ModerationOutcome.REFERRED_BACK:
                    return replace(self._reopen(), moderation=e.outcome.value)
                return replace(self, moderation=e.outcome.value)
            case AppealLodged():
                return replace(self, appeal="lodged")
            case AppealDecided():
                if e.outcome is AppealOutcome.UPHELD:
                    return replace(self._reopen(), appeal="upheld")
                return replace(self, appeal="dismissed")
            case ReviewReopened():
                return self._reopen()

    def _reopen(self) -> ReviewProgress:
        # Every way of reopening does the same (the aggregate's ``_reopen`` mirrors this).
        return replace(
            self,
            report_issued_on=None,
            appraisee_commented=False,
            signed_by_appraisee=False,
            signed_by_appraiser=False,
            moderation=None,
            reopened=self.reopened + 1,
        )

    @property
    def awaiting_reissue(self) -> bool:
        """Reopened, and the report not issued again yet."""
        return self.reopened > 0 and self.report_issued_on is None

    @property
    def signed_off(self) -> bool:
        return self.signed_by_appraisee and self.signed_by_appraiser

    @property
    def complete(self) -> bool:
        """The current report is issued and signed by both."""
        return self.report_issued_on is not None and self.signed_off

    @property
    def stage(self) -> str:
        if self.appeal == "lodged":
            return "in_appeal"
        if self.report_issued_on is not None:
            if self.moderation:
                return "moderated"
            return "signed_off" if self.signed_off else "reported"
        if self.awaiting_reissue:
            return "reopened"
        if self.overall:
            return "assessed"
        if self.end_year_on:
            return "end_year"
        if self.mid_year_on:
            return "mid_year"
        return "planned" if self.planning_on else "started"

    def as_dict(self) -> dict[str, Any]:
        # Every field is a plain value: no deep copy (``asdict``'s was a third of a rebuild's
        # review lane).
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewProgress:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


_FIELDS = tuple(f.name for f in fields(ReviewProgress))
