"""create_app(): the FastAPI application and its lifespan wiring."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

import structlog
from fastapi import FastAPI

from fitcoach.bootstrap import Services, open_services
from fitcoach.config import Settings, get_settings
from fitcoach.gc_tuning import freeze_long_lived, set_thresholds, watch_collections
from fitcoach.proactive import ChannelDeliverer
from fitcoach.scheduler import ProactiveScheduler, SchedulerSettings
from fitcoach.storage.models import utcnow
from fitcoach.storage.outage import log_job_failure
from fitcoach.webhooks import admin, chat_api, health, metrics, web_page
from fitcoach.webhooks.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from fitcoach.webhooks.outage import answer_outages_with_503
from fitcoach.webhooks.plugins import ChannelPlugin, default_plugins


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    plugins: list[ChannelPlugin] | None = None,
) -> FastAPI:
    """Build the app; services and enabled channels start on startup and stop on shutdown."""
    settings = settings or get_settings()
    enabled = [
        p for p in (default_plugins() if plugins is None else plugins) if p.enabled(settings)
    ]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(settings, clock=clock) as services, AsyncExitStack() as stack:
            app.state.services = services
            for plugin in enabled:
                await stack.enter_async_context(plugin.lifespan(app, services))
            background = [asyncio.create_task(_recovery_loop(services))]
            if settings.process_role == "worker":
                background.append(asyncio.create_task(services.conversation.work_handed_off()))
            scheduler = _start_scheduler(services, clock)
            await services.conversation.warm_up(settings.redis_warm_connections)
            watch_collections()
            python_thresholds = gc.get_threshold()
            set_thresholds(settings.gc_thresholds)
            if settings.gc_freeze:
                log.info("gc_frozen", objects=freeze_long_lived())
            try:
                yield
            finally:
                if settings.gc_freeze:
                    gc.unfreeze()  # what start-up held may be garbage once services close
                set_thresholds(python_thresholds)
                # Stop background work and wait for it *before* the database closes: a task
                # cancelled mid-query must finish its rollback while connections still exist.
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
                if scheduler is not None:
                    await scheduler.shutdown()
                await services.conversation.drain()

    app = FastAPI(title="fitcoach", version="0.1.0", lifespan=lifespan)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    answer_outages_with_503(app)
    # Routes are matched in order: the platforms' webhooks, the busiest, come first.
    for plugin in enabled:
        app.include_router(plugin.router)
    app.include_router(chat_api.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(web_page.router)
    app.include_router(admin.router)
    return app


def _start_scheduler(
    services: Services, clock: Callable[[], datetime]
) -> ProactiveScheduler | None:
    if not services.settings.scheduler_enabled:
        return None
    scheduler = ProactiveScheduler(
        services.database,
        ChannelDeliverer(services.proactive),
        clock=clock,
        settings=SchedulerSettings.from_settings(services.settings),
    )
    scheduler.start()
    return scheduler


log = structlog.get_logger(__name__)


async def _recovery_loop(services: Services) -> None:
    """Take over messages left unfinished by a replica that died (after their lease)."""
    while True:
        try:
            await services.conversation.recover()
        except Exception as error:
            log_job_failure(log, "recovery_sweep_failed", error)
        await asyncio.sleep(services.settings.recovery_sweep_s)
