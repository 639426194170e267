"""Access policies per channel and joining identities across channels with /link."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fitcoach.access import decide_pairing, pending_pairings
from fitcoach.bootstrap import Services, open_services
from fitcoach.channels.base import InboundMessage
from fitcoach.config import get_settings


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[Services]:
    settings = get_settings(
        data_dir=tmp_path / "var",
        model="offline",
        access_policy={"telegram": "pairing", "slack": "allowlist"},
        access_allowlist={"slack:U-OK"},
    )
    async with open_services(settings) as opened:
        yield opened


async def say(services: Services, channel: str, who: str, text: str) -> str:
    message = InboundMessage(
        channel=channel,
        external_user_id=who,
        conversation_id=who,
        message_id=uuid.uuid4().hex,
        text=text,
    )
    replies = await services.conversation.handle(message)
    assert len(replies) == 1
    return replies[0].text


async def test_pairing_needs_an_admin_approval(guarded: Services) -> None:
    first = await say(guarded, "telegram", "42", "had 2 large eggs")
    assert "pairing code" in first and "143" not in first
    async with guarded.database.session() as session:
        [request] = await pending_pairings(session)
        assert request.channel == "telegram" and request.external_id == "42"
        assert await decide_pairing(session, request.pairing_code, approve=True, by="test")
    assert "143 kcal" in await say(guarded, "telegram", "42", "had 2 large eggs")


async def test_allowlist_channel_serves_only_listed_ids(guarded: Services) -> None:
    assert "private" in await say(guarded, "slack", "U-NO", "how am I doing today?")
    assert "Today" in await say(guarded, "slack", "U-OK", "how am I doing today?")


async def test_link_joins_two_channels_to_one_person(guarded: Services) -> None:
    await say(guarded, "web", "w1", "had 2 large eggs and a banana")
    offer = await say(guarded, "web", "w1", "/link")
    code = offer.split("code is ")[1].split(".")[0]
    # The same person on Telegram: a code proves whose account it is, but Telegram's policy
    # wants an admin's approval first, and a link is no way around it.
    refused = await say(guarded, "telegram", "t1", f"/link {code}")
    assert "approve" in refused and "Linked" not in refused
    assert "pairing code" in await say(guarded, "telegram", "t1", "hi")
    async with guarded.database.session() as session:
        [request] = await pending_pairings(session)
        assert await decide_pairing(session, request.pairing_code, approve=True, by="test")
    assert "Linked" in await say(guarded, "telegram", "t1", f"/link {code}")  # still valid
    assert "248 kcal" in await say(guarded, "telegram", "t1", "how am I doing today?")
    # One-time: the code cannot be used again.
    assert "expired" in await say(guarded, "web", "w2", f"/link {code}")


async def test_link_merges_the_data_of_an_existing_identity(services: Services) -> None:
    await say(services, "web", "a", "had a banana")
    await say(services, "console", "b", "had 2 large eggs")
    code = (await say(services, "web", "a", "link")).split("code is ")[1].split(".")[0]
    await say(services, "console", "b", f"link {code}")
    total = await say(services, "web", "a", "how am I doing today?")
    assert "248 kcal" in total  # 105 (banana) + 143 (eggs) now belong to one person
