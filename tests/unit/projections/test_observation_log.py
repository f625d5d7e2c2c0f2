"""observation_log: observations and the standards focus, by school."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from events import observation as obs
from projections import observation_log


def observe(
    trust: Any, school: UUID, focus: tuple[str, ...], kind: str = "lesson_observation"
) -> UUID:
    oid = uuid4()
    trust.given(
        obs.ObservationRecorded,
        oid,
        actor=trust.appraiser,
        trust_id=trust.trust_id,
        school_id=school,
        cycle_id=trust.cycle_id,
        review_id=trust.review_id,
        observed_id=trust.appraisee,
        observer_id=trust.appraiser,
        kind=kind,
        held_on=date(2025, 9, 12),
        context="Year 4",
        focus_standards=focus,
        strengths="s",
        areas_to_develop="a",
    )
    return oid


def test_the_standards_focus_counts_each_headline_standard_once_per_observation_by_school(
    trust: Any, project: Any
) -> None:
    trust.start_review()
    first = observe(trust, trust.school_a, ("TS2", "TS2c", "TS5"))
    observe(trust, trust.school_a, ("TS5b",), "learning_walk")
    observe(trust, trust.school_b, ("TS7",))
    trust.given(obs.ObservationCommented, first, actor=trust.appraisee, comment="Thanks")
    db = project().db
    focus = observation_log.standards_focus(db, trust.trust_id, trust.cycle_id)
    by_school = {s.school: {c.standard: c.observations for c in s.standards} for s in focus.schools}
    assert by_school == {"Alder Primary": {"TS2": 1, "TS5": 2}, "Birch Academy": {"TS7": 1}}
    assert [(s.school, s.observations, s.learning_walks) for s in focus.schools] == [
        ("Alder Primary", 1, 1),
        ("Birch Academy", 1, 0),
    ]
    got = observation_log.get_observation(db, first)
    assert got is not None and got.comment == "Thanks"
