"""Imports every module that defines tables, so Alembic and create_all see the whole schema."""

from fitcoach.storage import (  # noqa: F401
    access,
    models,
    plans,
    privacy,
    scheduling,
    teams,
    tool_effects,
)
from fitcoach.storage import admin as _admin  # noqa: F401
from fitcoach.storage.models import Base

__all__ = ["Base"]
