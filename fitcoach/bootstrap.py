"""Wires settings into running services: database, checkpointer, model, tools, agent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from langchain_core.language_models import BaseChatModel

from fitcoach.access import AccessPolicy
from fitcoach.admin.prompt_service import PromptService
from fitcoach.agent.coach import CoachAgent
from fitcoach.agent.graph import build_agent_graph
from fitcoach.agent.models import create_chat_model
from fitcoach.agent.offline_model import OfflineChatModel
from fitcoach.agent.prompts import DEFAULT_PROMPTS_DIR, coach_prompt
from fitcoach.agent.trace_hooks import run_trace_hooks_inline
from fitcoach.config import Settings
from fitcoach.conversation import ConversationService
from fitcoach.coordination import Coordinator, create_coordinator
from fitcoach.domain.exercise.catalog import get_exercise_catalog
from fitcoach.domain.nutrition.foods import get_food_database
from fitcoach.memory import MemoryExtractor, MemoryService
from fitcoach.privacy import PrivacyService
from fitcoach.scheduler.delivery import Deliverer
from fitcoach.storage.checkpoints import checkpoint_read_ahead, open_checkpointer
from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.models import utcnow
from fitcoach.storage.outage import when_reachable
from fitcoach.tools import ToolServices, build_tools
from fitcoach.tools.memory import build_memory_tools

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Services:
    """Everything a running fitcoach process holds."""

    settings: Settings
    database: Database
    agent: CoachAgent
    conversation: ConversationService
    coordinator: Coordinator
    prompts: PromptService
    memory: MemoryService
    proactive: dict[str, Deliverer] = field(default_factory=dict)
    """Channels that can send messages nobody asked for (the scheduler's delivery)."""


def warm_up() -> None:
    """Load the food and exercise indexes before the first message needs them."""
    get_food_database()
    get_exercise_catalog()


async def close_model(model: BaseChatModel) -> None:
    """Close the model's HTTP sessions on this loop (models that hold some say so by having
    an ``aclose``); a failure is logged, shutdown goes on."""
    aclose = getattr(model, "aclose", None)
    if aclose is None:
        return
    try:
        await aclose()
    except Exception as exc:
        log.warning("model_close_failed", error_type=type(exc).__name__)


@asynccontextmanager
async def open_services(
    settings: Settings, *, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[Services]:
    """Migrate the database, open the checkpointer and build the agent; close all on exit."""
    settings.ensure_data_dir()
    url = settings.resolved_database_url
    # A replica started while PostgreSQL is not up yet (or restarting) waits for it, as a
    # turn does, instead of exiting and being restarted in a loop.
    await when_reachable(settings.db_outage_wait_s, lambda: upgrade_database_async(url))
    database = Database(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pre_ping=settings.db_pool_pre_ping,
        recycle_s=settings.db_pool_recycle_s,
    )
    coordinator = create_coordinator(settings.redis_url)
    await asyncio.to_thread(warm_up)
    run_trace_hooks_inline()
    prompt = coach_prompt(settings.prompts_dir or DEFAULT_PROMPTS_DIR)
    prompts = PromptService(database, settings.prompts_dir)
    await prompts.start()  # creates missing admin tables; loads files + overrides
    try:
        async with open_checkpointer(settings) as saver:
            model = create_chat_model(settings)
            remote = None if isinstance(model, OfflineChatModel) else model
            media_dir = settings.data_dir / "media"
            memory = MemoryService.from_settings(settings)
            tools = build_memory_tools(memory) + build_tools(
                ToolServices(
                    database=database, clock=clock, media_dir=media_dir, vision_model=remote
                ),
                prompts=prompts,
            )
            agent = CoachAgent(
                build_agent_graph(model, tools, prompt, saver, prompts=prompts),
                transcriber=remote,
                media_root=media_dir,
                read_ahead=checkpoint_read_ahead(saver),
            )
            log.info(
                "services_ready",
                model=settings.resolved_model,
                database=database.engine.dialect.name,
            )
            conversation = ConversationService(
                database,
                agent,
                media_dir,
                coordinator,
                person_limit_per_min=settings.rate_limit_person_per_min,
                access=AccessPolicy(settings.access_policy, settings.access_allowlist),
                memory=memory,
                extractor=MemoryExtractor(memory, remote),
                privacy=PrivacyService(database, memory, saver, settings.data_dir),
                lease_s=settings.inbox_lease_s,
                max_concurrent_turns=settings.max_concurrent_turns,
                role=settings.process_role,
                outage_wait_s=settings.db_outage_wait_s,
                accept_timeout_s=settings.accept_timeout_s,
            )
            try:
                yield Services(
                    settings=settings,
                    database=database,
                    agent=agent,
                    conversation=conversation,
                    coordinator=coordinator,
                    prompts=prompts,
                    memory=memory,
                )
            finally:
                try:
                    await conversation.drain()  # background turns end before their database
                finally:
                    await close_model(model)
    finally:
        await coordinator.close()
        await database.dispose()
