"""Extraction after a turn: rules offline, structured output with a model, merging."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.runnables import RunnableLambda

from fitcoach.memory.embeddings import OfflineEmbeddingFunction
from fitcoach.memory.extraction import ExtractedFact, ExtractedFacts, MemoryExtractor
from fitcoach.memory.store import MemoryService, make_chroma_client


class StructuredModel:
    """Stands in for a chat model: with_structured_output returns canned facts."""

    def __init__(self, facts: list[ExtractedFact] | Exception) -> None:
        self.facts = facts
        self.schemas: list[Any] = []
        self.calls = 0

    def with_structured_output(self, schema: Any) -> RunnableLambda[Any, ExtractedFacts]:
        self.schemas.append(schema)

        def answer(_messages: Any) -> ExtractedFacts:
            self.calls += 1
            if isinstance(self.facts, Exception):
                raise self.facts
            return ExtractedFacts(facts=self.facts)

        return RunnableLambda(answer)


@pytest.fixture
def service(tmp_path: Path) -> MemoryService:
    return MemoryService(make_chroma_client(tmp_path), OfflineEmbeddingFunction())


async def test_offline_rules_after_a_turn(service: MemoryService) -> None:
    extractor = MemoryExtractor(service)
    changes = await extractor.after_turn(1, "I'm vegetarian and I work night shifts")
    assert [c.action for c in changes] == ["added", "added"]
    assert service.for_user(1).constraints().is_vegetarian
    assert await extractor.after_turn(1, "had 2 eggs and a banana") == []


async def test_memory_commands_are_left_to_the_tools(service: MemoryService) -> None:
    extractor = MemoryExtractor(service)
    assert await extractor.after_turn(1, "forget that I hate running") == []
    assert await extractor.after_turn(1, "remember that I hate running") == []
    assert service.for_user(1).all() == []


async def test_model_facts_are_merged_with_rules(service: MemoryService) -> None:
    model = StructuredModel(
        [
            ExtractedFact(text="Vegetarian", category="nutrition_preferences", key="diet"),
            ExtractedFact(
                text="Recovering from a sprained left ankle",
                category="challenges",
                key="injury:ankle",
                confidence=0.9,
                constraint_kind="injury",
                constraint_value="ankle",
            ),
            ExtractedFact(text="Maybe likes tea", category="preferences", confidence=0.3),
        ]
    )
    extractor = MemoryExtractor(service, model)  # type: ignore[arg-type]
    await extractor.after_turn(1, "I'm vegetarian, and the ankle I sprained is still healing")
    assert model.schemas == [ExtractedFacts]
    store = service.for_user(1)
    texts = sorted(m.text for m in store.all())
    assert texts == ["Is vegetarian", "Recovering from a sprained left ankle"]
    assert store.constraints().injuries == ["Recovering from a sprained left ankle"]
    assert {m.origin for m in store.all()} == {"model"}


async def test_model_failure_falls_back_to_rules(service: MemoryService) -> None:
    extractor = MemoryExtractor(service, StructuredModel(RuntimeError("429")))  # type: ignore[arg-type]
    changes = await extractor.after_turn(1, "I hate running")
    assert [c.memory.text for c in changes] == ["Dislikes running"]


async def test_the_model_is_asked_only_about_messages_on_the_person(
    service: MemoryService,
) -> None:
    model = StructuredModel([ExtractedFact(text="Works night shifts", category="profile")])
    extractor = MemoryExtractor(service, model)  # type: ignore[arg-type]
    # A question with nothing about the person: no model call (a model call per chat turn
    # doubled the model traffic under load); the rules still run.
    assert await extractor.after_turn(1, "any tips for staying motivated this week?") == []
    # "I" only as the form of a request ("how can I…", "give me…") tells nothing either.
    assert await extractor.after_turn(1, "how can I sleep better before training days?") == []
    assert await extractor.after_turn(1, "what should I focus on? give me a plan") == []
    assert model.schemas == []
    changes = await extractor.after_turn(1, "my shifts are at night now")
    assert model.schemas == [ExtractedFacts]
    assert model.calls == 1
    assert [c.memory.text for c in changes] == ["Works night shifts"]
    await extractor.after_turn(1, "can I squat with my bad knee?")  # asks and tells
    assert model.calls == 2
