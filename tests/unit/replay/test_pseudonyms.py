"""Analysts' input: a person's names never reach them, in any staff event."""

from __future__ import annotations

from events import cycle, review, staff, trust
from replay.pseudonyms import Pseudonymiser


def test_a_change_of_name_reaches_analysts_without_either_name() -> None:
    p = Pseudonymiser(b"key")
    out = p.data(
        staff.StaffRenamed,
        {
            "old_name": "Ann Lee",
            "new_name": "Ann Shah",
            "preferred_name": "Annie",
            "reason": "Married",
        },
    )
    assert out == {"old_name": None, "new_name": None, "preferred_name": None, "reason": None}


def test_a_school_keeps_its_old_and_new_names() -> None:
    p = Pseudonymiser(b"key")
    out = p.data(
        trust.SchoolRenamed, {"school_id": "s", "old_name": "Oak", "new_name": "Oak Academy"}
    )
    assert out["old_name"] == "Oak" and out["new_name"] == "Oak Academy"


def test_a_registration_reaches_analysts_without_name_preferred_name_or_email() -> None:
    p = Pseudonymiser(b"key")
    out = p.data(
        staff.StaffRegistered,
        {"name": "Ann Lee", "preferred_name": "Annie", "email": "a@x.org", "job_title": "Teacher"},
    )
    assert out["name"] is None and out["preferred_name"] is None and out["email"] is None
    assert out["job_title"] == "Teacher"


def test_names_nested_in_a_panel_or_a_cycles_close_are_withheld_too() -> None:
    p = Pseudonymiser(b"key")
    panel = p.data(
        review.PanelAppointed,
        {
            "panel": [{"governor_id": "g1", "name": "Gill Gov"}],
            "adviser": {"name": "Ed Adviser", "organisation": "Advisers Ltd"},
        },
    )
    assert panel["panel"] == [{"governor_id": p("g1"), "name": None}]
    assert panel["adviser"] == {"name": None, "organisation": "Advisers Ltd"}
    closed = p.data(
        cycle.CycleClosed,
        {
            "reason": "Leave",
            "unfinished": [
                {
                    "review_id": "r1",
                    "school_id": "s1",
                    "appraisee_id": "a1",
                    "appraisee_name": "Ann Lee",
                    "left_at": "no objectives",
                }
            ],
        },
    )
    assert closed["reason"] is None
    assert closed["unfinished"] == [
        {
            "review_id": p("r1"),
            "school_id": "s1",
            "appraisee_id": p("a1"),
            "appraisee_name": None,
            "left_at": "no objectives",
        }
    ]


def test_a_governors_name_is_withheld_but_a_cycles_is_not() -> None:
    p = Pseudonymiser(b"key")
    assert p.data(trust.GovernorAppointed, {"name": "Gill Gov"})["name"] is None
    assert p.data(cycle.CycleScheduled, {"name": "2026-27"})["name"] == "2026-27"
