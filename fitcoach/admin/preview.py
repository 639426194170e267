"""Preview: the system prompt a sample (or real) person would get, optionally with drafts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from fitcoach.admin.prompt_service import PromptService, check_document, missing_facts
from fitcoach.agent.prompts import PromptSet, file_name, parse_document
from fitcoach.storage.admin import PersonalityChoice
from fitcoach.storage.models import User


class SamplePerson(BaseModel):
    """A made-up person to render the prompt for (leave facts out to see onboarding)."""

    name: str | None = Field(default="Sam", max_length=120)
    sex: Literal["male", "female"] | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    height_cm: float | None = Field(default=None, gt=0, lt=300)
    weight_kg: float | None = Field(default=None, gt=0, lt=700)
    goal: str | None = Field(default="build strength", max_length=200)
    unit_system: Literal["metric", "imperial"] = "metric"
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class PreviewResult:
    """The rendered prompt and what it was rendered with."""

    system_prompt: str
    channel: str
    personality: str
    drafts: list[str]


async def preview_prompt(
    service: PromptService,
    *,
    channel: str = "web",
    personality: str | None = None,
    sample: SamplePerson | None = None,
    user_id: int | None = None,
    drafts: dict[str, Any] | None = None,
) -> PreviewResult:
    """Render without saving anything; drafts are validated like real edits."""
    current = await service.current()
    docs = {name: current.document(name) for name in ("coach", "personalities")}
    docs |= {name: current.document(name) for name in ("channels", "onboarding")}
    for name, content in (drafts or {}).items():
        check_document(name)
        docs[name] = parse_document(name, content, f"{file_name(name)} (draft)")
    prompt_set = PromptSet.from_documents(docs, current.versions)
    user, chosen = await _person(service, user_id, sample or SamplePerson())
    key, _ = prompt_set.personality(personality or chosen)
    from fitcoach.conversation import profile_summary  # the same line the coach gets

    text = prompt_set.compose(channel, key, profile_summary(user), missing_facts(user))
    return PreviewResult(text, channel, key, sorted(drafts or {}))


async def _person(
    service: PromptService, user_id: int | None, sample: SamplePerson
) -> tuple[User, str | None]:
    if user_id is None:
        return User(**sample.model_dump()), None
    stmt = (
        select(User, PersonalityChoice.personality)
        .outerjoin(PersonalityChoice, PersonalityChoice.user_id == User.id)
        .where(User.id == user_id)
    )
    async with service.database.session() as session:
        found = (await session.execute(stmt)).first()
    if found is None:
        raise LookupError(f"no person with id {user_id}")
    return found[0], found[1]
