"""The contract a platform channel implements to plug into the app."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from fitcoach.bootstrap import Services
from fitcoach.config import Settings


@dataclass(frozen=True, slots=True)
class ChannelPlugin:
    """A channel's webhook router plus what it must start and stop with the app.

    ``lifespan(app, services)`` runs inside the app's lifespan once services are open (start
    the platform client there, keep it on ``app.state``); its router is mounted only when
    ``enabled(settings)`` is true."""

    name: str
    router: APIRouter
    enabled: Callable[[Settings], bool]
    lifespan: Callable[[FastAPI, Services], AbstractAsyncContextManager[None]]


def default_plugins() -> list[ChannelPlugin]:
    """The platform channels shipped with fitcoach (each starts only when configured)."""
    from fitcoach.webhooks import slack, telegram

    return [telegram.plugin, slack.plugin]
