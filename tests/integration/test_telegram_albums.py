"""Album items are acknowledged while the album is collected; storing the merged album waits
out a database outage instead of dropping photos Telegram will not deliver again."""

from __future__ import annotations

import asyncio
import types
from pathlib import Path
from typing import Any

from telegram import Update

from fitcoach.channels.base import InboundMessage
from fitcoach.channels.telegram.channel import TelegramChannel
from fitcoach.channels.telegram.inbound import Draft
from fitcoach.storage.outage import DatabaseUnavailable


class RestartingDatabase:
    """A conversation service whose database is restarting for the first ``down`` stores."""

    def __init__(self, down: int) -> None:
        self.down = down
        self.attempts = 0
        self.stored: list[InboundMessage] = []

    async def submit(self, message: InboundMessage, deliver: Any) -> bool:
        self.attempts += 1
        if self.attempts <= self.down:
            raise DatabaseUnavailable("the database system is starting up")
        self.stored.append(message)
        return True


def album_item(update_id: int, message_id: int) -> Update:
    data = {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": 0,
            "media_group_id": "g1",
            "caption": "lunch",
            "chat": {"id": 42, "type": "private"},
            "from": {"id": 42, "is_bot": False, "first_name": "Ada"},
            "photo": [
                {
                    "file_id": f"f{message_id}",
                    "file_unique_id": f"u{message_id}",
                    "width": 9,
                    "height": 9,
                }
            ],
        },
    }
    return Update.de_json(data, None)


async def test_an_album_is_stored_once_the_database_is_back(tmp_path: Path) -> None:
    bot = types.SimpleNamespace(id=1, username="coachbot", token="1:x")
    conversation = RestartingDatabase(down=2)
    channel = TelegramChannel(bot, conversation, tmp_path, album_quiet_s=0.1)  # type: ignore[arg-type]

    async def no_download(draft: Draft) -> tuple[list[Any], list[Any], int]:
        return [], [], 0

    channel._download = no_download  # type: ignore[method-assign]
    await channel.handle_update(album_item(1, 10))  # acknowledged: the webhook answers 200
    await channel.handle_update(album_item(2, 11))
    for _ in range(100):
        if conversation.stored:
            break
        await asyncio.sleep(0.05)
    assert conversation.attempts == 3 and channel.albums.pending == 0
    [album] = conversation.stored
    assert album.message_id == "42:album:g1" and album.text == "lunch"
