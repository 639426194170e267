"""Team challenges in Slack channels: the commands, the Join / Leave buttons, the posts.

``/coach challenge start …``, ``/coach join``, ``/coach leave``, ``/coach leaderboard``,
``/coach challenge stop`` (or the same after ``@Coach`` in the channel). Confirmations are
private (ephemeral); the announcement, the leaderboard and the final standings are public and
show only opted-in members. Everything but the Slack calls is in ``fitcoach.storage.teams``
and ``fitcoach.scheduler.teams`` (the weekly close, shared with ``challenge stop``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from fitcoach.access import AccessPolicy
from fitcoach.channels.slack import team_render
from fitcoach.channels.slack.background import Background
from fitcoach.channels.slack.events import (
    CHANNEL,
    ParsedMessage,
    identity,
    is_direct,
    usable_response_url,
)
from fitcoach.channels.slack.render import SlackPayload
from fitcoach.channels.slack.team_commands import GOAL_HELP, TeamCommand
from fitcoach.scheduler.delivery import DeliveryResult
from fitcoach.scheduler.teams import TeamChallengeJob
from fitcoach.storage.database import Database
from fitcoach.storage.models import utcnow
from fitcoach.storage.repositories import UserDirectory
from fitcoach.storage.teams import (
    Board,
    ChallengeExists,
    Period,
    TeamChallenges,
    week_of,
)

log = structlog.get_logger(__name__)

# Slack errors meaning the app cannot post in the channel at all.
UNREACHABLE = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "restricted_action", "access_denied"}
)
IN_CHANNELS_ONLY = (
    "Team challenges live in channels: use this in your team's channel (invite me there "
    "with `/invite @Coach`)."
)
NO_CHALLENGE = (
    "There's no challenge running in this channel. Start one with "
    "`/coach challenge start workouts` (or `minutes`, `days`, `distance`)."
)
HELP = (
    "*Team challenges*\n"
    "• `/coach challenge start workouts` — start a weekly challenge here (Mon–Sun)\n"
    "• `/coach join` / `/coach leave` — opt in or out; only people who join are shown\n"
    "• `/coach leaderboard` — post the standings in the channel\n"
    "• `/coach challenge stop` — end it now with the final standings\n" + GOAL_HELP
)


@dataclass(frozen=True, slots=True)
class TeamReply:
    """What to tell: privately (``public`` False) or to the whole channel."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    public: bool = False

    @classmethod
    def of(cls, payload: SlackPayload, *, public: bool) -> TeamReply:
        """A reply from a rendered payload."""
        return cls(payload.text, payload.blocks, public)


@dataclass(frozen=True, slots=True)
class Where:
    """Who asked, in which channel, and how to answer them privately later."""

    workspace: str
    channel: str
    user: str
    thread_ts: str | None = None
    response_url: str | None = None


class SlackTeamPoster:
    """Posts challenge messages in channels (``TeamPoster`` of the weekly job)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def announce(self, board: Board, members: int) -> DeliveryResult:
        """Post a new challenge's announcement; ``detail`` is its ts when sent."""
        return await self._post(board.channel, team_render.announcement(board, members))

    async def post_standings(
        self, board: Board, *, next_period: Period | None, stopped_by: str | None = None
    ) -> DeliveryResult:
        """Post the final standings (and the next week with Join / Leave buttons)."""
        payload = team_render.final_standings(board, next_period, stopped_by)
        return await self._post(board.channel, payload)

    async def refresh_count(self, channel: str, message: dict[str, Any], members: int) -> None:
        """Bring the participant count of a challenge message up to date."""
        ts, blocks = message.get("ts"), message.get("blocks")
        if not isinstance(ts, str) or not isinstance(blocks, list):
            return
        payload = team_render.with_count(
            SlackPayload(text=str(message.get("text") or ""), blocks=blocks), members
        )
        try:
            await self.client.chat_update(
                channel=channel, ts=ts, text=payload.text or "Team challenge", blocks=payload.blocks
            )
        except SlackApiError as exc:
            log.warning("slack_team_count_not_updated", error=_code(exc))

    async def _post(self, channel: str, payload: SlackPayload) -> DeliveryResult:
        try:
            response = await self.client.chat_postMessage(
                channel=channel, text=payload.text, blocks=payload.blocks, unfurl_links=False
            )
        except SlackApiError as exc:
            code = _code(exc)
            if code in UNREACHABLE:
                return DeliveryResult.blocked(code)
            return DeliveryResult.failed(code or "slack_error")
        return DeliveryResult.sent(str(response.get("ts") or ""))


class SlackTeams:
    """Handles team commands and buttons of one workspace install."""

    def __init__(
        self,
        database: Database,
        client: AsyncWebClient,
        session: aiohttp.ClientSession,
        background: Background,
        *,
        access: AccessPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.client = client
        self.session = session
        self.background = background
        self.access = access or AccessPolicy({}, set())
        self.clock = clock
        self.poster = SlackTeamPoster(client)
        self.job = TeamChallengeJob(
            database, {CHANNEL: self.poster}, clock, instance_id=f"slack-{uuid.uuid4().hex[:8]}"
        )

    # ------------------------------------------------------------------ entry points
    async def on_command(self, parsed: ParsedMessage, command: TeamCommand) -> TeamReply | None:
        """A ``/coach`` team command: the reply to ack with (None: ack with nothing)."""
        return await self.run(_where(parsed), command)

    async def on_mention(self, parsed: ParsedMessage, command: TeamCommand) -> None:
        """``@Coach join`` etc. in a channel: handled once (both event copies and Slack's
        redeliveries share the message id); the answer follows in the background."""
        where = _where(parsed)
        async with self.database.session() as session:
            key = f"{CHANNEL}:{parsed.inbound.message_id}"
            if not await TeamChallenges(session).receive(key):
                return
        self.background.spawn(self._answer(where, command), "slack_team_mention")

    async def _answer(self, where: Where, command: TeamCommand) -> None:
        reply = await self.run(where, command)
        if reply is not None:
            await self.tell(where, reply)

    async def on_button(self, body: dict[str, Any]) -> None:
        """A press of Join / Leave: stored at once; the confirmation (private) and the
        message's participant count follow in the background."""
        action = _team_action(body)
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id")
        workspace = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
        if action is None or not isinstance(user, str) or not isinstance(channel, str):
            return
        where = Where(
            str(workspace or "-"),
            channel,
            user,
            response_url=usable_response_url(body.get("response_url")),
        )
        joining = action.get("action_id") == team_render.JOIN_ACTION
        reply = await self.run(where, TeamCommand("join" if joining else "leave"))
        async with self.database.session() as session:
            repo = TeamChallenges(session)
            challenge = await repo.active(CHANNEL, where.workspace, channel)
            members = await repo.member_count(challenge.id) if challenge else None
        message = body.get("message")
        self.background.spawn(
            self._after_button(
                where, reply, message if isinstance(message, dict) else None, members
            ),
            "slack_team_button",
        )

    async def _after_button(
        self,
        where: Where,
        reply: TeamReply | None,
        message: dict[str, Any] | None,
        members: int | None,
    ) -> None:
        if reply is not None:
            await self.tell(where, reply)
        if message is not None and members is not None:
            await self.poster.refresh_count(where.channel, message, members)

    # ------------------------------------------------------------------ commands
    async def run(self, where: Where, command: TeamCommand) -> TeamReply | None:
        """Carry out a command; the private or public reply, None when it replies later."""
        if is_direct(where.channel):
            return TeamReply(IN_CHANNELS_ONLY)
        if command.error:
            return TeamReply(command.error)
        handler = {
            "start": self._start,
            "stop": self._stop,
            "status": self._status,
            "join": self._join,
            "leave": self._leave,
            "leaderboard": self._leaderboard,
        }[command.action]
        return await handler(where, command)

    async def _start(self, where: Where, command: TeamCommand) -> TeamReply | None:
        async with self.database.session() as session:
            starter = await UserDirectory(session).find(
                CHANNEL, identity(where.workspace, where.user)
            )
            timezone = command.timezone or (starter.timezone if starter else None) or "UTC"
            repo = TeamChallenges(session)
            period = week_of(self.clock(), timezone)
            try:
                challenge = await repo.start(
                    CHANNEL,
                    where.workspace,
                    where.channel,
                    command.goal,
                    period,
                    recurring=command.recurring,
                )
            except ChallengeExists:
                running = await repo.active(CHANNEL, where.workspace, where.channel)
                what = team_render.title(running.goal) if running else "a"
                return TeamReply(
                    f"There's already a *{what}* challenge running here. "
                    "`/coach challenge stop` ends it (with the final standings)."
                )
            board = await repo.board(challenge)
        self.background.spawn(self._announce(where, board), "slack_team_announce")
        return None

    async def _announce(self, where: Where, board: Board) -> None:
        result = await self.poster.announce(board, 0)
        async with self.database.session() as session:
            repo = TeamChallenges(session)
            if result.status == "sent":
                await repo.set_message(board.challenge_id, result.detail or None)
                return
            await repo.discard(board.challenge_id)
        log.warning("slack_team_announce_failed", detail=result.detail)
        why = (
            "I'm not in this channel, so I can't post the challenge here. Invite me with "
            "`/invite @Coach`, then start it again."
            if result.status == "blocked"
            else "Slack didn't take the announcement, so I didn't start the challenge. "
            "Please try again in a moment."
        )
        await self.tell(where, TeamReply(why))

    async def _stop(self, where: Where, _: TeamCommand) -> TeamReply | None:
        async with self.database.session() as session:
            challenge = await TeamChallenges(session).active(
                CHANNEL, where.workspace, where.channel
            )
        if challenge is None:
            return TeamReply(NO_CHALLENGE)
        self.background.spawn(self._finish(where, challenge.id), "slack_team_stop")
        return None

    async def _finish(self, where: Where, challenge_id: int) -> None:
        outcome = await self.job.finish(challenge_id, stop=True, stopped_by=where.user)
        if outcome == "lost":
            await self.tell(where, TeamReply("That challenge is being closed right now."))

    async def _status(self, where: Where, _: TeamCommand) -> TeamReply:
        async with self.database.session() as session:
            repo = TeamChallenges(session)
            challenge = await repo.active(CHANNEL, where.workspace, where.channel)
            if challenge is None:
                return TeamReply(f"{NO_CHALLENGE}\n\n{HELP}")
            user = await UserDirectory(session).find(CHANNEL, identity(where.workspace, where.user))
            member = user is not None and await repo.is_member(challenge.id, user.id)
            count = await repo.member_count(challenge.id)
            board = await repo.board(challenge)
        you = "You're taking part." if member else "You haven't joined: `/coach join`."
        return TeamReply(
            f"*{team_render.title(challenge.goal)}* challenge, "
            f"{team_render.period_label(board.period)} ({challenge.timezone}); "
            f"{count} taking part. {you}\n\n{HELP}"
        )

    async def _leaderboard(self, where: Where, _: TeamCommand) -> TeamReply:
        async with self.database.session() as session:
            repo = TeamChallenges(session)
            challenge = await repo.active(CHANNEL, where.workspace, where.channel)
            if challenge is None:
                return TeamReply(NO_CHALLENGE)
            board = await repo.board(challenge)
        ended = board.period.ends_at <= self.clock()
        return TeamReply.of(team_render.leaderboard(board, ended=ended), public=True)

    async def _join(self, where: Where, _: TeamCommand) -> TeamReply:
        external = identity(where.workspace, where.user)
        async with self.database.session() as session:
            repo = TeamChallenges(session)
            challenge = await repo.active(CHANNEL, where.workspace, where.channel)
            if challenge is None:
                return TeamReply(NO_CHALLENGE)
            decision = await self.access.check(session, CHANNEL, external, None)
            if not decision.allowed:
                return TeamReply(decision.reply)
            user = await UserDirectory(session).resolve(CHANNEL, external)
            joined = await repo.join(challenge.id, user.id, where.user)
        what = team_render.title(challenge.goal)
        if not joined:
            return TeamReply(f"You're already in the *{what}* challenge here.")
        return TeamReply(
            f"You're in the *{what}* challenge! Everything you log with me this week counts "
            "(DM me, or `/coach ran 5 km`). Only your total is shown here, and only while "
            "you take part: `/coach leave` any time."
        )

    async def _leave(self, where: Where, _: TeamCommand) -> TeamReply:
        async with self.database.session() as session:
            repo = TeamChallenges(session)
            challenge = await repo.active(CHANNEL, where.workspace, where.channel)
            user = await UserDirectory(session).find(CHANNEL, identity(where.workspace, where.user))
            left = bool(challenge and user and await repo.leave(challenge.id, user.id))
        if not left:
            return TeamReply("You weren't taking part in a challenge here.")
        return TeamReply(
            "You've left the challenge: you won't appear on this channel's leaderboard. "
            "`/coach join` to come back."
        )

    # ------------------------------------------------------------------ replies
    async def tell(self, where: Where, reply: TeamReply) -> None:
        """Send a reply outside an ack: public in the channel (thread), private otherwise."""
        try:
            if reply.public:
                await self.client.chat_postMessage(
                    channel=where.channel,
                    thread_ts=where.thread_ts,
                    text=reply.text,
                    blocks=reply.blocks,
                    unfurl_links=False,
                )
            elif where.response_url:
                webhook = AsyncWebhookClient(url=where.response_url, session=self.session)
                await webhook.send(
                    text=reply.text,
                    blocks=reply.blocks,
                    response_type="ephemeral",
                    replace_original=False,
                )
            else:
                await self.client.chat_postEphemeral(
                    channel=where.channel,
                    user=where.user,
                    thread_ts=where.thread_ts,
                    text=reply.text,
                    blocks=reply.blocks,
                )
        except SlackApiError as exc:
            log.warning("slack_team_reply_failed", error=_code(exc))


def _team_action(body: dict[str, Any]) -> dict[str, Any] | None:
    for action in body.get("actions") or []:
        if isinstance(action, dict) and str(action.get("action_id", "")).startswith(
            team_render.TEAM_ACTION_PREFIX
        ):
            return action
    return None


def _where(parsed: ParsedMessage) -> Where:
    slack = parsed.inbound.metadata.get("slack") or {}
    workspace, _, user = parsed.inbound.external_user_id.partition(":")
    return Where(
        workspace=workspace,
        channel=str(slack.get("channel") or parsed.target.channel),
        user=user,
        thread_ts=parsed.target.thread_ts,
        response_url=parsed.target.response_url,
    )


def _code(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error", ""))
    except Exception:
        return ""
