"""Analysts never see the pay recommendation, and CPD, evidence and observation events reach
them pseudonymised: people and their records as keyed hashes, free text withheld."""

from __future__ import annotations

import pytest

from replay.custom import AnalystEvent, AnalystProjection, UnknownEventType, on, run
from replay.pseudonyms import Pseudonymiser


def test_an_analysts_projection_cannot_subscribe_to_pay_events() -> None:
    class PayWatcher(AnalystProjection):
        @on("PayRecommendationMade")
        def seen(self, e: AnalystEvent) -> None:
            self.emit(recommendation=e["recommendation"])

    with pytest.raises(UnknownEventType, match="PayRecommendationMade"):
        run(None, PayWatcher(), pseudonymiser=None)  # type: ignore[arg-type]


def test_cpd_and_observation_fields_are_pseudonymised_or_withheld() -> None:
    p = Pseudonymiser(b"key")
    cpd = p.data(
        "cpd_activity",
        {
            "staff_id": "a1",
            "school_id": "s1",
            "title": "Coaching",
            "provider": "Hub",
            "objective_ids": ["o1", "o2"],
            "kind": "coaching",
            "hours": 6.0,
        },
    )
    assert cpd["staff_id"] == p("a1") and cpd["school_id"] == "s1"
    assert cpd["objective_ids"] == [p("o1"), p("o2")]
    assert cpd["title"] is None and cpd["provider"] is None
    assert (cpd["kind"], cpd["hours"]) == ("coaching", 6.0)
    observation = p.data(
        "observation",
        {
            "observed_id": "a1",
            "observer_id": "b1",
            "context": "Year 4",
            "strengths": "s",
            "areas_to_develop": "a",
            "focus_standards": ["TS2"],
        },
    )
    assert observation["observer_id"] == p("b1")
    assert (
        observation["context"]
        is observation["strengths"]
        is observation["areas_to_develop"]
        is None
    )
    assert observation["focus_standards"] == ["TS2"]
    reflected = p.data("cpd_activity", {"reflection": "I learnt", "impact": "clear"})
    assert reflected == {"reflection": None, "impact": "clear"}
    evidence = p.data("evidence", {"filename": "ann-smith.pdf", "url": "https://x", "size": 3})
    assert evidence == {"filename": None, "url": None, "size": 3}
