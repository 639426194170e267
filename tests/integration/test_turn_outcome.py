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
from fitcoach.conversation_queue import Deliver
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


def _replies_sent(services: Services) -> tuple[list[str], Deliver]:
    """The texts sent on the "test" channel, and its deliverer (registered for the sweep)."""
    sent: list[str] = []

    async def deliver(_: InboundMessage, replies: list[OutboundMessage]) -> None:
        sent.extend(reply.text for reply in replies)

    services.conversation.register_deliverer("test", deliver)
    return sent, deliver


async def _sweep_until(services: Services, done: Any, timeout: float = 20.0) -> None:
    """Run the recovery sweep as the app does (every 0.2 s here) until ``done()``."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "gave up waiting"
        await services.conversation.recover()
        await asyncio.sleep(0.2)


def _deadlock_first(monkeypatch: pytest.MonkeyPatch, times: int) -> None:
    """The first ``times`` turn records fail as a deadlock would (no outage: no waiting)."""
    real = conversation_module.finish_turn
    failures = {"left": times}

    async def deadlocked(database: Any, turn: FinishedTurn) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("UPDATE inbox …", {}, Exception("deadlock detected"))
        await real(database, turn)

    monkeypatch.setattr(conversation_module, "finish_turn", deadlocked)


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
    _deadlock_first(monkeypatch, 2)
    sent, deliver = _replies_sent(services)
    message = _message("had 2 large eggs and a banana")
    assert await services.conversation.submit(message, deliver)
    await services.conversation.drain()
    assert sent == []  # the outcome could not be stored, not even when tried again
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
    respond = services.agent.respond

    async def counted(*args: Any, **kwargs: Any) -> Any:
        runs["agent"] += 1
        return await respond(*args, **kwargs)

    async def poisoned(database: Any, turn: FinishedTurn) -> None:
        if turn.status != "failed":  # only the apology's outcome can be stored
            raise OperationalError("UPDATE inbox …", {}, Exception("value too long"))
        await real(database, turn)

    monkeypatch.setattr(services.agent, "respond", counted)
    monkeypatch.setattr(conversation_module, "finish_turn", poisoned)
    sent, deliver = _replies_sent(services)
    first, second = _message("had 2 large eggs"), _message("any tips for today?")
    assert await services.conversation.submit(first, deliver)
    assert await services.conversation.submit(second, deliver)
    await _sweep_until(services, lambda: len(sent) >= 2)
    await services.conversation.drain()
    assert sent == [FAILURE_REPLY, FAILURE_REPLY]  # each message once, in order
    assert runs["agent"] == 4  # two attempts each, then no more agent runs
    assert (await _row(services, first)).status == "failed"


async def test_a_turn_that_outlives_its_person_leaves_nothing_of_them(
    services: Services,
) -> None:
    """Ann deletes herself in one chat while a turn of hers runs in another: that turn's
    checkpoint (the whole conversation) and memories must not outlive the deletion."""
    from tests.e2e.test_privacy import say, user_id

    conversation = services.conversation
    await say(services, "ann", "hello")
    side = "ann-side"

    def side_message(text: str) -> InboundMessage:
        message = _message(text, side)
        return message.model_copy(update={"external_user_id": "ann"})

    await conversation.handle(side_message("my secret: I weigh 82 kg"))
    ann = await user_id(services, "ann")
    assert ann is not None
    saver = services.agent.graph.checkpointer
    original = saver.aput
    entered, release = asyncio.Event(), asyncio.Event()

    async def held_put(config: Any, *args: Any, **kwargs: Any) -> Any:
        if config["configurable"]["thread_id"] == f"test:{side}" and not release.is_set():
            entered.set()
            await release.wait()
        return await original(config, *args, **kwargs)

    saver.aput = held_put  # type: ignore[method-assign]
    turn = asyncio.create_task(conversation.handle(side_message("I'm vegetarian")))
    await asyncio.wait_for(entered.wait(), 10)
    await say(services, "ann", "/delete")
    assert "deleted" in (await say(services, "ann", "yes, delete everything")).text
    release.set()
    assert len(await turn) == 1  # the message that was sent still got its one reply
    await conversation.drain()
    state = await services.agent.graph.aget_state({"configurable": {"thread_id": f"test:{side}"}})
    assert state.values.get("messages", []) == []
    assert services.memory is not None
    assert services.memory.for_user(ann).count() == 0
    await conversation.handle(side_message("hi again"))  # Ann, starting afresh
    state = await services.agent.graph.aget_state({"configurable": {"thread_id": f"test:{side}"}})
    assert "82 kg" not in str([m.content for m in state.values["messages"]])


async def test_a_record_that_failed_once_is_tried_again_with_the_persons_log(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fitcoach.storage.models import MessageLog

    _deadlock_first(monkeypatch, 1)
    sent, deliver = _replies_sent(services)
    assert await services.conversation.submit(_message("had a banana"), deliver)
    await services.conversation.drain()
    assert len(sent) == 1 and "kcal" in sent[0]
    async with services.database.session() as session:
        logged = (await session.execute(select(MessageLog.direction))).scalars().all()
    assert logged == ["in", "out"]  # the exchange is in the person's log
