"""The demo page at ``/`` and the embeddable widget's static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "channels" / "web" / "static"
ASSET_CACHE = "public, max-age=300"

router = APIRouter(tags=["web chat"])


@router.get("/", include_in_schema=False)
async def demo_page() -> FileResponse:
    """A demo page that embeds the widget with one script tag."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


@router.get("/widget.js", include_in_schema=False)
async def widget_script() -> FileResponse:
    """The embeddable chat widget (plain JavaScript, no build step)."""
    return FileResponse(
        STATIC_DIR / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": ASSET_CACHE},
    )


@router.get("/widget.css", include_in_schema=False)
async def widget_styles() -> FileResponse:
    """The widget's styles (loaded by widget.js into its shadow root)."""
    return FileResponse(
        STATIC_DIR / "widget.css", media_type="text/css", headers={"Cache-Control": ASSET_CACHE}
    )
