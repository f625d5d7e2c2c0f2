"""Facts about events: declared on the classes, and read the same way by everyone."""

from __future__ import annotations

import pytest

from events import cycle, facts, objective, review, staff, trust
from events.base import registered_topics
from projections.audit_log import _SUMMARIES


@pytest.mark.parametrize("cls", [cls for _, cls in sorted(registered_topics().items())])
def test_every_event_declares_facts_only_about_fields_it_has(cls: type) -> None:
    facts.facts_of(cls)  # raises TypeError naming an undeclared field
    fields = set(cls.model_fields)  # type: ignore[attr-defined]
    for name in _template_fields(facts.audit_summary(cls)):
        assert name in fields or name == "fields", (cls.__name__, name)


def _template_fields(template: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def test_personal_data_and_free_text_are_public_per_event() -> None:
    assert facts.personal_fields(staff.StaffRegistered) == {"name", "preferred_name", "email"}
    assert facts.free_text_fields(objective.ProgressRecorded) == {"note", "evidence"}
    assert facts.personal_fields(objective.ProgressRecorded) == frozenset()
    assert facts.facts_of(review.PanelAppointed).paths("personal") == [
        ("adviser", "name"),
        ("panel", "name"),
    ]
    assert ("unfinished", "appraisee_name") in facts.facts_of(cycle.CycleClosed).paths()


def test_the_audit_log_reads_its_templates_from_the_events() -> None:
    assert _SUMMARIES["SchoolRenamed"] == trust.SchoolRenamed.audit_summary
    assert facts.audit_summary(cycle.CycleOpened) == "Cycle opened"
    assert set(_SUMMARIES) == {t.removeprefix("appraisals/") for t in registered_topics()}


def test_a_declaration_about_a_missing_field_is_refused() -> None:
    class Broken(objective.ObjectiveWithdrawn):
        personal = frozenset({"nickname"})

    with pytest.raises(TypeError, match="nickname"):
        facts.facts_of(Broken)
