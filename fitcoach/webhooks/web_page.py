"""The demo page at ``/``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "channels" / "web" / "static"

router = APIRouter(tags=["web chat"])


@router.get("/", include_in_schema=False)
async def demo_page() -> FileResponse:
    """A minimal chat page that talks to ``POST /api/chat``."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
