"""A turn's outcome must be stored before its reply goes out: a reply whose turn could not be
recorded would be sent again when the message is run again (a duplicate). A message whose
outcome can never be stored gets the apology after a few attempts instead of holding its
conversation forever."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import fitcoach.conversation as conversation_module
import fitcoach.conversation_queue as queue_module
from fitcoach.bootstrap import Services
from fitcoach.channels.base import InboundMessage, OutboundMessage
from fitcoach.config import Settings, get_settings
from fitcoach.conversation import FAILURE_REPLY
from fitcoach.storage.inbox import FinishedTurn
from fitcoach.storage.models import InboxMessage


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return get_settings(
        data_dir=tmp_path / "var", model="offline", gc_freeze=False, inbox_lease_s=1.2
    )


def _message(text: str, conversation: str = "cy") -> InboundMessage:
    return InboundMessage(
        channel="test",
        external_user_id=conversation,
        conversation_id=conversation,
        message_id=uuid.uuid4().hex,
        text=text,
    )


async def _sweep_until(services: Services, done: Any, timeout: float = 20.0) -> None:
    """Run the recovery sweep as the app does (every 0.2 s here) until ``done()``."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "gave up waiting"
        await services.conversation.recover()
        await asyncio.sleep(0.2)


async def _row(services: Services, message: InboundMessage) -> InboxMessage:
    async with services.database.session() as session:
        row = await session.scalar(
            select(InboxMessage).where(InboxMessage.message_id == message.message_id)
        )
    assert row is not None
    return row


async def test_a_turn_that_could_not_be_recorded_sends_nothing_and_runs_again(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = conversation_module.finish_turn
    failures = {"left": 2}

    async def flaky(database: Any, turn: FinishedTurn) -> None:
        if failures["left"] > 0:  # e.g. a deadlock: no outage, the statement just failed
            failures["left"] -= 1
            raise OperationalError("UPDATE inbox …", {}, Exception("deadlock detected"))
        await real(database, turn)

    monkeypatch.setattr(conversation_module, "finish_turn", flaky)
    sent: list[str] = []

    async def deliver(_: InboundMessage, replies: list[OutboundMessage]) -> None:
        sent.extend(reply.text for reply in replies)

    services.conversation.register_deliverer("test", deliver)
    message = _message("had 2 large eggs and a banana")
    assert await services.conversation.submit(message, deliver)
    await services.conversation.drain()
    assert sent == []  # the outcome (with and without the person) could not be stored
    await _sweep_until(services, lambda: sent)
    await services.conversation.drain()
    assert len(sent) == 1 and "kcal" in sent[0]
    row = await _row(services, message)
    assert (row.status, row.attempts) == ("done", 2)


async def test_a_message_whose_outcome_never_stores_gets_the_apology_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_module, "MAX_TURN_ATTEMPTS", 2)
    real = conversation_module.finish_turn
    runs = {"agent": 0}

    async def poisoned(database: Any, turn: FinishedTurn) -> None:
        if turn.status != "failed":  # only the apology's outcome can be stored
            if turn.user_id is not None:
                runs["agent"] += 1
            raise OperationalError("UPDATE inbox …", {}, Exception("value too long"))
        await real(database, turn)

    monkeypatch.setattr(conversation_module, "finish_turn", poisoned)
    sent: list[str] = []

    async def deliver(_: InboundMessage, replies: list[OutboundMessage]) -> None:
        sent.extend(reply.text for reply in replies)

    services.conversation.register_deliverer("test", deliver)
    first, second = _message("had 2 large eggs"), _message("any tips for today?")
    assert await services.conversation.submit(first, deliver)
    assert await services.conversation.submit(second, deliver)
    await _sweep_until(services, lambda: len(sent) >= 2)
    await services.conversation.drain()
    assert sent == [FAILURE_REPLY, FAILURE_REPLY]  # each message once, in order
    assert runs["agent"] == 4  # two attempts each, then no more agent runs
    assert (await _row(services, first)).status == "failed"
