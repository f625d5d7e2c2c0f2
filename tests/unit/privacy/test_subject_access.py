"""Redaction rules of a subject access export, read from the events' own declarations."""

from __future__ import annotations

from uuid import uuid4

from commands.principal import Principal
from commands.read_policy import may_export_subject_access
from events.base import Role
from events.cycle import CycleClosed, CycleReopened
from events.objective import ObjectiveAssessed, ObjectiveDrafted
from events.staff import LineManagerChanged
from events.trust import GovernorAppointed
from privacy.subject_access import ExportedEvent, readable, redact, summary_line

ME, COLLEAGUE = str(uuid4()), str(uuid4())


def test_own_records_are_kept_whole_colleagues_words_included() -> None:
    body = {"outcome": "met", "comment": "Strong work, well evidenced", "by_id": COLLEAGUE}
    assert redact(ObjectiveAssessed, body, "own", actor=False) == (body, ())


def test_on_another_persons_record_only_the_step_and_the_people_named_are_kept() -> None:
    body = {
        "review_id": str(uuid4()),
        "appraisee_id": COLLEAGUE,
        "title": "Raise attainment in Year 6 reading",
        "description": "Their own objective",
        "success_criteria": ["80% at expected"],
        "due_date": "2026-06-30",
        "priority_id": None,
    }
    kept, withheld = redact(ObjectiveDrafted, body, "other", actor=True)
    assert kept == {
        "review_id": body["review_id"],
        "appraisee_id": COLLEAGUE,
        "priority_id": None,
    }
    assert withheld == ("description", "due_date", "success_criteria", "title")


def test_judgements_on_another_persons_record_are_withheld_though_not_free_text() -> None:
    kept, withheld = redact(ObjectiveAssessed, {"outcome": "not_met"}, "other", actor=True)
    assert kept == {} and withheld == ("outcome",)


def test_organisation_records_lose_declared_free_text_unless_the_person_wrote_it() -> None:
    body = {"reason": "Reopened after the moderation of Mr Smith's reviews"}
    assert redact(CycleReopened, body, "organisation", actor=False) == ({}, ("reason",))
    assert redact(CycleReopened, body, "organisation", actor=True) == (body, ())


def test_of_a_nested_list_on_an_organisation_record_only_the_persons_entries_are_kept() -> None:
    mine = {
        "review_id": str(uuid4()),
        "school_id": str(uuid4()),
        "appraisee_id": ME,
        "appraisee_name": "Pat Jones",
        "left_at": "planning",
    }
    theirs = {**mine, "appraisee_id": COLLEAGUE, "appraisee_name": "Sam Smith"}
    body = {"unfinished": [mine, theirs]}
    kept, withheld = redact(CycleClosed, body, "organisation", actor=False, person=ME)
    assert kept == {"unfinished": [mine]}
    assert withheld == ("unfinished (other people's entries)",)


def test_personal_data_on_an_organisation_record_is_kept_only_when_it_is_theirs() -> None:
    body = {"governor_id": ME, "name": "Pat Jones", "school_id": None}
    assert redact(GovernorAppointed, body, "organisation", actor=False, person=ME) == (body, ())
    other = {**body, "governor_id": COLLEAGUE, "name": "Sam Smith"}
    kept, withheld = redact(GovernorAppointed, other, "organisation", actor=True, person=ME)
    assert "Sam Smith" not in str(kept) and withheld == ("name",)


def test_summaries_show_names_and_mark_what_is_withheld() -> None:
    event = ExportedEvent(
        position=1,
        timestamp="2025-01-01T00:00:00+00:00",
        record_id=COLLEAGUE,
        record_version=2,
        event_type="LineManagerChanged",
        record="other",
        relations=("named",),
        actor_id=None,
        actor_role=None,
        fields={"line_manager_id": ME},
        withheld=("reason",),
    )
    line = summary_line(event, LineManagerChanged.audit_summary, {ME: "Pat Jones"})
    assert line == "Line manager changed to Pat Jones: [withheld]"


def test_readable_values_never_show_an_id() -> None:
    text = readable(["a", f"see {ME} and {COLLEAGUE}"], {ME: "Pat Jones"})
    assert text == "a, see Pat Jones and an unnamed record"


def test_only_the_persons_own_trust_admins_may_export() -> None:
    trust, other = uuid4(), uuid4()
    assert may_export_subject_access(Principal(uuid4(), Role.ADMIN, trust_id=trust), trust)
    refused = [
        Principal(uuid4(), Role.ADMIN, trust_id=other),
        Principal(uuid4(), Role.ADMIN),  # the platform's, not the trust's
        Principal(uuid4(), Role.ADMIN, trust_id=trust, read_only=True),
        *(Principal(uuid4(), r, trust_id=trust) for r in Role if r is not Role.ADMIN),
    ]
    assert not any(may_export_subject_access(p, trust) for p in refused)
