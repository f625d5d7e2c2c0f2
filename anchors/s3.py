"""Anchors as objects in an S3 bucket with object lock (AWS S3, MinIO, Ceph...), via boto3.

Each anchor is its own object, ``<prefix>/<position, 20 digits>-<chain, 16 hex>.json``, put
with a COMPLIANCE-mode retention: until it expires no one, not even the bucket's owner, can
delete or overwrite that version. A later put under the same key only adds a version, and the
reader reads every version, so an overwrite cannot hide the original.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from anchors import AnchorLine, AnchorSinkError, decode, encode


class S3AnchorSink:
    """Anchors under ``prefix`` in one object-locked bucket."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "audit-anchors",
        retention_days: int = 3650,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.retention = timedelta(days=retention_days)
        self.name = f"s3://{bucket}/{self.prefix}"
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )
        self._locked = False
        self._last_key: str | None = None

    def _key(self, record: dict[str, Any]) -> str:
        position = int(record["position"])
        chain = str(record["chain"])[:16]
        return f"{self.prefix}/{position:020d}-{chain}.json"

    def check_lock(self) -> None:
        """Refuse a bucket without object lock: anchors there could be deleted."""
        if self._locked:
            return
        try:
            config = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as e:
            raise AnchorSinkError(
                f"{self.name}: the bucket has no object lock configuration ({_code(e)}); create "
                "it with object lock enabled, or anchors there could be deleted"
            ) from None
        except BotoCoreError as e:
            raise AnchorSinkError(f"{self.name}: {e}") from None
        if config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            raise AnchorSinkError(f"{self.name}: object lock is not enabled on the bucket")
        self._locked = True

    def append(self, record: dict[str, Any]) -> None:
        self.check_lock()
        key = self._key(record)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=encode(record),
                ContentType="application/json",
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=datetime.now(UTC) + self.retention,
                ChecksumAlgorithm="SHA256",
            )
        except (ClientError, BotoCoreError) as e:
            raise AnchorSinkError(f"cannot put anchor {key} in {self.name}: {e}") from None
        if self._last_key is None or key > self._last_key:
            self._last_key = key

    def _keys(self, start_after: str | None = None) -> list[str]:
        keys: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix + "/"}
        if start_after is not None:
            kwargs["StartAfter"] = start_after
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(**kwargs):
                keys.extend(o["Key"] for o in page.get("Contents", ()))
        except (ClientError, BotoCoreError) as e:
            raise AnchorSinkError(f"cannot list {self.name}: {e}") from None
        return keys

    def latest(self) -> dict[str, Any] | None:
        keys = self._keys(self._last_key)
        if keys:
            self._last_key = max(keys)
        if self._last_key is None:
            return None
        return self._get(self._last_key, None).record

    def _get(self, key: str, version: str | None) -> AnchorLine:
        where = f"s3://{self.bucket}/{key}" + (f" (version {version})" if version else "")
        try:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
            if version:
                kwargs["VersionId"] = version
            body = self.client.get_object(**kwargs)["Body"].read()
        except (ClientError, BotoCoreError) as e:
            raise AnchorSinkError(f"cannot read {where}: {e}") from None
        return decode(where, body)

    def read(self) -> list[AnchorLine]:
        """Every version of every anchor object, oldest key first."""
        versions: list[tuple[str, str | None]] = []
        try:
            pages = self.client.get_paginator("list_object_versions").paginate(
                Bucket=self.bucket, Prefix=self.prefix + "/"
            )
            for page in pages:
                versions.extend((v["Key"], v.get("VersionId")) for v in page.get("Versions", ()))
        except (ClientError, BotoCoreError) as e:
            raise AnchorSinkError(f"cannot list {self.name}: {e}") from None
        return [self._get(key, version) for key, version in sorted(versions, key=lambda v: v[0])]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "error"))


__all__ = ["S3AnchorSink"]
