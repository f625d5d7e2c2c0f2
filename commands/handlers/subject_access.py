"""Handler for subject access: recording that an export of a person was produced."""

from __future__ import annotations

from aggregates import staff
from commands import messages as m
from commands.handling import STAFF, Handling, Outcome
from commands.policy import Scope


def record_subject_access_export(cmd: m.RecordSubjectAccessExport, h: Handling) -> Outcome:
    member = h.target(STAFF, cmd.person_id)
    h.authorise(cmd, Scope(trust_id=member.trust_id))
    events = staff.record_subject_access_export(
        member,
        format=cmd.format,
        up_to_position=cmd.up_to_position,
        counts=(cmd.event_count, cmd.row_count, cmd.file_count),
        sha256=cmd.sha256,
        ctx=h.ctx,
    )
    return Outcome(member.id, events)
