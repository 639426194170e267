"""ConversationService: the one place that joins channels and the agent.

InboundMessage → user from the verified channel identity → agent → OutboundMessage(s).
Messages of one conversation are handled in order; every message gets exactly one reply."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import structlog

from fitcoach.agent.coach import AgentReply, CoachAgent
from fitcoach.agent.context import CoachContext
from fitcoach.channels.base import Button, InboundMessage, OutboundMessage
from fitcoach.storage.database import Database
from fitcoach.storage.models import User
from fitcoach.storage.repositories import MessageHistory, UserDirectory

log = structlog.get_logger(__name__)

FAILURE_REPLY = (
    "Sorry, something went wrong on my side and I couldn't process that. Nothing was lost; "
    "please try again in a moment."
)


class ConversationService:
    """Handles inbound messages from any channel."""

    def __init__(self, database: Database, agent: CoachAgent) -> None:
        self.database = database
        self.agent = agent
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle(self, message: InboundMessage) -> list[OutboundMessage]:
        """Process one message and return the replies to send (always at least one)."""
        thread_id = f"{message.channel}:{message.conversation_id}"
        async with self._locks[thread_id]:
            async with self.database.session() as session:
                user = await UserDirectory(session).resolve(
                    message.channel, message.external_user_id, name=message.user_name
                )
                await MessageHistory(session, user.id).record(
                    channel=message.channel,
                    conversation_id=message.conversation_id,
                    direction="in",
                    text=message.text,
                    external_message_id=message.message_id,
                )
                context = context_for(user, message)
            try:
                reply = await self.agent.respond(message.text, context, thread_id)
            except Exception:
                log.exception("agent_failed", channel=message.channel, user_id=context.user_id)
                reply = AgentReply(text=FAILURE_REPLY)
            async with self.database.session() as session:
                await MessageHistory(session, context.user_id).record(
                    channel=message.channel,
                    conversation_id=message.conversation_id,
                    direction="out",
                    text=reply.text,
                )
        log.info(
            "message_handled",
            channel=message.channel,
            user_id=context.user_id,
            tools=reply.tools_called,
            routes=reply.routes,
        )
        return [to_outbound(reply)]


def context_for(user: User, message: InboundMessage) -> CoachContext:
    """The trusted context for this user on this channel."""
    return CoachContext(
        user_id=user.id,
        channel=message.channel,
        conversation_id=message.conversation_id,
        timezone=user.timezone or "UTC",
        unit_system=user.unit_system or "metric",
        profile_summary=profile_summary(user),
    )


def profile_summary(user: User) -> str:
    """A one-line profile for the system prompt (no ids, only what the person told us)."""
    facts = []
    if user.name:
        facts.append(f"name {user.name}")
    if user.sex:
        facts.append(user.sex)
    if user.birth_year:
        facts.append(f"born {user.birth_year}")
    if user.height_cm:
        facts.append(f"{user.height_cm:g} cm")
    if user.weight_kg:
        facts.append(f"{user.weight_kg:g} kg")
    if user.goal:
        facts.append(f"goal: {user.goal}")
    facts.append(f"prefers {user.unit_system or 'metric'} units, timezone {user.timezone or 'UTC'}")
    return "; ".join(facts)


def to_outbound(reply: AgentReply) -> OutboundMessage:
    """The agent reply as a channel-neutral message with quick replies for options."""
    buttons = [
        Button(label=f"{i}. {name}", value=str(i)) for i, name in enumerate(reply.options, 1)
    ]
    return OutboundMessage(text=reply.text, buttons=buttons)
