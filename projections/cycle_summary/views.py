"""What the summary queries return: a cycle's metrics for one school or a whole trust."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleMetrics:
    """Counts for one school (or trust) in one cycle, each where the thing happened."""

    cycle_name: str | None
    objective_setting_deadline: date | None
    mid_year_deadline: date | None
    end_year_deadline: date | None
    staff_in_cycle: int
    planning_done: int
    mid_year_done: int
    end_year_done: int
    reports_issued: int
    reviews_complete: int
    appeals: int
    pending_planning: int
    pending_mid_year: int
    pending_report: int
    objectives_set: int
    objectives_agreed: int
    objectives_without_agreement: int
    objectives_withdrawn: int
    judgement_exceeds: int
    judgement_meets: int
    judgement_partially_meets: int
    judgement_does_not_meet: int
    outcome_met: int
    outcome_partially_met: int
    outcome_not_met: int
    priorities_applicable: int
    priorities_covered: int

    def overdue(self, today: date) -> dict[str, int]:
        """Reviews late on ``today``: milestones still pending after their deadline."""

        def late(pending: int, deadline: date | None) -> int:
            return pending if deadline is not None and today > deadline else 0

        return {
            "objectives": late(self.pending_planning, self.objective_setting_deadline),
            "mid_year": late(self.pending_mid_year, self.mid_year_deadline),
            "report": late(self.pending_report, self.end_year_deadline),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SchoolCycleSummaryView(CycleMetrics):
    school_id: UUID
    cycle_id: UUID
    trust_id: UUID
    school_name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustCycleSummaryView(CycleMetrics):
    """Trust totals (each person and objective once) and its schools side by side."""

    trust_id: UUID
    cycle_id: UUID
    schools_count: int
    schools: list[SchoolCycleSummaryView] = field(default_factory=list)
