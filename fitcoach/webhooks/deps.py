"""Request dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fitcoach.bootstrap import Services


def get_services(request: Request) -> Services:
    """The services opened by the app's lifespan."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
