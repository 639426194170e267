"""Media groups: Telegram sends an album as one update per item; join them into one draft."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

import structlog

from fitcoach.channels.telegram.inbound import Draft
from fitcoach.storage.outage import when_reachable

log = structlog.get_logger(__name__)

QUIET_S = 1.0
"""How long after the last item of an album to wait for more."""
MAX_WAIT_S = 5.0
"""Flush an album at the latest this long after its first item."""
OUTAGE_WAIT_S = 120.0
"""How long a collected album waits for the database to store it: its items were already
acknowledged, so Telegram will not deliver them again."""


@dataclass(slots=True)
class _Album:
    parts: list[Draft] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


def merge(parts: list[Draft]) -> Draft:
    """One draft for the whole album: every item's media in order, the first caption as text.

    Its key is the media group id, so a redelivered item of a handled album is a duplicate."""
    ordered = sorted(parts, key=lambda d: d.message_id or 0)
    first = ordered[0]
    return replace(
        first,
        key=f"{first.chat_id}:album:{first.media_group_id}",
        text=next((d.text for d in ordered if d.text), ""),
        media=[ref for d in ordered for ref in d.media],
    )


class AlbumCollector:
    """Collects the items of each media group and hands the merged draft to ``flush``."""

    def __init__(
        self,
        flush: Callable[[Draft], Awaitable[None]],
        quiet_s: float = QUIET_S,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        self._flush = flush
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s
        self._albums: dict[tuple[int, str], _Album] = {}

    def add(self, draft: Draft) -> None:
        """Add one album item; the album is flushed once no item came for ``quiet_s``."""
        assert draft.media_group_id is not None
        key = (draft.chat_id, draft.media_group_id)
        album = self._albums.setdefault(key, _Album())
        if any(p.key == draft.key for p in album.parts):
            return  # the same item redelivered while collecting
        album.parts.append(draft)
        if album.task is None:
            album.task = asyncio.create_task(self._wait_and_flush(key))

    async def _wait_and_flush(self, key: tuple[int, str]) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        seen = 0
        album = self._albums[key]
        while len(album.parts) != seen and loop.time() - started < self.max_wait_s:
            seen = len(album.parts)
            await asyncio.sleep(self.quiet_s)
        await self._emit(key)

    async def _emit(self, key: tuple[int, str]) -> None:
        album = self._albums.pop(key, None)
        if album is None or not album.parts:
            return
        merged = merge(album.parts)
        try:
            await when_reachable(OUTAGE_WAIT_S, lambda: self._flush(merged))
        except Exception:
            log.exception("telegram_album_failed", items=len(album.parts))

    async def close(self) -> None:
        """Flush every album still collecting (shutdown)."""
        for key, album in list(self._albums.items()):
            if album.task is not None:
                album.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await album.task
            await self._emit(key)

    @property
    def pending(self) -> int:
        """Albums still collecting."""
        return len(self._albums)
