"""Long polling (getUpdates) for local development: feeds the same handler as the webhook."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from telegram import Bot, Update
from telegram.error import Conflict, NetworkError, TelegramError

from fitcoach.channels.telegram.client import ALLOWED_UPDATES

log = structlog.get_logger(__name__)


async def poll_updates(
    bot: Bot,
    handle: Callable[[Update], Awaitable[None]],
    stop: asyncio.Event,
    *,
    timeout: int = 30,
) -> None:
    """Fetch updates until ``stop`` is set, handing each to ``handle`` in order."""
    offset: int | None = None
    backoff = 1.0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            bot.get_updates(offset=offset, timeout=timeout, allowed_updates=list(ALLOWED_UPDATES))
        )
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            break
        stopped.cancel()
        try:
            updates = fetch.result()
        except (NetworkError, Conflict) as error:  # Conflict: another poller or a webhook
            log.warning("telegram_poll_failed", error=type(error).__name__, retry_s=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 1.0
        for update in updates:
            offset = update.update_id + 1
            try:
                await handle(update)
            except Exception:
                log.exception("telegram_update_failed", update_id=update.update_id)
