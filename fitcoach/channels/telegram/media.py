"""Downloading photos and voice notes through the Bot API file endpoint into the data dir."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

from telegram import Bot

from fitcoach.channels.base import Attachment
from fitcoach.channels.telegram.inbound import MediaRef

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
"""The Bot API's getFile limit: bigger files cannot be downloaded by bots."""

_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
}
_DEFAULT_MIME = {"image": "image/jpeg", "audio": "audio/ogg"}
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


class FileTooLarge(Exception):
    """The file is over the Bot API download limit."""


def sniff_mime(data: bytes) -> str | None:
    """The MIME type from the first bytes, for the formats Telegram delivers."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3"):
        return "audio/mpeg"
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    return None


class MediaStore:
    """Fetches files by id and stores them under ``<root>/<telegram user id>/``."""

    def __init__(self, bot: Bot, root: Path, max_bytes: int = MAX_DOWNLOAD_BYTES) -> None:
        self.bot = bot
        self.root = root
        self.max_bytes = max_bytes

    async def fetch(self, ref: MediaRef, user_id: int) -> Attachment:
        """Download one file (getFile, then the file URL) and return it as an Attachment."""
        if ref.file_size is not None and ref.file_size > self.max_bytes:
            raise FileTooLarge(f"{ref.kind} of {ref.file_size} bytes")
        telegram_file = await self.bot.get_file(ref.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
        if len(data) > self.max_bytes:
            raise FileTooLarge(f"{ref.kind} of {len(data)} bytes")
        mime = sniff_mime(data) or ref.mime_type or _DEFAULT_MIME[ref.kind]
        name = _SAFE.sub("_", ref.file_unique_id) + _EXTENSIONS.get(mime, ".bin")
        path = self.root / str(user_id) / name
        await asyncio.to_thread(_write_atomically, path, data)
        return Attachment(kind=ref.kind, mime_type=mime, ref=str(path), size_bytes=len(data))


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
