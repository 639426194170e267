"""The web chat's settings, read defensively from :class:`~fitcoach.config.Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MAX_PHOTO_BYTES = 1_500_000
"""Decoded photo cap; base64 inflates by 4/3, so it fits the default 2 MiB body limit."""


@dataclass(frozen=True, slots=True)
class WebChatConfig:
    """What the web routes need: the user-token secret, allowed origins, photo limits, and
    where uploaded photos (``files_dir``) and people's media such as charts (``media_dir``,
    one folder per user id) live."""

    user_secret: bytes | None
    allowed_origins: frozenset[str]
    max_photo_bytes: int
    files_dir: Path
    media_dir: Path


def web_config(settings: Any) -> WebChatConfig:
    """Build the web chat config (settings may predate the ``web_*`` fields)."""
    secret = getattr(settings, "web_user_secret", None)
    if secret is not None and hasattr(secret, "get_secret_value"):
        secret = secret.get_secret_value()
    origins = getattr(settings, "web_allowed_origins", None) or []
    if isinstance(origins, str):
        origins = origins.split(",")
    body_cap = int(getattr(settings, "max_body_bytes", DEFAULT_MAX_PHOTO_BYTES * 2))
    photo_cap = int(getattr(settings, "web_max_photo_bytes", DEFAULT_MAX_PHOTO_BYTES))
    return WebChatConfig(
        user_secret=secret.encode("utf-8") if secret else None,
        allowed_origins=frozenset(normalise_origin(o) for o in origins if o.strip()),
        max_photo_bytes=min(photo_cap, body_cap * 3 // 4 - 4096),
        files_dir=Path(settings.data_dir) / "files" / "web",
        media_dir=Path(settings.data_dir) / "media",
    )


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, without a trailing slash."""
    return origin.strip().rstrip("/").lower()
