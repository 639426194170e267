"""Shared fixtures: isolated settings per test, opened services, an HTTP client."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fitcoach.app import create_app
from fitcoach.bootstrap import Services, open_services
from fitcoach.config import Settings, get_settings
from fitcoach.memory.outage import MEMORY_HEALTH
from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async

# Tests never reach a real model or platform, whatever the developer's shell holds.
for _var in (
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "FITCOACH_MODEL",
    "FITCOACH_DATABASE_URL",
    "FITCOACH_REDIS_URL",
    "FITCOACH_CHROMA_URL",
    "FITCOACH_MODEL_BASE_URL",
):
    os.environ.pop(_var, None)


POSTGRES_ADMIN_URL = os.environ.get(
    "FITCOACH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _memory_not_cooling_down() -> None:
    """Each test starts with the memory store's health unknown (it is process-wide)."""
    MEMORY_HEALTH.reset()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An SQLite file, then a fresh PostgreSQL database (not migrated yet)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'engine.sqlite'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def engine_database(engine_url: str) -> AsyncIterator[Database]:
    """The migrated database of ``engine_url`` (each test runs on SQLite and PostgreSQL)."""
    await upgrade_database_async(engine_url)
    opened = Database(engine_url)
    try:
        yield opened
    finally:
        await opened.dispose()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test (asyncpg URL), dropped afterwards;
    the test is skipped with the reason when PostgreSQL is not reachable."""
    asyncpg = pytest.importorskip("asyncpg")
    try:
        admin = await asyncio.wait_for(asyncpg.connect(POSTGRES_ADMIN_URL), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    name = f"fitcoach_test_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{base.split('://', 1)[1]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded settings in a fresh data directory with the offline model (no gc.freeze: the
    full collection it starts with costs ≈ 0.2 s per app in a test process)."""
    return get_settings(data_dir=tmp_path / "var", model="offline", gc_freeze=False)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    """Running services (database migrated, agent built) for one test."""
    async with open_services(settings) as opened:
        yield opened


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An HTTP client against the full app, lifespan included."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
