"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from fitcoach.webhooks.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
@router.get("/health/ready")
async def ready(services: ServicesDep) -> JSONResponse:
    """Ready when the database answers."""
    database_ok = await services.database.ping()
    status = 200 if database_ok else 503
    return JSONResponse(
        {
            "status": "ok" if database_ok else "unavailable",
            "checks": {"database": "ok" if database_ok else "down"},
            "model": services.settings.resolved_model,
        },
        status_code=status,
    )


@router.get("/health/live")
async def live() -> dict[str, str]:
    """Alive whenever the process answers."""
    return {"status": "ok"}
