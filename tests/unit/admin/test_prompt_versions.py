"""Admin overrides: versions (who/when/diff/comment), rollback, audit, replicas, rendering."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import SystemMessage

from fitcoach.admin.audit import list_audit
from fitcoach.admin.auth import Actor
from fitcoach.admin.personality_store import choose_personality
from fitcoach.admin.preview import SamplePerson, preview_prompt
from fitcoach.admin.prompt_service import PromptService
from fitcoach.agent.context import CoachContext
from fitcoach.agent.prompts import PromptError
from fitcoach.storage.database import Database
from tests.unit.admin.admin_support import RecordingChatModel, add_person, open_database

ANN = Actor("ann", "editor")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await open_database(tmp_path / "admin.db")
    yield db
    await db.dispose()


def context(user_id: int, channel: str = "web", summary: str = "") -> CoachContext:
    return CoachContext(
        user_id=user_id, channel=channel, conversation_id="c", profile_summary=summary
    )


async def test_a_version_records_who_when_diff_and_comment(database: Database) -> None:
    service = PromptService(database)
    await service.start()
    row = await service.set_fields(
        "coach", {"persona": "You are fitcoach, a calm and precise coach."}, ANN, "calmer tone"
    )
    assert (row.document, row.version, row.action, row.author) == ("coach", 1, "set", "ann")
    assert row.comment == "calmer tone" and row.created_at is not None
    assert "-persona: |-" in row.diff and "+persona: You are fitcoach, a calm" in row.diff
    assert row.diff.startswith("--- coach@v0\n+++ coach@v1")
    assert service.describe("coach").source == "override v1"
    text = await service.render_system_prompt(context(await add_person(database, "u1")))
    assert text.startswith("You are fitcoach, a calm and precise coach.")


async def test_invalid_edits_are_rejected_and_the_last_good_version_stays(
    database: Database,
) -> None:
    service = PromptService(database)
    await service.set_fields("coach", {"persona": "You are fitcoach, version one."}, ANN)
    with pytest.raises(PromptError) as caught:
        await service.set_fields("coach", {"persona": "short"}, ANN)
    (issue,) = caught.value.issues
    assert (issue.source, issue.field) == ("coach.yaml (admin edit)", "persona")
    assert "at least 10 characters" in issue.problem
    with pytest.raises(PromptError, match=r"channels.yaml \(admin edit\): channels: .*too short"):
        await service.set_fields("channels", {"channels.telegram": "tiny"}, ANN)
    with pytest.raises(PromptError, match="tone: Extra inputs are not permitted"):
        await service.set_fields("coach", {"tone": "loud and proud"}, ANN)
    with pytest.raises(PromptError, match="no change"):
        await service.set_fields("coach", {"persona": "You are fitcoach, version one."}, ANN)
    assert [r.version for r in await service.history("coach")] == [1]
    assert (await service.current()).coach.persona == "You are fitcoach, version one."


async def test_rollback_restores_the_previous_text(database: Database) -> None:
    service = PromptService(database)
    original = (await service.current()).coach.persona
    await service.set_fields("coach", {"persona": "You are fitcoach, version one."}, ANN)
    await service.set_fields("coach", {"persona": "You are fitcoach, version two."}, ANN)
    row = await service.rollback("coach", Actor("bo", "admin"), comment="two was worse")
    assert (row.version, row.action, row.restored_version, row.author) == (3, "rollback", 1, "bo")
    assert (await service.current()).coach.persona == "You are fitcoach, version one."
    assert "-persona: You are fitcoach, version two." in row.diff
    await service.rollback("coach", ANN, to_version=0)
    assert (await service.current()).coach.persona == original
    assert service.describe("coach").source == "file"
    with pytest.raises(PromptError, match="to_version: no version 9"):
        await service.rollback("coach", ANN, to_version=9)


async def test_every_change_is_in_the_audit_log(database: Database) -> None:
    service = PromptService(database)
    await service.set_fields("coach", {"persona": "You are fitcoach, audited."}, ANN, "why not")
    await service.rollback("coach", ANN, client="10.0.0.1")
    async with database.session() as session:
        entries = await list_audit(session)
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("ann", "prompt.rollback", "prompt:coach"),
        ("ann", "prompt.set", "prompt:coach"),
    ]
    assert entries[0].client == "10.0.0.1" and '"comment": "why not"' in entries[1].detail


async def test_a_change_reaches_another_replica_within_the_refresh_interval(
    database: Database,
) -> None:
    clock = Clock()
    writer = PromptService(database, clock=clock)
    reader = PromptService(database, refresh_s=2.0, clock=clock)
    user_id = await add_person(database, "u1")
    before = await reader.render_system_prompt(context(user_id))
    await writer.set_fields("coach", {"persona": "You are fitcoach, now on every replica."}, ANN)
    assert await reader.render_system_prompt(context(user_id)) == before  # cached for 2 s
    clock.now += 2.0
    after = await reader.render_system_prompt(context(user_id))
    assert after.startswith("You are fitcoach, now on every replica.")


async def test_the_persons_personality_channel_and_onboarding_are_rendered(
    database: Database,
) -> None:
    service = PromptService(database)
    new = await add_person(database, "new")
    known = await add_person(database, "known", name="Ann", goal="run a 10k")
    async with database.session() as session:
        await choose_personality(session, known, "data-driven")
    text = await service.render_system_prompt(context(new, "telegram"))
    assert "Coaching style (Supportive)" in text and "Channel style (telegram)" in text
    assert "This person is new" in text
    text = await service.render_system_prompt(context(known, "slack", "name Ann"))
    assert "Coaching style (Data-driven)" in text and "Channel style (slack)" in text
    assert "This person is new" not in text and text.endswith("About this person: name Ann")


async def test_an_edited_persona_changes_the_next_model_calls_system_prompt(
    database: Database,
) -> None:
    """What the model receives, through an agent whose middleware renders per call."""
    service = PromptService(database, refresh_s=0)
    model = RecordingChatModel()

    class RenderPrompt(AgentMiddleware[Any, CoachContext, Any]):
        async def awrap_model_call(self, request: ModelRequest[CoachContext], handler: Any) -> Any:
            system = await service.render_system_prompt(request.runtime.context)
            response: ModelResponse[Any] = await handler(
                request.override(system_message=SystemMessage(system))
            )
            return response

    agent = create_agent(model, [], middleware=[RenderPrompt()], context_schema=CoachContext)
    user_id = await add_person(database, "u1")
    await agent.ainvoke(cast(Any, {"messages": [("user", "hi")]}), context=context(user_id))
    await service.set_fields("coach", {"persona": "You are fitcoach, Coach Kim speaking."}, ANN)
    await agent.ainvoke(cast(Any, {"messages": [("user", "hi again")]}), context=context(user_id))
    assert model.systems[0].startswith("You are fitcoach, a warm")
    assert model.systems[1].startswith("You are fitcoach, Coach Kim speaking.")


async def test_preview_renders_a_sample_person_with_drafts_without_saving(
    database: Database,
) -> None:
    service = PromptService(database)
    draft = (await service.current()).coach.model_dump() | {"persona": "You are a DRAFT coach."}
    result = await preview_prompt(
        service,
        channel="telegram",
        personality="tough-love",
        sample=SamplePerson(name="Kim", goal=None),
        drafts={"coach": draft},
    )
    assert result.system_prompt.startswith("You are a DRAFT coach.")
    assert "Coaching style (Tough love)" in result.system_prompt
    assert "This person is new" in result.system_prompt  # no goal yet
    assert "About this person: name Kim" in result.system_prompt
    assert await service.history("coach") == []
    with pytest.raises(PromptError, match=r"coach.yaml \(draft\): persona"):
        await preview_prompt(service, drafts={"coach": draft | {"persona": ""}})
