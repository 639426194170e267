"""Extraction after each turn: durable facts from the person's message, stored and merged.

With a chat model: structured output (``with_structured_output``) of :class:`ExtractedFacts`,
merged with the offline rules (rules win on a shared slot). Without one: the rules alone."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal

import structlog
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel, Field
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_exponential

from fitcoach.memory.intents import detect_memory_intent
from fitcoach.memory.models import Category, Change, Fact
from fitcoach.memory.outage import memory_outage, memory_unavailable
from fitcoach.memory.rules import extract_with_rules
from fitcoach.memory.store import MemoryService

log = structlog.get_logger(__name__)

MIN_CONFIDENCE = 0.6
MEMORY_RETRY_S = 60.0
"""How long facts from a message wait for an unreachable memory store (after the reply)."""

ConstraintKind = Literal["injury", "diet", "allergy", "dislike", "condition"]

EXTRACTION_PROMPT = """You maintain the long-term memory of a fitness coach.
From the person's message, list only DURABLE facts worth remembering for months: profile
(job, schedule, family), goals, training history, diet and food preferences, progress
metrics (PRs, body fat), training preferences, motivations, and challenges (injuries,
conditions, constraints). Ignore one-off logs ("had eggs for breakfast"), questions and
small talk. Write each fact in the third person, short ("Has a bad left knee").
key: a short slot name when a newer fact should REPLACE an older one (diet, goal:weight,
injury:knee, training_time, attitude:running, work_schedule); null otherwise.
constraint_kind/constraint_value: set for injuries (body part), diet (vegetarian, vegan,
omnivore), allergies (food), dislikes (thing) and medical conditions.
Return an empty list when there is nothing durable."""


class ExtractedFact(BaseModel):
    """One durable fact, as the model reports it."""

    text: str = Field(description="The fact in the third person, under 20 words.")
    category: Category
    key: str | None = Field(default=None, description="Slot a newer fact replaces, or null.")
    confidence: float = Field(default=0.7, ge=0.0, le=1.0)
    constraint_kind: ConstraintKind | None = None
    constraint_value: str | None = None


class ExtractedFacts(BaseModel):
    """Everything durable in one message."""

    facts: list[ExtractedFact] = Field(default_factory=list)


def _to_fact(item: ExtractedFact) -> Fact | None:
    text = " ".join(item.text.split())
    if len(text) < 3 or item.confidence < MIN_CONFIDENCE:
        return None
    key = None
    if item.key:
        key = re.sub(r"[^a-z0-9:_]+", "_", item.key.lower()).strip("_")[:60] or None
    tags: tuple[str, ...] = ()
    if item.constraint_kind and item.constraint_value:
        value = item.constraint_value.strip().lower()[:60]
        tags = (f"{item.constraint_kind}:{value}",)
    return Fact(text[:300], item.category, key, item.confidence, tags)


def is_durable_candidate(message: str) -> bool:
    """False for memory commands (handled by the tools) and empty messages."""
    return bool(message.strip()) and detect_memory_intent(message) is None


SELF_REFERENCE = re.compile(
    r"\b(i|i'm|im|i've|ive|i'd|i'll|my|mine|me|myself|we|our|us)\b|\bi['’]", re.IGNORECASE
)


# First-person words that only shape a request ("how do I…", "should I…", "give me…"): they
# say nothing about the person, so they do not make a message worth a model call.
REQUEST_FORMS = re.compile(
    r"\b(?:should|shall|can|could|would|will|do|did|may|might|must)\s+(?:i|we)\b"
    r"|\b(?:give|tell|show|help|send|make|let|remind|teach)\s+(?:me|us)\b",
    re.IGNORECASE,
)


def speaks_about_self(message: str) -> bool:
    """True when the message says something about the person (first person), the only kind
    of message a durable fact can come from; the model is asked about these only.

    "how can I sleep better?" asks, "can I squat with my bad knee?" also tells."""
    return SELF_REFERENCE.search(REQUEST_FORMS.sub(" ", message)) is not None


_structured: dict[int, tuple[BaseChatModel, Runnable[Any, Any]]] = {}


def structured(model: BaseChatModel) -> Runnable[Any, Any]:
    """The model with the ExtractedFacts schema bound, built once per model (the schema
    conversion is costly and the same every turn)."""
    entry = _structured.get(id(model))
    if entry is None or entry[0] is not model:
        entry = (model, model.with_structured_output(ExtractedFacts))
        _structured[id(model)] = entry
    return entry[1]


async def extract_facts(message: str, model: BaseChatModel | None = None) -> list[Fact]:
    """Facts in one message: the rules, plus the model's structured extraction if given."""
    facts = extract_with_rules(message)
    if model is None:
        return facts
    try:
        result = await structured(model).ainvoke(
            [SystemMessage(EXTRACTION_PROMPT), HumanMessage(message)]
        )
    except Exception as exc:  # the model is optional: rules still answer
        log.warning("memory_extraction_model_failed", error_type=type(exc).__name__)
        return facts
    if not isinstance(result, ExtractedFacts):
        return facts
    keys = {f.key for f in facts if f.key}
    for item in result.facts:
        fact = _to_fact(item)
        if fact is not None and (fact.key is None or fact.key not in keys):
            facts.append(fact)
            if fact.key:
                keys.add(fact.key)
    return facts


class MemoryExtractor:
    """Runs after each turn: extracts facts from the person's message and stores them.

    The facts are stored in the background, after the reply; while the memory store is
    unreachable they are tried again for up to ``retry_s`` seconds (a Chroma restart loses
    nothing); storing a fact twice changes nothing."""

    def __init__(
        self,
        service: MemoryService,
        model: BaseChatModel | None = None,
        *,
        retry_s: float = MEMORY_RETRY_S,
    ) -> None:
        self.service = service
        self.model = model
        self.retry_s = retry_s

    async def after_turn(
        self, user_id: int, message: str, *, use_model: bool = True
    ) -> list[Change]:
        """Store the durable facts of this message for this person; never raises.

        ``use_model=False`` keeps to the rules (the turn needed no model, or it is failing)."""
        if not is_durable_candidate(message):
            return []
        try:
            ask_model = use_model and speaks_about_self(message)
            facts = await extract_facts(message, self.model if ask_model else None)
            if not facts:
                return []
            store = self.service.for_user(user_id)
            origin = "model" if self.model is not None and ask_model else "rule"

            async def save() -> list[Change]:
                return await asyncio.to_thread(
                    lambda: [store.add(f, source=message, origin=origin) for f in facts]
                )

            retrying = AsyncRetrying(
                retry=retry_if_exception(lambda e: memory_outage(e, "extraction")),
                wait=wait_exponential(multiplier=0.5, max=5),
                stop=stop_after_delay(self.retry_s),
                reraise=True,
            )
            return await retrying(save)
        except Exception as error:
            if not memory_unavailable(error):
                log.exception("memory_extraction_failed", user_id=user_id)
            return []
