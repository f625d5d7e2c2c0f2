"""The demo's CPD, evidence files, observations and pay, read through the read models.

The trust CPD view of the demo's closed cycle is checked against an expectation computed by
hand from the raw events (a plain walk over the log, sharing no code with the read model).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest

from appraisals import demo
from appraisals.wiring import build_store
from blobstore import FilesystemBlobStore
from commands.evidence_files import blob_key
from config.settings import Settings
from projections import evidence_list, observation_log
from projections import pay_recommendations as pay
from projections.catalogue import read_models
from projections.cpd_summary import trust_cpd
from projections.engine.service import Projections

SIZE = {"schools": 3, "staff": 90}
SCORE = {"none": 0, "some": 1, "clear": 2, "strong": 3}


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Any, demo.DemoSummary, Projections, Path]]:
    root = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{root / 'demo.db'}"
    store = build_store(Settings(database_url=url))
    blobs = root / "blobs"
    summary = demo.generate(store, seed=5, blobs=FilesystemBlobStore(blobs), schools=3, staff=90)
    projections = read_models(url)
    projections.ensure()
    projections.catch_up()
    yield store, summary, projections, blobs
    projections.close()
    store.close()


def events(store: Any) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for n in store.recorder.select_notifications(start=1, limit=10**7):
        out.append(
            (n.topic.removeprefix("appraisals/"), str(n.originator_id), orjson.loads(n.state))
        )
    return out


def hand_computed(store: Any, cycle_id: str) -> dict[str, dict[str, Any]]:
    """Per school: done hours and spend, and met counts of assessed objectives with and
    without CPD done for them, worked out from the events one by one."""
    review_school: dict[str, str] = {}
    objective_school: dict[str, str] = {}
    outcome: dict[str, str | None] = {}
    withdrawn: set[str] = set()
    activity: dict[str, dict[str, Any]] = {}
    for kind, oid, data in events(store):
        if kind == "ReviewStarted" and data["cycle_id"] == cycle_id:
            review_school[oid] = data["school_id"]
        elif kind == "ObjectiveDrafted" and data["review_id"] in review_school:
            objective_school[oid] = review_school[data["review_id"]]
            outcome[oid] = None
        elif kind == "ObjectiveAssessed" and oid in outcome:
            outcome[oid] = data["outcome"]
        elif kind == "ObjectiveWithdrawn":
            withdrawn.add(oid)
        elif kind == "ObjectiveReinstated":
            withdrawn.discard(oid)
            outcome[oid] = None
        elif kind == "CpdPlanned" and data["cycle_id"] == cycle_id:
            activity[oid] = {
                "school": data["school_id"],
                "objectives": data["objective_ids"],
                "done": False,
            }
        elif kind == "CpdCompleted" and oid in activity:
            activity[oid].update(done=True, hours=data["hours"], cost=data["cost_pence"])
        elif kind == "CpdReflected" and oid in activity:
            activity[oid]["impact"] = SCORE[data["impact"]]
    expected: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "hours": 0.0,
            "spend": 0,
            "s_met": 0,
            "s_all": 0,
            "o_met": 0,
            "o_all": 0,
            "impacts": [],
        }
    )
    supported: set[str] = set()
    for a in activity.values():
        school = expected[a["school"]]
        if a["done"]:
            school["hours"] += a["hours"]
            school["spend"] += a["cost"]
            supported.update(a["objectives"])
        if "impact" in a:
            school["impacts"].append(a["impact"])
    for oid, result in outcome.items():
        if result is None or oid in withdrawn:
            continue
        school = expected[objective_school[oid]]
        key = "s" if oid in supported else "o"
        school[f"{key}_all"] += 1
        school[f"{key}_met"] += result == "met"
    return expected


def test_the_trust_cpd_view_of_the_demo_matches_the_sums_done_by_hand(built: Any) -> None:
    store, summary, projections, _ = built
    cycle = summary.previous_cycle.id
    expected = hand_computed(store, str(cycle))
    view = trust_cpd(projections.db, summary.trust_id, cycle)
    assert len(view.schools) == SIZE["schools"]
    for school in view.schools:
        e = expected[str(school.school_id)]
        assert school.effort.done_hours == pytest.approx(e["hours"])
        assert school.effort.done_spend_pence == e["spend"]
        i = school.impact
        assert (i.supported_met, i.supported_assessed) == (e["s_met"], e["s_all"])
        assert (i.other_met, i.other_assessed) == (e["o_met"], e["o_all"])
        mean = round(sum(e["impacts"]) / len(e["impacts"]), 2) if e["impacts"] else None
        assert i.mean_impact == mean
    total = view.trust.impact
    assert total.supported_assessed == sum(e["s_all"] for e in expected.values()) > 0
    assert view.trust.effort.done > 0 and view.trust.by_priority and view.trust.by_kind


def test_the_demo_has_evidence_files_whose_bytes_are_in_the_blob_store(built: Any) -> None:
    store, _, projections, blobs = built
    rows = []
    for kind, oid, _ in events(store):
        if kind in ("EvidenceFileAttached", "EvidenceLinkAttached"):
            found = evidence_list.get_evidence(projections.db, UUID(oid))
            assert found is not None
            rows.append(found)
    files = [r for r in rows if r.is_file]
    assert files and any(not r.is_file for r in rows)
    for r in files:
        stored = FilesystemBlobStore(blobs)
        assert stored.exists(blob_key(r.evidence_id)) is not r.removed
        if not r.removed:
            assert stored.get(blob_key(r.evidence_id)).startswith(b"%PDF-1.4")
    assert any(r.removed for r in files)


def test_the_demo_has_observations_and_pay_recommendations(built: Any) -> None:
    store, summary, projections, _ = built
    focus = observation_log.standards_focus(
        projections.db, summary.trust_id, summary.previous_cycle.id
    )
    assert focus.schools and all(s.standards for s in focus.schools)
    reviews = {oid for kind, oid, _ in events(store) if kind == "ReviewStarted"}
    decided = [v for r in reviews if (v := pay.for_review(projections.db, UUID(r))) is not None]
    assert decided and all(v.decision for v in decided)
