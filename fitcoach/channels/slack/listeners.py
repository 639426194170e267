"""slack-bolt listeners: parse what Slack sends, hand it on, acknowledge.

The app runs with ``process_before_response=True``: a listener finishes before bolt answers
Slack, so a message is stored (``take``) before it is acknowledged. ``take`` only stores and
schedules; the coach runs in the background, so the answer still leaves well within Slack's
three seconds.

Team commands in channels (``/coach join``, ``@Coach leaderboard``, …) and the Join / Leave
buttons go to :class:`~fitcoach.channels.slack.teams.SlackTeams` instead of the coach."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from fitcoach.channels.slack.events import (
    ACTION_PREFIX,
    ParsedMessage,
    is_direct,
    parse_action,
    parse_command,
    parse_message_event,
)
from fitcoach.channels.slack.team_commands import parse_team_command
from fitcoach.channels.slack.team_render import TEAM_ACTION_PREFIX

if TYPE_CHECKING:
    from fitcoach.channels.slack.teams import SlackTeams

log = structlog.get_logger(__name__)

WORKING_NOTE = "On it… I'll reply here in a moment."
USAGE_NOTE = "Tell me what you ate or how you trained, e.g. `/coach had 2 eggs and a banana`."
SORRY_NOTE = "Sorry, I couldn't take that right now. Please try again in a moment."


class MessageSink(Protocol):
    """Where parsed messages go (the channel): True when newly accepted."""

    async def take(self, parsed: ParsedMessage) -> bool: ...

    def chose(self, body: dict[str, Any]) -> None:
        """A choice button press was taken (its message may now lose its buttons)."""


def register_listeners(app: AsyncApp, sink: MessageSink, teams: SlackTeams | None = None) -> None:
    """Attach the event, command and action listeners to ``app``."""

    async def on_message(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        parsed = parse_message_event(
            event,
            team_id=context.team_id,
            bot_user_id=context.bot_user_id,
            event_id=body.get("event_id"),
        )
        if parsed is None:
            log.debug("slack_event_ignored", type=event.get("type"), subtype=event.get("subtype"))
            return
        channel = str(parsed.inbound.metadata["slack"]["channel"])
        command = None if is_direct(channel) else parse_team_command(parsed.inbound.text)
        if command is not None and teams is not None:
            await teams.on_mention(parsed, command)
            return
        await sink.take(parsed)

    async def on_command(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        parsed = parse_command(body, team_id=context.team_id)
        if parsed is None:
            await ack(text=USAGE_NOTE, response_type="ephemeral")
            return
        command = parse_team_command(parsed.inbound.text)
        if command is not None and teams is not None:
            try:
                reply = await teams.on_command(parsed, command)
            except Exception:
                log.exception("slack_team_command_failed", action=command.action)
                await ack(text=SORRY_NOTE, response_type="ephemeral")
                return
            if reply is None:
                await ack()
            else:
                kind = "in_channel" if reply.public else "ephemeral"
                await ack(text=reply.text, blocks=reply.blocks, response_type=kind)
            return
        if parsed.target.response_url is None:
            await ack(text=USAGE_NOTE, response_type="ephemeral")  # no way to reply privately
            return
        try:
            accepted = await sink.take(parsed)
        except Exception:
            log.exception("slack_command_not_accepted")
            await ack(text=SORRY_NOTE, response_type="ephemeral")
            return
        if accepted:
            await ack(text=WORKING_NOTE, response_type="ephemeral")
        else:
            await ack()

    async def on_action(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        parsed = parse_action(body, team_id=context.team_id)
        if parsed is not None and await sink.take(parsed):
            sink.chose(body)
        await ack()

    async def on_team_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if teams is not None:
            try:
                await teams.on_button(body)
            except Exception:
                log.exception("slack_team_button_failed")

    async def on_other_event(event: dict[str, Any]) -> None:
        # Answer 200 to anything else we are subscribed to, so Slack does not retry it.
        log.debug("slack_event_unhandled", type=event.get("type"))

    app.event("message")(on_message)
    app.event("app_mention")(on_message)
    app.command(re.compile(r"^/.+"))(on_command)
    app.action(re.compile(rf"^{ACTION_PREFIX}"))(on_action)
    app.action(re.compile(rf"^{TEAM_ACTION_PREFIX}"))(on_team_action)
    app.event(re.compile(r".*"))(on_other_event)
