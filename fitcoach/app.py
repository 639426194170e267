"""create_app(): the FastAPI application and its lifespan wiring."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI

from fitcoach.bootstrap import open_services
from fitcoach.config import Settings, get_settings
from fitcoach.storage.models import utcnow
from fitcoach.webhooks import chat_api, health, web_page


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    """Build the app; services open on startup and close on shutdown."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(settings, clock=clock) as services:
            app.state.services = services
            yield

    app = FastAPI(title="fitcoach", version="0.1.0", lifespan=lifespan)
    app.include_router(health.router)
    app.include_router(chat_api.router)
    app.include_router(web_page.router)
    return app
