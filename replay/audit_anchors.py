"""Where the audit chain's anchors go (settings) and where a verifier reads them (a SOURCE).

The sink is picked from ``APPRAISALS_AUDIT_ANCHOR_SINK``: an append-only file (default), an
S3 bucket with object lock, an HTTP endpoint, or none (development only). ``verify --anchors``
takes a SOURCE: ``configured`` (the sink above), a file path, ``s3://bucket/prefix`` (endpoint
and credentials from the anchor S3 settings, else boto3's usual chain) or an ``http(s)://``
URL.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from anchors import AnchorSink, FileAnchorSink
from config.settings import Settings, redact_url

DEV_ANCHOR_DIR = Path("var/audit-anchors")


def dev_anchor_file(settings: Settings) -> Path:
    """Development's anchor file: one per database (``var/audit-anchors/<12 hex>.jsonl``,
    named by its URL without the password), so two databases never share one."""
    name = hashlib.sha256(redact_url(settings.database_url).encode()).hexdigest()[:12]
    return DEV_ANCHOR_DIR / f"{name}.jsonl"


class AnchorSettingsError(ValueError):
    """The anchor settings or SOURCE do not name a usable sink (the message says which)."""


def anchor_sink(settings: Settings) -> AnchorSink | None:
    """The configured sink; None when anchoring is off (development only)."""
    kind = settings.audit_anchor_sink
    if kind == "none":
        if settings.env == "production":
            raise AnchorSettingsError("production needs an anchor sink (file, s3 or http)")
        return None
    if kind == "s3":
        if not settings.audit_anchor_s3_bucket:
            raise AnchorSettingsError(
                "APPRAISALS_AUDIT_ANCHOR_SINK=s3 needs APPRAISALS_AUDIT_ANCHOR_S3_BUCKET"
            )
        return _s3(settings, settings.audit_anchor_s3_bucket, settings.audit_anchor_s3_prefix)
    if kind == "http":
        if not settings.audit_anchor_http_url:
            raise AnchorSettingsError(
                "APPRAISALS_AUDIT_ANCHOR_SINK=http needs APPRAISALS_AUDIT_ANCHOR_HTTP_URL"
            )
        return _http(settings, settings.audit_anchor_http_url)
    path = settings.audit_anchor_file
    if path is None:
        if settings.env == "production":
            raise AnchorSettingsError(
                "production needs APPRAISALS_AUDIT_ANCHOR_FILE (on another volume)"
            )
        path = dev_anchor_file(settings)
    return FileAnchorSink(path)


def anchor_source(spec: str, settings: Settings | None) -> AnchorSink:
    """The sink a verifier reads: ``configured``, a path, ``s3://bucket/prefix`` or a URL."""
    if spec == "configured":
        if settings is None:
            raise AnchorSettingsError("'configured' needs the service's settings")
        sink = anchor_sink(settings)
        if sink is None:
            raise AnchorSettingsError("APPRAISALS_AUDIT_ANCHOR_SINK is none: nothing to read")
        return sink
    if spec.startswith("s3://"):
        bucket, _, prefix = spec.removeprefix("s3://").partition("/")
        if not bucket:
            raise AnchorSettingsError(f"{spec!r}: name the bucket, s3://bucket/prefix")
        return _s3(settings, bucket, prefix or "audit-anchors")
    if spec.startswith(("http://", "https://")):
        return _http(settings, spec)
    return FileAnchorSink(Path(spec))


def _s3(settings: Settings | None, bucket: str, prefix: str) -> AnchorSink:
    from anchors.s3 import S3AnchorSink

    if settings is None:
        return S3AnchorSink(bucket, prefix=prefix)
    secret = settings.audit_anchor_s3_secret_access_key
    return S3AnchorSink(
        bucket,
        prefix=prefix,
        retention_days=settings.audit_anchor_s3_retention_days,
        endpoint_url=settings.audit_anchor_s3_endpoint_url,
        region=settings.audit_anchor_s3_region,
        access_key_id=settings.audit_anchor_s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
    )


def _http(settings: Settings | None, url: str) -> AnchorSink:
    from anchors.http import HttpAnchorSink

    if settings is None:
        return HttpAnchorSink(url)
    token = settings.audit_anchor_http_token
    return HttpAnchorSink(
        url,
        token=token.get_secret_value() if token else None,
        timeout=settings.audit_anchor_http_timeout,
    )
