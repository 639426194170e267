"""Shared fixtures: isolated settings per test, opened services, an HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fitcoach.app import create_app
from fitcoach.bootstrap import Services, open_services
from fitcoach.config import Settings, get_settings

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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded settings in a fresh data directory with the offline model."""
    return get_settings(data_dir=tmp_path / "var", model="offline")


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
