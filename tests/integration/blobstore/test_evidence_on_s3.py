"""Evidence files through the real app with the S3 backend configured, against moto's server:
the upload lands in the bucket, the download reads it back, removal deletes the object."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.auth import mint_token
from appraisals.app import create_app
from appraisals.wiring import build
from blobstore.s3 import S3BlobStore
from commands.principal import Principal
from config.settings import Settings
from testkit.scenario import build_org
from testkit.scenario_development import agreed_objective

PDF = b"%PDF-1.4\n%s3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def s3_settings(s3_endpoint: str, tmp_path: Path) -> Iterator[Settings]:
    bucket = f"evidence-{uuid.uuid4().hex[:8]}"
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)
    yield Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        context_cache_ttl=0,
        blob_store="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key_id="test",
        s3_secret_access_key=SecretStr("test"),
        s3_prefix="trust-files",
    )


def test_evidence_round_trips_through_an_s3_compatible_store(s3_settings: Settings) -> None:
    container = build(s3_settings)
    container.start()
    try:
        assert container.evidence is not None
        store = container.evidence.blobs
        assert isinstance(store, S3BlobStore)
        org = build_org(container.commands)
        objective_id = agreed_objective(container.commands, org)

        def auth(p: Principal) -> dict[str, str]:
            token = mint_token(
                p, secret=s3_settings.jwt_secret.get_secret_value(), issuer=s3_settings.jwt_issuer
            )
            return {"Authorization": f"Bearer {token}"}

        with TestClient(create_app(container=container)) as client:
            r = client.post(
                f"/v1/objectives/{objective_id}/evidence/files",
                files={"file": ("data.pdf", PDF, "application/pdf")},
                headers=auth(org.appraisee),
            )
            assert r.status_code == 201, r.text
            evidence_id, position = r.json()["aggregate_id"], r.json()["position"]
            key = f"trust-files/evidence/{evidence_id}"
            head = store.client.head_object(Bucket=s3_settings.s3_bucket, Key=key)
            assert head["ContentLength"] == len(PDF)
            got = client.get(
                f"/v1/evidence/{evidence_id}/file",
                params={"min_position": position},
                headers=auth(org.appraiser),
            )
            assert got.status_code == 200 and got.content == PDF
            r = client.post(
                f"/v1/evidence/{evidence_id}/removal",
                json={"reason": "Duplicate upload"},
                headers=auth(org.appraisee),
            )
            assert r.status_code == 200
            assert not store.exists(f"evidence/{evidence_id}")
    finally:
        container.close()
