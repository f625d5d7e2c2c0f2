"""Every read model of DESIGN.md section 5, and the engine over all of them.

The engine (``projections.engine``) knows no read model; this module is where they meet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from projections.access import Access
from projections.audit_log import AuditLog
from projections.cpd_log import CpdLog
from projections.cycle_closings import CycleClosings
from projections.cycle_summary.school import SchoolCycleSummary
from projections.cycle_summary.trust import TrustCycleSummary
from projections.directory import Directory
from projections.engine.core import EVENTS_TABLE, Member, Projection
from projections.engine.db import Database
from projections.engine.service import Projections
from projections.event_index import EventIndex
from projections.evidence_list import EvidenceList
from projections.framework_view import FrameworkView
from projections.objective_current import ObjectiveCurrent
from projections.objective_revisions import ObjectiveRevisions
from projections.observation_log import ObservationLog
from projections.pay_recommendations import PayRecommendations
from projections.personal_seals import PersonalSeals
from projections.reminder_context import ReminderContext
from projections.review_status import ReviewStatus


def all_projections() -> list[Projection]:
    """A fresh instance of every read model, in the order status reports them."""
    return [
        ObjectiveCurrent(),
        ObjectiveRevisions(),
        ReviewStatus(),
        SchoolCycleSummary(),
        TrustCycleSummary(),
        AuditLog(),
        EventIndex(),
        CpdLog(),
        EvidenceList(),
        ObservationLog(),
        PayRecommendations(),
        FrameworkView(),
        Access(),
        Directory(),
        ReminderContext(),
        CycleClosings(),
        PersonalSeals(),
    ]


def read_models(
    database: str | Database,
    *,
    page_size: int = 1000,
    rebuild_page_size: int = 50_000,
    events_table: str = EVENTS_TABLE,
    before_commit: Callable[[Sequence[Member], int], None] | None = None,
) -> Projections:
    """The engine over every read model (the options as for ``Projections``)."""
    return Projections(
        database,
        projections=all_projections(),
        page_size=page_size,
        rebuild_page_size=rebuild_page_size,
        events_table=events_table,
        before_commit=before_commit,
    )
