"""Analysts never see the pay recommendation, and CPD, evidence and observation events reach
them pseudonymised: people and their records as keyed hashes, free text withheld."""

from __future__ import annotations

import pytest

from events import cpd, evidence, observation
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
    planned = p.data(
        cpd.CpdPlanned,
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
    assert planned["staff_id"] == p("a1") and planned["school_id"] == "s1"
    assert planned["objective_ids"] == [p("o1"), p("o2")]
    assert planned["title"] is None and planned["provider"] is None
    assert (planned["kind"], planned["hours"]) == ("coaching", 6.0)
    observed = p.data(
        observation.ObservationRecorded,
        {
            "observed_id": "a1",
            "observer_id": "b1",
            "context": "Year 4",
            "strengths": "s",
            "areas_to_develop": "a",
            "focus_standards": ["TS2"],
        },
    )
    assert observed["observer_id"] == p("b1")
    assert observed["context"] is observed["strengths"] is observed["areas_to_develop"] is None
    assert observed["focus_standards"] == ["TS2"]
    reflected = p.data(cpd.CpdReflected, {"reflection": "I learnt", "impact": "clear"})
    assert reflected == {"reflection": None, "impact": "clear"}
    file = p.data(evidence.EvidenceFileAttached, {"filename": "ann-smith.pdf", "size": 3})
    assert file == {"filename": None, "size": 3}
    link = p.data(evidence.EvidenceLinkAttached, {"title": "Ann's page", "url": "https://x"})
    assert link == {"title": None, "url": None}
