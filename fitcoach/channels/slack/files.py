"""User images: downloaded from Slack with the bot token, stored under the data directory."""

from __future__ import annotations

import asyncio
import mimetypes
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from fitcoach.channels.base import Attachment
from fitcoach.channels.slack.events import SlackFile

MAX_IMAGE_BYTES = 20 * 1024 * 1024
_SAFE_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")


class FileFetchError(Exception):
    """An image could not be downloaded (bad token, not an image, too large, network)."""


class ImageFetcher:
    """Downloads private Slack files; the token is only ever sent to Slack's own hosts."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token: str,
        directory: Path,
        extra_hosts: Iterable[str] = (),
        max_bytes: int = MAX_IMAGE_BYTES,
    ) -> None:
        self._http = http
        self._token = token
        self.directory = directory
        self._extra_hosts = frozenset(h.lower() for h in extra_hosts)
        self.max_bytes = max_bytes

    def trusted(self, url: str) -> bool:
        """True for https Slack hosts (and the configured API host, e.g. a local fake)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host in self._extra_hosts:
            return parts.scheme in ("http", "https")
        return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))

    async def fetch(self, file: SlackFile) -> Attachment:
        """Download ``file`` and store it; raise :class:`FileFetchError` on any failure."""
        if not self.trusted(file.url):
            raise FileFetchError("file URL is not a Slack host")
        if file.size is not None and file.size > self.max_bytes:
            raise FileFetchError("file too large")
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            async with self._http.stream("GET", file.url, headers=headers) as response:
                if response.status_code != 200:
                    raise FileFetchError(f"download answered HTTP {response.status_code}")
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                # With a bad token Slack answers 200 with its HTML sign-in page.
                if not content_type.startswith("image/"):
                    raise FileFetchError(f"download is {content_type or 'untyped'}, not an image")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data.extend(chunk)
                    if len(data) > self.max_bytes:
                        raise FileFetchError("file too large")
        except httpx.HTTPError as exc:
            raise FileFetchError(f"download failed: {type(exc).__name__}") from exc
        if not data:
            raise FileFetchError("empty download")
        path = self._path_for(file, content_type)
        await asyncio.to_thread(_write, path, bytes(data))
        return Attachment(kind="image", mime_type=content_type, ref=str(path), size_bytes=len(data))

    def _path_for(self, file: SlackFile, content_type: str) -> Path:
        stem = file.id if _SAFE_ID.match(file.id) else uuid.uuid4().hex
        extension = mimetypes.guess_extension(content_type) or ".bin"
        return self.directory.resolve() / f"{stem}{extension}"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
