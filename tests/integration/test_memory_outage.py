"""The Chroma server down (not started yet, or killed mid-run): the coach keeps answering.
Turns go on without the memory block, the memory tools say the memory is unreachable, a
deletion waits rather than erase half a person, readiness reports "degraded", and all of it
recovers when the server is back. A real `chroma run` server, stopped and started again."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from structlog.testing import capture_logs

from fitcoach.app import create_app
from fitcoach.bootstrap import Services
from fitcoach.channels.base import InboundMessage
from fitcoach.config import Settings, get_settings
from fitcoach.conversation import DELETE_POSTPONED, FAILURE_REPLY
from fitcoach.memory.outage import UNAVAILABLE_TEXT
from fitcoach.privacy import DELETED
from fitcoach.storage.models import Meal, User
from tests.fakes.chroma_server import ChromaServer

TIMEOUT_S = 1.0


def _settings(tmp_path: Path, chroma: ChromaServer) -> Settings:
    return get_settings(
        data_dir=tmp_path / "var",
        model="offline",
        chroma_url=chroma.url,
        embedder="offline",
        memory_timeout_s=TIMEOUT_S,
        gc_freeze=False,
    )


class Chat:
    """One person talking to the app's conversation service."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.sent = 0

    @property
    def services(self) -> Services:
        services: Services = self.client.app.state.services  # type: ignore[attr-defined]
        return services

    def say(self, text: str) -> str:
        self.sent += 1
        message = InboundMessage(
            channel="test",
            external_user_id="ann",
            conversation_id="ann",
            message_id=f"m{self.sent}",
            text=text,
        )
        replies = self.client.portal.call(  # type: ignore[union-attr]
            self.services.conversation.handle, message
        )
        assert len(replies) == 1
        assert replies[0].text != FAILURE_REPLY
        return replies[0].text

    def say_for_many(self, text: str, people: int) -> list[str]:
        """``text`` from that many other people at once; their replies."""

        async def all_at_once() -> list[str]:
            turns = [
                self.services.conversation.handle(
                    InboundMessage(
                        channel="test",
                        external_user_id=f"p{n}",
                        conversation_id=f"p{n}",
                        message_id=f"p{n}-1",
                        text=text,
                    )
                )
                for n in range(people)
            ]
            return [replies[0].text for replies in await asyncio.gather(*turns)]

        return list(self.client.portal.call(all_at_once))  # type: ignore[union-attr]

    def ready(self) -> tuple[int, dict[str, object]]:
        response = self.client.get("/health/ready")
        return response.status_code, response.json()

    def memories(self) -> list[str]:
        """What the memory store holds about the one person."""

        async def read() -> list[str]:
            async with self.services.database.session() as session:
                user_id = int(await session.scalar(select(User.id)) or 0)
            store = self.services.memory.for_user(user_id)
            return [m.text for m in await asyncio.to_thread(store.all)]

        return list(self.client.portal.call(read))  # type: ignore[union-attr]

    def count(self, model: type[Meal] | type[User]) -> int:
        async def count() -> int:
            async with self.services.database.session() as session:
                return int(await session.scalar(select(func.count()).select_from(model)) or 0)

        return int(self.client.portal.call(count))  # type: ignore[union-attr]


@contextlib.contextmanager
def _remembering(tmp_path: Path, chroma: ChromaServer) -> Iterator[Chat]:
    """The app with the Chroma server up, and a person it remembers something about."""
    assert chroma.start()
    with TestClient(create_app(_settings(tmp_path, chroma))) as client:
        chat = Chat(client)
        assert "bad knee" in chat.say("remember that I have a bad knee")
        yield chat


def test_the_coach_starts_and_answers_while_the_memory_server_is_down(
    tmp_path: Path, chroma: ChromaServer
) -> None:
    with TestClient(create_app(_settings(tmp_path, chroma))) as client:
        chat = Chat(client)
        status, body = chat.ready()
        assert status == 200 and body["status"] == "degraded"
        assert body["checks"] == {"database": "ok", "memory": "down"}

        assert "143 kcal" in chat.say("had 2 large eggs")
        assert chat.say("remember that I have a bad knee") == UNAVAILABLE_TEXT
        chat.say("I'm vegetarian")  # a fact the extractor stores after the reply

        assert chroma.start()
        assert chat.ready()[1]["status"] == "ok"
        assert "bad knee" in chat.say("remember that I have a bad knee")
        for _ in range(60):  # the extractor tries again in the background, every ≤ 5 s
            if "Is vegetarian" in chat.memories():
                break
            time.sleep(0.5)
        assert sorted(chat.memories()) == ["Has a bad knee", "Is vegetarian"]
        assert chat.count(Meal) == 1


def test_a_memory_server_lost_mid_run_costs_memories_not_replies(
    tmp_path: Path, chroma: ChromaServer
) -> None:
    with _remembering(tmp_path, chroma) as chat:
        chroma.stop()
        assert "143 kcal" in chat.say("had 2 large eggs")
        assert "143 kcal" in chat.say("how am I doing today?")
        assert chat.say("what do you remember about me?") == UNAVAILABLE_TEXT
        assert chat.ready()[1]["checks"] == {"database": "ok", "memory": "down"}
        chat.say("/delete")
        assert chat.say("yes, delete everything") == DELETE_POSTPONED
        assert chat.count(User) == 1 and chat.count(Meal) == 1  # nothing half deleted

        assert chroma.start()
        assert chat.ready()[1]["status"] == "ok"  # the probe ends the cool-down at once
        assert "bad knee" in chat.say("what do you remember about me?")
        chat.say("/delete")
        assert chat.say("yes, delete everything") == DELETED
        assert chat.count(Meal) == 0
        assert "bad knee" not in chat.say("what do you remember about me?")


def test_a_hung_memory_server_costs_the_first_turns_a_timeout_and_the_rest_nothing(
    tmp_path: Path, chroma: ChromaServer
) -> None:
    """Memory calls wait in threads: without a cool-down, 20 turns at once queued behind one
    another, each waiting out its own timeout. Now the first wave finds the server hung and
    the others go on without memories at once."""
    with _remembering(tmp_path, chroma) as chat:
        session = chat.services.memory.client._server._session  # type: ignore[attr-defined]
        assert isinstance(session, httpx.Client) and session.timeout.read == TIMEOUT_S

        chroma.pause()  # accepts connections, answers nothing
        try:
            with capture_logs() as events:
                replies = chat.say_for_many("had 2 large eggs", people=20)
        finally:
            chroma.resume()
        assert all("143 kcal" in reply for reply in replies)
        waited = [e for e in events if e["event"] == "memory_unavailable"]
        assert 1 <= len(waited) <= 8  # the first wave (the thread pool), not all 20
        assert chat.ready()[1]["status"] == "ok"
        assert "bad knee" in chat.say("what do you remember about me?")
