"""The anchor sinks against real local services: an append-only file, an object-locked bucket
on moto's S3 server (a DBA cannot delete or overwrite an anchor there), and an HTTP endpoint
served by a real local HTTP server in this test."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from anchors import AnchorSink, AnchorSinkError, FileAnchorSink
from anchors.http import HttpAnchorSink
from anchors.s3 import S3AnchorSink
from appraisals.wiring import build
from config.settings import Settings
from projections.engine.connection import connect
from projections.engine.core import EventLog
from replay.anchoring import FORMAT, anchor_record
from replay.audit_anchors import anchor_sink, anchor_source
from replay.chain import Checkpoint
from replay.keys import SigningKey, checkpoint_message
from testkit.scenario import build_org

pytestmark = pytest.mark.integration

KEY = SigningKey.generate()
CREDENTIALS = {
    "region_name": "eu-west-2",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}


def _record(position: int, previous: int = 0) -> dict[str, object]:
    chain = uuid.uuid4().hex * 2
    mark = Checkpoint(
        position,
        previous,
        position - previous,
        chain,
        KEY.key_id,
        KEY.sign(checkpoint_message(previous, position, position - previous, chain)),
        "2026-12-01T09:00:00+00:00",
    )
    return anchor_record(mark, datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC))


class Endpoint(BaseHTTPRequestHandler):
    """A trust's anchor endpoint: appends what is POSTed (with the right token), lists it."""

    lines: list[bytes]
    token = "anchor-token-for-tests"

    def do_POST(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_error(401, "who are you?")
            return
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.lines.append(body)
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        body = b"".join(line + b"\n" for line in self.lines)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def endpoint() -> Iterator[str]:
    handler = type("Handler", (Endpoint,), {"lines": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/anchors"
    finally:
        server.shutdown()
        server.server_close()


def _locked_bucket(endpoint: str) -> str:
    bucket = f"anchors-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": "eu-west-2"},
        ObjectLockEnabledForBucket=True,
    )
    return bucket


@pytest.fixture(params=["file", "s3", "http"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> AnchorSink:
    if request.param == "file":
        return FileAnchorSink(tmp_path / "volume" / "anchors.jsonl")
    if request.param == "http":
        return HttpAnchorSink(request.getfixturevalue("endpoint"), token=Endpoint.token)
    s3 = request.getfixturevalue("s3_endpoint")
    return S3AnchorSink(
        _locked_bucket(s3),
        endpoint_url=s3,
        region="eu-west-2",
        access_key_id="test",
        secret_access_key="test",
    )


def test_anchors_appended_come_back_in_order_with_the_latest_last(sink: AnchorSink) -> None:
    assert sink.read() == [] and sink.latest() is None
    first, second = _record(5), _record(9, 5)
    sink.append(first)
    sink.append(second)
    assert [line.record for line in sink.read()] == [first, second]
    assert sink.latest() == second


def test_the_file_sink_only_ever_appends_and_syncs(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    sink = FileAnchorSink(path)
    sink.append(_record(3))
    before = path.read_bytes()
    sink.append(_record(4, 3))
    assert path.read_bytes().startswith(before)
    path.write_bytes(path.read_bytes() + b"{broken\n")
    lines = sink.read()
    assert lines[-1].record is None and "not JSON" in (lines[-1].error or "")
    assert "line 3" in lines[-1].where


def test_an_unwritable_anchor_file_is_a_sink_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(AnchorSinkError, match="cannot append to the anchor file"):
        FileAnchorSink(blocker / "anchors.jsonl").append(_record(1))


def test_an_anchor_in_the_locked_bucket_cannot_be_deleted_or_hidden(s3_endpoint: str) -> None:
    bucket = _locked_bucket(s3_endpoint)
    sink = S3AnchorSink(
        bucket,
        endpoint_url=s3_endpoint,
        region="eu-west-2",
        access_key_id="t",
        secret_access_key="t",
    )
    genuine = _record(7)
    sink.append(genuine)
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    key = client.list_objects_v2(Bucket=bucket)["Contents"][0]["Key"]
    version = client.head_object(Bucket=bucket, Key=key)["VersionId"]
    # A bucket administrator tries to remove the anchor's version: refused by the lock.
    with pytest.raises(ClientError, match="AccessDenied"):
        client.delete_object(Bucket=bucket, Key=key, VersionId=version)
    # Overwriting the key only adds a version: the reader still sees the genuine anchor.
    client.put_object(Bucket=bucket, Key=key, Body=b'{"format": "forged"}')
    records = [line.record for line in sink.read()]
    assert genuine in records and {"format": "forged"} in records


def test_a_bucket_without_object_lock_is_refused(s3_endpoint: str) -> None:
    bucket = f"plain-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    sink = S3AnchorSink(
        bucket,
        endpoint_url=s3_endpoint,
        region="eu-west-2",
        access_key_id="t",
        secret_access_key="t",
    )
    with pytest.raises(AnchorSinkError, match="object lock"):
        sink.append(_record(1))


def test_the_http_endpoint_refusing_an_anchor_is_a_sink_error(endpoint: str) -> None:
    with pytest.raises(AnchorSinkError, match="answered 401"):
        HttpAnchorSink(endpoint, token="wrong").append(_record(1))
    with pytest.raises(AnchorSinkError, match="cannot send"):
        HttpAnchorSink("http://127.0.0.1:9/anchors").append(_record(1))


def test_the_server_anchors_each_checkpoint_to_the_configured_http_endpoint(
    endpoint: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'events.db'}",
        audit_anchor_sink="http",
        audit_anchor_http_url=endpoint,
        audit_anchor_http_token=Endpoint.token,
        audit_seal_seconds=0.2,
    )
    container = build(settings)
    container.start()
    try:
        build_org(container.commands)
        db = connect(settings.database_url)
        with db.transaction(write=False) as tx:
            head = EventLog().head(tx)
        db.close()
        source = anchor_source(endpoint, settings)
        lines = []
        for _ in range(150):
            lines = source.read()
            if lines and lines[-1].record and lines[-1].record["position"] == head:
                break
            time.sleep(0.2)
        assert lines and lines[-1].record and lines[-1].record["position"] == head
        assert all(line.record and line.record["format"] == FORMAT for line in lines)
    finally:
        container.close()


def test_settings_pick_the_sink_and_production_needs_an_explicit_one(tmp_path: Path) -> None:
    file_sink = anchor_sink(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    assert isinstance(file_sink, FileAnchorSink)
    assert "var/audit-anchors" in file_sink.name
    assert anchor_sink(Settings(audit_anchor_sink="none")) is None
    with pytest.raises(ValueError, match="APPRAISALS_AUDIT_ANCHOR_S3_BUCKET"):
        anchor_sink(Settings(audit_anchor_sink="s3"))
    with pytest.raises(ValueError, match="APPRAISALS_AUDIT_ANCHOR_HTTP_URL"):
        anchor_sink(Settings(audit_anchor_sink="http"))
    assert isinstance(anchor_source(str(tmp_path / "x.jsonl"), None), FileAnchorSink)
    assert isinstance(anchor_source("s3://bucket/anchors", None), S3AnchorSink)


def test_sealing_goes_on_while_the_sink_is_down_and_anchoring_catches_up(tmp_path: Path) -> None:
    from replay.anchoring import Anchorer
    from replay.keys import PublicKeys
    from replay.sealer import ChainSealer

    url = f"sqlite:///{tmp_path / 'events.db'}"
    container = build(Settings(database_url=url), run_projections=False)
    try:
        build_org(container.commands)
    finally:
        container.close()
    volume = tmp_path / "volume"
    volume.write_text("not mounted yet")  # the anchor volume is missing: appends fail
    anchorer = Anchorer(FileAnchorSink(volume / "anchors.jsonl"), PublicKeys([KEY.public]))
    db = connect(url)
    try:
        sealer = ChainSealer(db, KEY, anchorer=anchorer)
        sealer.seal_now()
        assert anchorer.failures == 1 and sealer.failures == 0
        with db.transaction(write=False) as tx:
            head = EventLog().head(tx)
            sealed = tx.query("SELECT MAX(position) FROM audit_checkpoints")[0][0]
        assert sealed == head  # the seal did not wait for the sink
        volume.unlink()
        sealer.seal_now()  # nothing new to seal; the pending anchor is written now
        lines = FileAnchorSink(volume / "anchors.jsonl").read()
        assert [line.record["position"] for line in lines if line.record] == [head]
        sealer.seal_now()  # and only once
        assert len(FileAnchorSink(volume / "anchors.jsonl").read()) == 1
    finally:
        db.close()
