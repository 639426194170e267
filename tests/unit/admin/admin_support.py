"""Helpers shared by the admin tests: a migrated SQLite database, people, a recording model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import Field

from fitcoach.storage import admin as admin_tables  # noqa: F401
from fitcoach.storage import all_models  # noqa: F401  (every table module)
from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.models import Base
from fitcoach.storage.repositories import Profiles, UserDirectory


async def open_database(path: Path) -> Database:
    """A migrated SQLite database with every table (admin ones included)."""
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_database_async(url)
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    return database


async def add_person(
    database: Database, external_id: str, channel: str = "web", **profile: Any
) -> int:
    """A person known on a channel, with some profile facts."""
    async with database.session() as session:
        user = await UserDirectory(session).resolve(channel, external_id)
        if profile:
            await Profiles(session, user.id).update(**profile)
        return user.id


class RecordingChatModel(BaseChatModel):
    """Answers "ok" and records the system prompt of every call."""

    systems: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recording"

    def bind_tools(
        self, tools: Sequence[Any], **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        system = next((str(m.content) for m in messages if isinstance(m, SystemMessage)), "")
        self.systems.append(system)
        return ChatResult(generations=[ChatGeneration(message=AIMessage("ok"))])
