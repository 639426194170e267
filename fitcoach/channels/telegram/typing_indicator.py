"""The "typing…" indicator while the coach works on an answer."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

log = structlog.get_logger(__name__)

REFRESH_S = 4.5  # Telegram shows the action for about 5 s
MAX_S = 60.0


class TypingIndicator:
    """Sends ``typing`` after ``delay_s`` and every few seconds until stopped (or a minute
    passes); a reply faster than the delay shows no indicator and costs no API call."""

    def __init__(
        self, bot: Bot, refresh_s: float = REFRESH_S, max_s: float = MAX_S, delay_s: float = 0.0
    ) -> None:
        self.bot = bot
        self.refresh_s = refresh_s
        self.max_s = max_s
        self.delay_s = delay_s
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, key: str, chat_id: int, thread_id: int | None = None) -> None:
        """Show typing in ``chat_id`` for the message ``key``."""
        if key not in self._tasks:
            task = asyncio.create_task(self._run(chat_id, thread_id))
            self._tasks[key] = task
            task.add_done_callback(lambda _: self._tasks.pop(key, None))

    def stop(self, key: str) -> None:
        """The answer is going out: stop refreshing."""
        task = self._tasks.pop(key, None)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        """Stop all indicators."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, chat_id: int, thread_id: int | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_s
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        while loop.time() < deadline:
            try:
                await self.bot.send_chat_action(
                    chat_id, ChatAction.TYPING, message_thread_id=thread_id
                )
            except TelegramError as error:
                log.debug("telegram_typing_failed", error=type(error).__name__)
                return
            await asyncio.sleep(self.refresh_s)
