"""GET /v1/audit/verify: auditors and administrators prove the log intact, or see where not."""

from __future__ import annotations

import time
import zipfile

import orjson
import pytest
from fastapi.testclient import TestClient

from appraisals.wiring import Container
from replay.audit_keys import signing_key
from replay.chain import seal
from replay.keys import PublicKeys, SigningKey
from testkit.scenario import Org, build_org
from tests.api.conftest import Auth

pytestmark = pytest.mark.integration


def _key(container: Container) -> SigningKey:
    return signing_key(container.settings)


def _seal_all(container: Container) -> None:
    """Seal through the head (the server's own sealer may hold the lock for a moment)."""
    head = container.store.recorder.max_notification_id() or 0
    deadline = time.monotonic() + 10
    while True:
        sealed = seal(container.projections.db, _key(container))
        if sealed is not None and sealed.position >= head:
            return
        assert time.monotonic() < deadline, "could not seal the log"
        time.sleep(0.05)


def test_an_auditor_proves_the_log_intact(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    _seal_all(api_container)
    r = client.get("/v1/audit/verify", headers=auth(org.auditor))
    assert r.status_code == 200
    body = r.json()
    assert body["intact"] is True and body["first_problem"] is None
    assert body["intact_up_to"] == body["head"] >= body["sealed_through"] > 0
    assert body["message"].startswith("intact up to position")
    assert client.get("/v1/audit/verify", headers=auth(org.admin)).status_code == 200


def test_only_auditors_and_administrators_verify(client: TestClient, auth: Auth, org: Org) -> None:
    for principal in (org.trust_leader, org.school_leader, org.appraisee, org.analyst):
        assert client.get("/v1/audit/verify", headers=auth(principal)).status_code == 403
    assert client.get("/v1/audit/verify").status_code == 401


def test_an_edited_event_is_named_to_its_trusts_auditor_only(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    db = api_container.projections.db
    _seal_all(api_container)
    with db.transaction(write=False) as tx:
        position, state = tx.query(
            "SELECT notification_id, state FROM appraisals_events "
            "WHERE originator_id = ? AND originator_version = 1",
            [org.review_id],
        )[0]
    other = build_org(api_container.commands, name="Rowan Trust")
    with db.transaction() as tx:
        tx.execute(
            "UPDATE appraisals_events SET state = ? WHERE notification_id = ?",
            [bytes(state).replace(b"review", b"Review") + b" ", position],
        )
    try:
        mine = client.get("/v1/audit/verify", headers=auth(org.auditor)).json()
        theirs = client.get("/v1/audit/verify", headers=auth(other.auditor)).json()
    finally:
        with db.transaction() as tx:
            tx.execute(
                "UPDATE appraisals_events SET state = ? WHERE notification_id = ?",
                [bytes(state), position],
            )
    assert mine["intact"] is False
    assert mine["intact_up_to"] == position - 1
    first = mine["first_problem"]
    assert first["position"] == position and first["problem"] == "edited"
    assert first["aggregate_id"] == str(org.review_id) and first["version"] == 1
    assert theirs["first_problem"]["position"] == position
    assert theirs["first_problem"]["aggregate_id"] is None
    assert client.get("/v1/audit/verify", headers=auth(org.auditor)).json()["intact"] is True


def test_the_service_publishes_its_public_key_to_anyone(
    client: TestClient, api_container: Container
) -> None:
    r = client.get("/v1/audit/keys")
    assert r.status_code == 200
    keys = r.json()
    current = _key(api_container)
    assert [k for k in keys if k["current"]] == [
        {
            "key_id": current.key_id,
            "algorithm": "Ed25519",
            "public_key_pem": current.public.pem,
            "current": True,
        }
    ]
    assert "PRIVATE" not in r.text


def test_an_auditor_checks_the_log_against_its_anchors(
    client: TestClient, api_container: Container, auth: Auth, org: Org
) -> None:
    from datetime import UTC, datetime

    from replay.anchoring import Anchorer
    from replay.audit_anchors import anchor_sink
    from replay.audit_keys import public_keys

    _seal_all(api_container)
    sink = anchor_sink(api_container.settings)
    assert sink is not None
    Anchorer(sink, public_keys(api_container.settings)).anchor(
        api_container.projections.db, datetime.now(UTC)
    )
    r = client.get("/v1/audit/verify?anchors=true", headers=auth(org.auditor))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["intact"] is True, body
    anchors = body["anchors"]
    assert anchors["source"] == sink.name
    assert anchors["anchored_through"] >= anchors["confirmed_through"] > 0
    assert (
        client.get("/v1/audit/verify?anchors=maybe", headers=auth(org.auditor)).status_code == 422
    )


def test_a_reviews_proof_pack_downloads_and_verifies_offline(
    client: TestClient, api_container: Container, auth: Auth, org: Org, tmp_path: object
) -> None:
    from pathlib import Path
    from uuid import uuid4

    from replay.proof import verify_pack

    r = client.get(f"/v1/audit/reviews/{org.review_id}/proof-pack", headers=auth(org.appraisee))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert "attachment" in r.headers["content-disposition"]
    path = Path(str(tmp_path)) / "pack.zip"
    path.write_bytes(r.content)
    result = verify_pack(str(path), trusted=_key_ring(api_container))
    assert result.verified, result.describe()
    # The written report as people read it is in the pack, listed in its signed manifest.
    with zipfile.ZipFile(path) as z:
        manifest = orjson.loads(z.read("manifest.json"))
        assert b"Ann Appraisee" in z.read("report.html")
        assert z.read("report.pdf").startswith(b"%PDF")
    assert {"report.html", "report.pdf"} <= set(manifest["documents"])
    # Denied and missing look the same.
    other = build_org(api_container.commands, name="Elm Trust")
    denied = client.get(
        f"/v1/audit/reviews/{org.review_id}/proof-pack", headers=auth(other.appraisee)
    )
    missing = client.get(f"/v1/audit/reviews/{uuid4()}/proof-pack", headers=auth(org.auditor))
    assert denied.status_code == missing.status_code == 404


def _key_ring(container: Container) -> PublicKeys:
    from replay.audit_keys import public_keys

    return public_keys(container.settings)
