"""HTTP tests run the real FastAPI app over the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.auth import mint_token
from appraisals.app import create_app
from appraisals.wiring import Container, build
from commands.principal import Principal
from config.settings import Settings
from testkit.scenario import Org, build_org

Auth = Callable[[Principal], dict[str, str]]


@pytest.fixture(scope="module")
def api_settings(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    blobs = tmp_path_factory.mktemp("blobs")
    return Settings(
        database_url=pg_url, context_cache_ttl=0, blob_dir=str(blobs), evidence_max_bytes=64_000
    )


@pytest.fixture(scope="module")
def api_container(api_settings: Settings) -> Iterator[Container]:
    container = build(api_settings)
    container.start()  # the in-process projection runner, as `appraisals serve` runs it
    yield container
    container.close()


@pytest.fixture(scope="module")
def client(api_container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container=api_container)) as c:
        yield c


@pytest.fixture
def org(api_container: Container) -> Org:
    built = build_org(api_container.commands)
    # Queries read read models: start each test with them current, as a client passing the
    # last command's position as ``min_position`` would.
    api_container.projections.wait_for(api_container.projections.head(), timeout=30)
    return built


@pytest.fixture(scope="module")
def auth(api_settings: Settings) -> Auth:
    def headers(principal: Principal) -> dict[str, str]:
        token = mint_token(
            principal,
            secret=api_settings.jwt_secret.get_secret_value(),
            issuer=api_settings.jwt_issuer,
        )
        return {"Authorization": f"Bearer {token}"}

    return headers
