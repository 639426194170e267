"""Request dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fitcoach.bootstrap import Services


async def get_services(request: Request) -> Services:
    """The services opened by the app's lifespan (async: FastAPI would run a plain function
    in its thread pool, a thread hop on every request)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
