"""On PostgreSQL a turn loads the thread's state for a pending confirmation only when the
thread may be waiting for one (a one-row check of the latest checkpoint's writes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph._internal._constants import INTERRUPT

from fitcoach.bootstrap import open_services
from fitcoach.channels.base import Attachment
from fitcoach.storage.checkpoints import INTERRUPT_CHANNEL, interrupt_probe
from tests.e2e.test_gemini_brain import PNG, ask, gemini_settings, meal_items, photo_model
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.postgres


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini(api_key="test") as server:
        yield server


def test_the_probed_channel_is_langgraphs_interrupt_channel() -> None:
    assert INTERRUPT_CHANNEL == INTERRUPT


@pytest.mark.parametrize("path", ["asyncpg driver", "checkpointer pool"])
async def test_only_a_thread_waiting_for_an_answer_loads_its_state(
    pg_url: str, tmp_path: Path, fake: FakeGemini, path: str
) -> None:
    fake.default = photo_model
    image = tmp_path / "plate.png"
    image.write_bytes(PNG)
    settings = gemini_settings(tmp_path, fake, database_url=pg_url)
    async with open_services(settings) as services:
        agent = services.agent
        if path == "checkpointer pool":  # what a database on another driver gets
            agent.may_await_answer = interrupt_probe(agent.graph.checkpointer)
        probe = agent.may_await_answer
        assert probe is not None
        assert probe.__name__ == (
            "may_await_answer_on_driver" if path == "asyncpg driver" else "may_await_answer"
        )
        probed: list[bool] = []
        loads: list[object] = []
        get_state = agent.graph.aget_state

        async def recorded_probe(thread_id: str) -> bool:
            probed.append(await probe(thread_id))
            return probed[-1]

        async def counted_get_state(config: Any, **kwargs: Any) -> Any:
            loads.append(config)
            return await get_state(config, **kwargs)

        agent.may_await_answer = recorded_probe
        agent.graph.aget_state = counted_get_state

        await ask(services, "hello")  # a new thread
        question = await ask(
            services,
            "lunch",
            images=[Attachment(kind="image", mime_type="image/png", ref=str(image))],
        )
        assert "From your photo" in question
        assert (probed, len(loads)) == ([False, False], 0)

        reply = await ask(services, "yes")  # the answer to the photo's question
        assert reply == "Done!"
        assert (probed[-1], len(loads)) == (True, 1)
        assert len(await meal_items(services)) == 2

        await ask(services, "thanks")  # nothing pending any more
        assert (probed[-1], len(loads)) == (False, 1)
