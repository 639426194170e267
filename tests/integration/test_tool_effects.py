"""A turn run again (its replica died after a tool wrote, or the COMMIT's answer was lost)
changes the person's data once: the writing tools store their result under the call's
effect key with their change, and a rerun of the same message gets that result back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fitcoach.agent.context import CoachContext
from fitcoach.agent.tool_replay import tool_journal
from fitcoach.bootstrap import Services, open_services
from fitcoach.channels.base import InboundMessage
from fitcoach.config import Settings, get_settings
from fitcoach.conversation import context_for
from fitcoach.storage.models import Meal, User, utcnow
from fitcoach.storage.repositories import UserDirectory
from fitcoach.storage.tool_effects import ToolEffect, claim_tool_effect, purge_tool_effects


def _settings(engine_url: str, tmp_path: Path) -> Settings:
    return get_settings(
        data_dir=tmp_path / "var", model="offline", database_url=engine_url, gc_freeze=False
    )


async def _person(services: Services, who: str) -> CoachContext:
    async with services.database.session() as session:
        user = await UserDirectory(session).resolve("test", who)
    message = InboundMessage(
        channel="test", external_user_id=who, conversation_id=who, message_id="-", text=""
    )
    return context_for(user, message)


async def _run(services: Services, context: CoachContext, text: str, turn: str, thread: str) -> str:
    """One run of a turn; each call starts from a thread without checkpoints (as when the
    earlier run died before writing its checkpoint) and a fresh in-memory journal."""
    with tool_journal(turn=turn):
        return (await services.agent.respond(text, context, thread)).text


async def _meals(services: Services, user_id: int) -> int:
    async with services.database.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Meal).where(Meal.user_id == user_id)
        )
    return int(count or 0)


async def test_a_message_run_again_changes_the_data_once(engine_url: str, tmp_path: Path) -> None:
    async with open_services(_settings(engine_url, tmp_path)) as services:
        ann = await _person(services, "ann")
        first = await _run(services, ann, "had 2 large eggs", "test:m1", "t1")
        again = await _run(services, ann, "had 2 large eggs", "test:m1", "t2")
        assert "143 kcal" in first
        assert again == first  # the stored result, the same answer
        assert await _meals(services, ann.user_id) == 1

        # A real model asked the same message again may word the call differently: the
        # rerun's call is the same effect (same message, tool and position), not a new meal.
        reworded = await _run(services, ann, "had two large eggs", "test:m1", "t2b")
        assert reworded == first
        assert await _meals(services, ann.user_id) == 1

        # Another message with the same words is another meal.
        await _run(services, ann, "had 2 large eggs", "test:m2", "t3")
        assert await _meals(services, ann.user_id) == 2

        # "undo" run twice removes one entry, not two.
        await _run(services, ann, "undo", "test:m3", "t4")
        await _run(services, ann, "undo", "test:m3", "t5")
        assert await _meals(services, ann.user_id) == 1

        # Outside a turn with a message (no key) nothing is remembered.
        with tool_journal():
            await services.agent.respond("had a banana", ann, "t6")
        async with services.database.session() as session:
            effects = await session.scalar(select(func.count()).select_from(ToolEffect))
        assert effects == 3


@pytest.fixture
async def two_people(
    engine_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Services, CoachContext, CoachContext]]:
    async with open_services(_settings(engine_url, tmp_path)) as services:
        yield services, await _person(services, "ann"), await _person(services, "bob")


async def test_an_effect_key_never_answers_for_another_person(
    two_people: tuple[Services, CoachContext, CoachContext],
) -> None:
    services, ann, bob = two_people
    async with services.database.session() as session:
        assert await claim_tool_effect(session, ann.user_id, "k" * 64, "ann's meal") is None
    async with services.database.session() as session:
        assert await claim_tool_effect(session, ann.user_id, "k" * 64, "x") == "ann's meal"
    with pytest.raises(PermissionError):
        async with services.database.session() as session:
            await claim_tool_effect(session, bob.user_id, "k" * 64, "bob's")


async def test_old_effects_are_purged_and_a_deleted_person_leaves_none(
    two_people: tuple[Services, CoachContext, CoachContext],
) -> None:
    services, ann, bob = two_people
    async with services.database.session() as session:
        session.add(
            ToolEffect(
                key="old" + "0" * 61,
                user_id=ann.user_id,
                result="{}",
                created_at=utcnow() - timedelta(days=3),
            )
        )
        for user_id, key in ((ann.user_id, "a" * 64), (bob.user_id, "b" * 64)):
            session.add(ToolEffect(key=key, user_id=user_id, result="{}"))
    assert await purge_tool_effects(services.database, utcnow() - timedelta(days=2)) == 1
    privacy = services.conversation.privacy
    assert privacy is not None
    report = await privacy.delete(ann.user_id)
    assert report.rows["tool_effects"] == 1
    async with services.database.session() as session:
        left = list(await session.scalars(select(ToolEffect.user_id)))
        assert await session.get(User, ann.user_id) is None
    assert left == [bob.user_id]
