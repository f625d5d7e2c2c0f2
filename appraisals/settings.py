"""Settings, read from ``APPRAISALS_*`` environment variables (and ``.env``) in one place."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/appraisals.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPRAISALS_", env_file=".env", extra="ignore")

    # production refuses development secrets (see docs/deployment.md).
    env: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    redis_namespace: str = "appraisals"
    jwt_secret: SecretStr = SecretStr("dev-only-change-me-in-production-0123456789")
    jwt_issuer: str = "appraisal-ledger"
    jwt_ttl_minutes: int = 8 * 60
    # Pseudonymisation key for analysts' output (replay); set it in production.
    pseudonym_key: SecretStr = SecretStr("dev-only-pseudonym-key")
    # The Ed25519 private key signing audit checkpoints (PEM, mode 0600) and the keyring of
    # every public key ever used (appraisals/audit_keys.py). Required in production; in
    # development both live under ./var/, generated on first use.
    audit_signing_key_file: Path | None = None
    audit_public_keys_file: Path | None = None
    # How often the audit chain is extended when no commit wakes it (seconds).
    audit_seal_seconds: float = Field(default=2.0, gt=0)
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

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@lru_cache
def get_settings() -> Settings:
    """The process's settings; tests build their own ``Settings`` and pass them in instead."""
    return Settings()


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The ``eventsourcing`` library's environment for the configured database."""
    url = settings.database_url
    if settings.is_postgres:
        from projections.db_postgres import libpq_conninfo, libpq_params

        params = libpq_params(url)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            # The library takes these five separately; POSTGRES_CONNINFO (read by
            # commands/store.py) carries every other libpq parameter to the same pool.
            "POSTGRES_DBNAME": params["dbname"],
            "POSTGRES_HOST": params["host"],
            "POSTGRES_PORT": params.get("port", "5432"),
            "POSTGRES_USER": params["user"],
            "POSTGRES_PASSWORD": params.get("password", ""),
            "POSTGRES_CONNINFO": libpq_conninfo(url),
            "POSTGRES_POOL_SIZE": str(settings.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.pool_size),
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        }
    elif url.startswith("sqlite://"):
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sqlite_path(url)}
    else:
        raise ValueError(
            f"APPRAISALS_DATABASE_URL must start with sqlite:// or postgresql://, got {url!r}"
        )
    return env


def sqlite_path(url: str) -> str:
    """``sqlite:///./var/x.db`` -> ``./var/x.db``; ``sqlite:///:memory:`` stays in memory."""
    path = url.removeprefix("sqlite://")
    # sqlite:///relative/x.db and sqlite:////absolute/x.db, as SQLAlchemy spells them.
    if path.startswith("/"):
        path = path[1:]
    if path not in (":memory:", "") and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return path or ":memory:"
