"""On PostgreSQL a turn reads its thread's checkpoint once: the read that tells whether the
thread waits for an answer is the run's own, and the thread's state is loaded for a pending
confirmation only when there is one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph._internal._constants import INTERRUPT
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from fitcoach.bootstrap import open_services
from fitcoach.channels.base import Attachment
from fitcoach.storage.checkpoints import plain_postgres_url
from fitcoach.storage.postgres_saver import INTERRUPT_CHANNEL, InlinePostgresSaver
from tests.e2e.test_gemini_brain import PNG, ask, gemini_settings, meal_items, photo_model
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.postgres


def test_the_channel_read_is_langgraphs_interrupt_channel() -> None:
    assert INTERRUPT_CHANNEL == INTERRUPT


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini(api_key="test") as server:
        yield server


async def test_a_turn_reads_its_checkpoint_once_and_a_pending_answer_is_found(
    pg_url: str, tmp_path: Path, fake: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.default = photo_model
    image = tmp_path / "plate.png"
    image.write_bytes(PNG)
    reads: list[str] = []
    database_read = AsyncPostgresSaver.aget_tuple

    async def counted_read(self: AsyncPostgresSaver, config: Any) -> Any:
        reads.append(config["configurable"]["thread_id"])
        return await database_read(self, config)

    monkeypatch.setattr(AsyncPostgresSaver, "aget_tuple", counted_read)
    settings = gemini_settings(tmp_path, fake, database_url=pg_url)
    async with open_services(settings) as services:
        agent = services.agent
        assert isinstance(agent.graph.checkpointer, InlinePostgresSaver)
        assert agent.read_ahead is not None
        loads: list[object] = []
        get_state = agent.graph.aget_state

        async def counted_get_state(config: Any, **kwargs: Any) -> Any:
            loads.append(config)
            return await get_state(config, **kwargs)

        agent.graph.aget_state = counted_get_state

        await ask(services, "hello")  # a new thread
        assert (len(reads), len(loads)) == (1, 0)
        question = await ask(
            services,
            "lunch",
            images=[Attachment(kind="image", mime_type="image/png", ref=str(image))],
        )
        assert "From your photo" in question
        assert (len(reads), len(loads)) == (2, 0)

        reply = await ask(services, "yes")  # the answer to the photo's question
        assert reply == "Done!"
        # The read ahead found the question and served the state load; the resumed run
        # then read the checkpoint again.
        assert (len(reads), len(loads)) == (4, 1)
        assert len(await meal_items(services)) == 2

        await ask(services, "thanks")  # nothing pending any more
        assert (len(reads), len(loads)) == (5, 1)
        assert len(set(reads)) == 1


async def test_only_the_latest_checkpoint_of_that_thread_is_served(pg_url: str) -> None:
    async with AsyncConnectionPool(
        plain_postgres_url(pg_url),
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    ) as pool:
        saver = InlinePostgresSaver(pool)
        await saver.setup()
        database_reads: list[dict[str, Any]] = []
        database_read = AsyncPostgresSaver.aget_tuple

        async def counted(self: AsyncPostgresSaver, config: Any) -> Any:
            database_reads.append(config["configurable"])
            return await database_read(self, config)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(AsyncPostgresSaver, "aget_tuple", counted)
            async with saver.read_ahead("read-ahead-a") as waiting:
                assert waiting is False  # a thread with no checkpoint waits for nothing
                other = {"configurable": {"thread_id": "read-ahead-b", "checkpoint_ns": ""}}
                await saver.aget_tuple(other)  # another thread: read from the database
                sub = {"configurable": {"thread_id": "read-ahead-a", "checkpoint_ns": "x"}}
                await saver.aget_tuple(sub)  # a subgraph's namespace: read
                same = {"configurable": {"thread_id": "read-ahead-a", "checkpoint_ns": ""}}
                assert await saver.aget_tuple(same) is None  # served once, as read
                await saver.aget_tuple(same)  # then read again
            await saver.aget_tuple(same)  # outside the block: read
        assert [c["thread_id"] for c in database_reads] == [
            "read-ahead-a",
            "read-ahead-b",
            "read-ahead-a",
            "read-ahead-a",
            "read-ahead-a",
        ]
