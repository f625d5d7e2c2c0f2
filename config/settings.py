"""Settings, read from ``APPRAISALS_*`` environment variables (and ``.env``) in one place."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/appraisals.db"
# Development keys: random, generated once per install, never in the source (see dev_keys()).
DEV_KEYS_FILE = Path("var/dev-keys.json")
SECRET_SETTINGS = ("jwt_secret", "pseudonym_key", "unsubscribe_secret", "privacy_master_key")
MIN_SECRET_BYTES = 32


class OidcProviderSettings(BaseModel):
    """One trust's OpenID provider (Entra ID, Google Workspace, ...): see docs/sign-in.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # In the sign-in URL (/signin/<key>); letters, digits and dashes.
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    trust_id: UUID
    # Shown on the button: "Sign in with <label>".
    label: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    issuer: Annotated[str, StringConstraints(min_length=8, max_length=500)]
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    client_secret: SecretStr
    # Only people whose email is in one of these domains may sign in through it.
    email_domains: list[Annotated[str, StringConstraints(to_lower=True, min_length=3)]] = Field(
        min_length=1
    )
    # The ID token claim holding the email; Entra ID work accounts may need
    # "preferred_username" (then set require_verified_email to false: see docs/sign-in.md).
    email_claim: str = "email"
    require_verified_email: bool = True
    scopes: str = "openid email profile"
    # Accept the provider's JWT access tokens for this audience on the API (optional).
    api_audience: str | None = None

    @field_validator("issuer")
    @classmethod
    def _https(cls, value: str) -> str:
        loopback = value.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
        if not value.startswith("https://") and not loopback:
            raise ValueError("the issuer must be an https:// URL (http only on loopback)")
        return value.rstrip("/")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPRAISALS_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    redis_namespace: str = "appraisals"
    # "production" refuses development keys and short secrets, and marks cookies Secure; a
    # server bound to a non-loopback address is in production whatever this says.
    env: Literal["development", "production"] = "development"
    # Unset keys are filled from ./var/dev-keys.json outside production (generated once, 0600).
    jwt_secret: SecretStr = SecretStr("")
    jwt_issuer: str = "appraisal-ledger"
    # The address people reach the service at (https://appraisals.example.org): the redirect
    # URI registered with the OpenID providers (unset: the request's own address) and where
    # links in reminder mails point (unset: http://127.0.0.1:8000, the development server).
    public_url: str | None = None
    # The trusts' OpenID providers, as JSON (a list of OidcProviderSettings).
    oidc_providers: list[OidcProviderSettings] = Field(default_factory=list)
    # Server-side sessions: ended after this long unused, and this long after sign-in.
    session_idle_minutes: int = Field(default=60, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    # The Ed25519 private key signing audit checkpoints (PEM, mode 0600) and the keyring of
    # every public key ever used (appraisals/audit_keys.py). Required in production; in
    # development both live under ./var/, generated on first use.
    audit_signing_key_file: Path | None = None
    audit_public_keys_file: Path | None = None
    jwt_ttl_minutes: int = Field(default=8 * 60, ge=1)
    # The longest lifetime a person's token may have; longer tokens are refused.
    jwt_max_ttl_minutes: int = Field(default=8 * 60, ge=1)
    # Pseudonymisation key for analysts' output (replay).
    pseudonym_key: SecretStr = SecretStr("")
    # The master key wrapping every person's data key (privacy/keys.py, docs/privacy.md):
    # required in production; a key that does not open this database's keys refuses to start.
    privacy_master_key: SecretStr = SecretStr("")
    # Retention: how often the scheduler erases leavers past their trust's retention period
    # (0: never in this process; `appraisals privacy retention` runs it by hand).
    privacy_retention_interval_seconds: float = Field(default=6 * 3600, ge=0)
    # Per client address: sign-ins and failed authentications allowed (`limits` notation).
    sign_in_rate_limit: str = "10/minute"
    failed_auth_rate_limit: str = "20/minute"
    # How many "chase now" requests one leader may make (each review milestone once a day).
    chase_rate_limit: str = "30/hour"
    # Request line and header limits (431 past them).
    max_request_line_bytes: int = Field(default=8 * 1024, ge=256)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    # /readyz fails when a projection is this many seconds behind the head of the log.
    ready_max_lag_seconds: float = Field(default=60.0, gt=0)
    # How often the audit chain is extended when no commit wakes it (seconds).
    audit_seal_seconds: float = Field(default=2.0, gt=0)
    # Where every signed checkpoint is also written, out of the database administrators'
    # reach (replay/anchoring.py, anchors/): an append-only file on another volume (default),
    # an S3 bucket with object lock, or an HTTP endpoint. "none" only outside production.
    audit_anchor_sink: Literal["file", "s3", "http", "none"] = "file"
    # The file sink's path; required in production (the development default is under ./var).
    audit_anchor_file: Path | None = None
    audit_anchor_s3_bucket: str | None = None
    audit_anchor_s3_prefix: str = "audit-anchors"
    audit_anchor_s3_endpoint_url: str | None = None
    audit_anchor_s3_region: str | None = None
    audit_anchor_s3_access_key_id: str | None = None
    audit_anchor_s3_secret_access_key: SecretStr | None = None
    # COMPLIANCE-mode retention of each anchor object (days).
    audit_anchor_s3_retention_days: int = Field(default=3650, ge=1)
    audit_anchor_http_url: str | None = None
    audit_anchor_http_token: SecretStr | None = None
    audit_anchor_http_timeout: float = Field(default=10.0, gt=0)
    pool_size: int = Field(default=10, ge=1)
    # Threads serving (synchronous) API endpoints in one process.
    worker_threads: int = Field(default=10, ge=1)
    # Recent aggregate states kept per process by the command side (see commands/states.py).
    state_cache_size: int = Field(default=20_000, ge=0)
    # How old (seconds) a cached context aggregate (a review, a cycle) may be in a rule check.
    context_cache_ttl: float = Field(default=1.0, ge=0)
    # How long a command without If-Match keeps retrying a conflicting save on fresh state.
    command_retry_seconds: float = Field(default=5.0, ge=0, le=60)
    # How often the in-process projection runner polls when not woken (seconds).
    projection_poll_seconds: float = Field(default=1.0, gt=0)
    # How long a query with ?min_position= waits for its read model (seconds).
    read_your_writes_timeout: float = Field(default=5.0, ge=0)
    # A PostgreSQL streaming replica of database_url: read-model queries go there (unset:
    # everything on the primary). Writes, idempotency and the audit chain never do.
    read_database_url: str | None = None
    # Queries without ?min_position= go to the primary while the replica's read models are
    # further behind the primary's than this (seconds).
    read_replica_max_lag_seconds: float = Field(default=30.0, gt=0)
    # How long a query with ?min_position= waits for the replica to replay the write it asks
    # for before it reads the primary instead (seconds).
    read_replica_wait_seconds: float = Field(default=0.5, ge=0, le=10)
    # After the replica fails to answer, how long queries stay on the primary (seconds).
    read_replica_retry_seconds: float = Field(default=5.0, gt=0)
    log_level: str = "INFO"
    # Evidence files: the largest accepted, and where their bytes live.
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    blob_store: Literal["filesystem", "s3"] = "filesystem"
    blob_dir: str = "./var/blobs"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = "evidence-files"
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; from anyone else those headers are ignored.
    trusted_proxies: str = ""
    # How long a stopping web process lets in-flight requests finish (seconds).
    shutdown_grace_seconds: int = Field(default=10, ge=0)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in _split(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"APPRAISALS_TRUSTED_PROXIES: {item!r} is not an address or network"
                ) from None
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _split(self.trusted_proxies)

    # Reminders (reminders/): the scheduler runs in `serve` (embedded) or `worker` (Redis)
    # when switched on; `appraisals reminders send` runs one pass by hand either way.
    reminders_schedule: bool = False
    reminders_interval_seconds: float = Field(default=300.0, ge=5)
    reminders_timezone: str = "Europe/London"
    reminders_max_attempts: int = Field(default=8, ge=1, le=50)
    reminders_backoff_seconds: float = Field(default=60.0, gt=0)
    # SMTP: the development default is the local sink `appraisals mail-sink` listens on.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(default=10.0, gt=0)
    smtp_verify_certificate: bool = True
    mail_from: str = "Appraisals <appraisals@localhost>"
    # HMAC key of the unsubscribe links in optional reminders; required in production (unset
    # in development: generated once into ./var like the other keys).
    unsubscribe_secret: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _development_keys(self) -> Settings:
        if self.env == "production":
            return self  # never invent keys in production: check_production() refuses
        missing = [n for n in SECRET_SETTINGS if not getattr(self, n).get_secret_value()]
        if missing:
            keys = dev_keys()
            for name in missing:
                setattr(self, name, SecretStr(keys[name]))
        return self

    @model_validator(mode="after")
    def _replica_needs_postgres(self) -> Settings:
        url = self.read_database_url
        if not url:
            self.read_database_url = None
            return self
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("APPRAISALS_READ_DATABASE_URL must be a postgresql:// URL")
        if not self.is_postgres:
            raise ValueError(
                "APPRAISALS_READ_DATABASE_URL needs APPRAISALS_DATABASE_URL on PostgreSQL "
                "(the replica streams from it)"
            )
        return self

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return parse_networks(self.trusted_proxies)

    def is_production(self, host: str | None = None) -> bool:
        """Production by setting, or because the server binds beyond this machine."""
        return self.env == "production" or (host is not None and not is_loopback(host))


class UnsafeSettings(Exception):
    """The service must not start with these settings; the message names the setting."""


def check_production(settings: Settings, host: str | None = None) -> None:
    """In production, refuse development keys and secrets shorter than 32 bytes."""
    if not settings.is_production(host):
        return
    development = _read_dev_keys()
    for name in SECRET_SETTINGS:
        value = getattr(settings, name).get_secret_value()
        env_name = f"APPRAISALS_{name.upper()}"
        if not value:
            raise UnsafeSettings(f"{env_name} must be set in production")
        if development and value == development.get(name):
            raise UnsafeSettings(f"{env_name} is a development key; set a production one")
        if len(value.encode()) < MIN_SECRET_BYTES:
            raise UnsafeSettings(f"{env_name} must be at least {MIN_SECRET_BYTES} bytes")
    # The audit signing key is a file (Ed25519, appraisals/audit_keys.py), never the
    # development one under ./var.
    for name in ("audit_signing_key_file", "audit_public_keys_file"):
        if getattr(settings, name) is None:
            raise UnsafeSettings(f"APPRAISALS_{name.upper()} must be set in production")
    if settings.audit_anchor_sink == "none":
        raise UnsafeSettings(
            "APPRAISALS_AUDIT_ANCHOR_SINK=none: production anchors the audit chain outside "
            "the database (file, s3 or http)"
        )
    if settings.audit_anchor_sink == "file" and settings.audit_anchor_file is None:
        raise UnsafeSettings(
            "APPRAISALS_AUDIT_ANCHOR_FILE must be set in production (a file on another volume "
            "than the database)"
        )
    key = settings.audit_signing_key_file
    if key is not None and key.exists() and key.stat().st_mode & 0o077:
        raise UnsafeSettings(f"APPRAISALS_AUDIT_SIGNING_KEY_FILE ({key}) is readable by others")


def _read_dev_keys() -> dict[str, str]:
    try:
        data = json.loads(DEV_KEYS_FILE.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


def dev_keys() -> dict[str, str]:
    """This install's development keys: random, made once, readable by the owner only."""
    keys = _read_dev_keys()
    if all(keys.get(n) for n in SECRET_SETTINGS):
        return keys
    keys = {n: keys.get(n) or secrets.token_urlsafe(48) for n in SECRET_SETTINGS}
    DEV_KEYS_FILE.parent.mkdir(parents=True, exist_ok=True)
    temporary = DEV_KEYS_FILE.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(keys, f)
    try:
        # Processes starting together: the first file written wins, the others read it.
        os.link(temporary, DEV_KEYS_FILE)
    except FileExistsError:
        written = _read_dev_keys()
        if all(written.get(n) for n in SECRET_SETTINGS):
            keys = written
        else:
            # An install from before a key was added: keep its keys, add the new ones.
            keys = {n: written.get(n) or keys[n] for n in SECRET_SETTINGS}
            with open(temporary, "w") as f:
                json.dump(keys, f)
            os.replace(temporary, DEV_KEYS_FILE)
    finally:
        temporary.unlink(missing_ok=True)
    return keys


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip()
    )


def redact_url(url: str) -> str:
    """A database or Redis URL fit for logs: the password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@lru_cache
def get_settings() -> Settings:
    """The process's settings; tests build their own ``Settings`` and pass them in instead."""
    return Settings()


def sqlite_path(url: str) -> str:
    """``sqlite:///./var/x.db`` -> ``./var/x.db``; ``sqlite:///:memory:`` stays in memory."""
    path = url.removeprefix("sqlite://")
    # sqlite:///relative/x.db and sqlite:////absolute/x.db, as SQLAlchemy spells them.
    if path.startswith("/"):
        path = path[1:]
    if path not in (":memory:", "") and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return path or ":memory:"
