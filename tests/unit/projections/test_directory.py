"""directory: people, schools, cycles and priorities with names, now and as they were then."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from events import staff as st
from events import trust as tr
from projections import directory
from projections.directory import Names, StaffFilter, display_name, named_text


def test_people_are_listed_by_display_name_with_their_school_and_manager(
    trust: Any, given: Any, project: Any
) -> None:
    given(st.LineManagerChanged, trust.appraisee, line_manager_id=trust.appraiser, reason="x")
    db = project().db
    people, after = directory.list_staff(db, StaffFilter(trust.trust_id), after=None, limit=10)
    assert [p.display_name for p in people] == ["Ada", "Ben"] and after is None
    ben = people[1]
    assert ben.school_id == trust.school_a and ben.line_manager_id == trust.appraiser
    assert ben.started_on == date(2025, 8, 1)


@pytest.mark.parametrize("narrow", [500, 0], ids=["by-id", "walking-the-list"])
def test_search_matches_the_start_of_any_word_of_the_name_or_the_email(
    trust: Any, project: Any, narrow: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both plans: a narrow word's matches looked up by id, broad words checked on a walk.
    monkeypatch.setattr(directory, "_NARROW", narrow)
    db = project().db

    def found(q: str) -> list[str]:
        f = StaffFilter(trust.trust_id, search=q)
        return [p.name for p in directory.list_staff(db, f, after=None, limit=10)[0]]

    assert found("be") == ["Ben"]
    assert found("ada@example") == ["Ada"]
    assert found("en") == []  # the middle of a word is not a match
    assert found("%") == []  # LIKE wildcards are literal
    assert found("ben ben@") == ["Ben"]  # every word must match
    assert found("ben ada") == []
    assert found("example") == ["Ada", "Ben"]


def test_filters_by_school_people_and_leavers(trust: Any, given: Any, project: Any) -> None:
    given(st.StaffLeft, trust.appraiser, effective_date=date(2026, 1, 1), reason="moved away")
    db = project().db

    def names(**kw: Any) -> list[str]:
        f = StaffFilter(trust.trust_id, **kw)
        return [p.name for p in directory.list_staff(db, f, after=None, limit=10)[0]]

    assert names(active=True) == ["Ben"]
    assert names(active=False) == ["Ada"]
    assert names(school_ids=frozenset({trust.school_b})) == []
    assert names(people=frozenset({trust.appraisee})) == ["Ben"]


def test_names_as_they_were_then_and_as_they_are_now(trust: Any, given: Any, project: Any) -> None:
    before = project().engine.head()
    given(
        st.StaffRenamed,
        trust.appraisee,
        old_name="Ben",
        new_name="Benjamin Stone",
        preferred_name="Ben",
        reason="full name",
    )
    given(
        tr.SchoolRenamed,
        trust.trust_id,
        school_id=trust.school_a,
        old_name="Alder Primary",
        new_name="Alder Academy",
        reason="converted",
    )
    db = project().db
    names = Names(db)
    now = names.now([trust.appraisee, trust.school_a, trust.cycle_id, trust.priority])
    assert now[str(trust.appraisee)] == "Ben Stone"
    assert now[str(trust.school_a)] == "Alder Academy"
    assert now[str(trust.cycle_id)] == "2025-26" and now[str(trust.priority)] == "Reading"
    then = names.then([trust.appraisee, trust.school_a], before)
    assert then[str(trust.appraisee)].name == "Ben"
    assert then[str(trust.appraisee)].school_id == trust.school_a
    assert then[str(trust.school_a)].name == "Alder Primary"
    text = f"Review started for {trust.appraisee}"
    assert named_text(text, {str(trust.appraisee): "Ben"}) == "Review started for Ben"


def test_schools_cycles_and_priorities_are_kept(trust: Any, project: Any) -> None:
    db = project().db
    assert [s.name for s in directory.schools(db, trust.trust_id)] == [
        "Alder Primary",
        "Birch Academy",
    ]
    cycle = directory.get_cycle(db, trust.cycle_id)
    assert cycle is not None and cycle.state == "open" and cycle.name == "2025-26"
    assert [p.title for p in directory.priorities(db, trust.trust_id)] == ["Reading"]


def test_a_display_name_is_the_name_they_go_by_with_their_surname() -> None:
    assert display_name("Katherine Jones", "Kate") == "Kate Jones"
    assert display_name("Katherine Jones", None) == "Katherine Jones"
    assert display_name("Katherine Jones", "Kate Jones") == "Kate Jones"
    assert display_name("Cher", "Cher") == "Cher"
