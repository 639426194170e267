"""Programmatic Alembic: apply migrations to the configured database."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Alembic's environment is process-global: one upgrade at a time per process. Replicas are
# separate processes and serialise on a PostgreSQL advisory lock instead (see env.py).
_UPGRADE_LOCK = threading.Lock()


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and the given URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Upgrade the schema (blocking; safe to call while replicas start at once on PostgreSQL)."""
    with _UPGRADE_LOCK:
        command.upgrade(alembic_config(database_url), revision)


async def upgrade_database_async(database_url: str, revision: str = "head") -> None:
    """Upgrade from inside a running event loop (Alembic's env starts its own loop)."""
    await asyncio.to_thread(upgrade_database, database_url, revision)
