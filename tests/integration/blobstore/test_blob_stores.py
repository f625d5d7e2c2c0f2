"""The blob store contract, run against the local filesystem and a real S3-compatible server
(moto's server in its own process): put, get, overwrite, delete, missing keys, bad keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from blobstore import BlobMissing, BlobStore, FilesystemBlobStore
from blobstore.s3 import S3BlobStore

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "filesystem":
        yield FilesystemBlobStore(tmp_path / "blobs")
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"evidence-{uuid.uuid4().hex[:8]}"
    credentials = {
        "endpoint_url": endpoint,
        "region_name": "eu-west-2",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }
    boto3.client("s3", **credentials).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    yield S3BlobStore(
        bucket,
        endpoint_url=endpoint,
        region="eu-west-2",
        access_key_id="test",
        secret_access_key="test",
        prefix="trust-a",
    )


def test_bytes_put_under_a_key_come_back_unchanged(store: BlobStore) -> None:
    key = f"evidence/{uuid.uuid4()}"
    store.put(key, PDF, "application/pdf")
    assert store.exists(key)
    assert store.get(key) == PDF
    store.put(key, b"%PDF-1.7 replaced", "application/pdf")
    assert store.get(key) == b"%PDF-1.7 replaced"


def test_deleted_bytes_are_gone_and_deleting_twice_is_harmless(store: BlobStore) -> None:
    key = f"evidence/{uuid.uuid4()}"
    store.put(key, PDF, "application/pdf")
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(BlobMissing):
        store.get(key)
    store.delete(key)


def test_a_key_never_stored_is_missing(store: BlobStore) -> None:
    with pytest.raises(BlobMissing):
        store.get(f"evidence/{uuid.uuid4()}")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "evidence/../../x", "Evidence/X", ""])
def test_keys_cannot_escape_the_store(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="not a blob key"):
        store.put(key, PDF, "application/pdf")


def test_the_filesystem_store_writes_atomically_into_its_root(tmp_path: Path) -> None:
    fs = FilesystemBlobStore(tmp_path)
    fs.put("evidence/abc", PDF, "application/pdf")
    assert (tmp_path / "evidence" / "abc").read_bytes() == PDF
    assert not [p for p in (tmp_path / "evidence").iterdir() if p.name.startswith(".upload-")]


def test_the_s3_store_keeps_objects_under_its_prefix_with_their_type(s3_endpoint: str) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket="prefixed")
    store = S3BlobStore("prefixed", client=client, prefix="/trust-b/")
    store.put("evidence/one", PDF, "application/pdf")
    head = client.head_object(Bucket="prefixed", Key="trust-b/evidence/one")
    assert head["ContentType"] == "application/pdf"
    assert head["ContentLength"] == len(PDF)
