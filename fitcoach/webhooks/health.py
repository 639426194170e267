"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from fitcoach.webhooks.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
@router.get("/health/ready")
async def ready(services: ServicesDep) -> JSONResponse:
    """Ready when the database answers. The memory store is reported too, but a replica
    whose memory is down still serves (turns go on without memories): "degraded"."""
    database_ok = await services.database.ping()
    memory_ok = await asyncio.to_thread(services.memory.reachable)
    status = ("ok" if memory_ok else "degraded") if database_ok else "unavailable"
    return JSONResponse(
        {
            "status": status,
            "checks": {
                "database": "ok" if database_ok else "down",
                "memory": "ok" if memory_ok else "down",
            },
            "model": services.settings.resolved_model,
        },
        status_code=200 if database_ok else 503,
    )


@router.get("/health/live")
async def live() -> dict[str, str]:
    """Alive whenever the process answers."""
    return {"status": "ok"}
