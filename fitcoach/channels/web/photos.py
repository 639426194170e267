"""Photos sent from the web chat: base64 in, size-capped, type sniffed, stored on disk."""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

from pydantic import BaseModel, Field

from fitcoach.channels.base import Attachment

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}


class PhotoError(ValueError):
    """A photo that is too large (``status`` 413) or not a supported image (415)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class PhotoUpload(BaseModel):
    """A photo as the widget sends it: base64 data (a ``data:`` URL prefix is tolerated)."""

    data: str = Field(min_length=1)
    mime_type: str | None = None


def sniff_image(data: bytes) -> str | None:
    """The image type from its magic bytes (the declared type is never trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def decode_photo(upload: PhotoUpload, max_bytes: int) -> tuple[bytes, str]:
    """Decode and check a photo; returns its bytes and sniffed MIME type."""
    text = upload.data
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > (max_bytes + 2) // 3 * 4 + 4:
        raise PhotoError(413, f"photo too large (max {max_bytes} bytes)")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PhotoError(415, "photo data is not valid base64") from exc
    if len(data) > max_bytes:
        raise PhotoError(413, f"photo too large (max {max_bytes} bytes)")
    mime_type = sniff_image(data)
    if mime_type is None:
        raise PhotoError(415, "only JPEG, PNG, WebP or GIF photos are accepted")
    return data, mime_type


def store_photo(files_dir: Path, data: bytes, mime_type: str, message_id: str) -> Attachment:
    """Write the photo under ``files_dir``, named after its message; the attachment refers to
    it. A message sent again (same id) writes the same file, so the stored message's file is
    the only one and ``/delete`` finds it (the name is a hash: it does not carry the session)."""
    files_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(message_id.encode()).hexdigest()[:32]
    path = files_dir / f"{name}{EXTENSIONS[mime_type]}"
    path.write_bytes(data)
    return Attachment(kind="image", mime_type=mime_type, ref=str(path), size_bytes=len(data))
