"""Settings, read from ``APPRAISALS_*`` environment variables (and ``.env``) in one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/appraisals.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPRAISALS_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    redis_namespace: str = "appraisals"
    jwt_secret: SecretStr = SecretStr("dev-only-change-me-in-production-0123456789")
    jwt_issuer: str = "appraisal-ledger"
    jwt_ttl_minutes: int = 8 * 60
    # Pseudonymisation key for analysts' output (replay); set it in production.
    pseudonym_key: SecretStr = SecretStr("dev-only-pseudonym-key")
    # HMAC key signing the audit chain's checkpoints (replay/chain.py); set it in production
    # and keep it away from the database's administrators.
    audit_key: SecretStr = SecretStr("dev-only-audit-key")
    # How often the audit chain is extended when no commit wakes it (seconds).
    audit_seal_seconds: float = Field(default=2.0, gt=0)
    pool_size: int = Field(default=10, ge=1)
    # Threads serving (synchronous) API endpoints in one process.
    worker_threads: int = Field(default=10, ge=1)
    # Recent aggregate states kept per process by the command side (see commands/states.py).
    state_cache_size: int = Field(default=20_000, ge=0)
    # How old (seconds) a cached context aggregate (a review, a cycle) may be in a rule check.
    context_cache_ttl: float = Field(default=1.0, ge=0)
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

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))


@lru_cache
def get_settings() -> Settings:
    """The process's settings; tests build their own ``Settings`` and pass them in instead."""
    return Settings()


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The ``eventsourcing`` library's environment for the configured database."""
    url = settings.database_url
    if settings.is_postgres:
        parts = urlsplit(url)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "appraisals",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
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
