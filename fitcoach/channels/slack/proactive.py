"""Proactive messages (scheduler) on Slack: the ``Deliverer`` protocol of ``fitcoach.scheduler``."""

from __future__ import annotations

import structlog
from slack_sdk.errors import SlackApiError

from fitcoach.channels.base import OutboundMessage
from fitcoach.channels.slack.delivery import SlackDelivery
from fitcoach.channels.slack.events import ReplyTarget
from fitcoach.channels.slack.teams import SlackTeamPoster
from fitcoach.scheduler.delivery import DeliveryResult
from fitcoach.storage.teams import Board, Period

log = structlog.get_logger(__name__)

CHANNEL = "slack"
UNREACHABLE = frozenset(
    {
        "account_inactive",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "user_not_found",
        "cannot_dm_bot",
    }
)


class SlackDeliverer:
    """Posts a scheduler message in the person's DM (or their shared channel), and a team
    challenge's weekly standings in its channel (the ``TeamPoster`` of the team job)."""

    def __init__(self, delivery: SlackDelivery) -> None:
        self.delivery = delivery
        self.teams = SlackTeamPoster(delivery.client)

    async def post_standings(
        self, board: Board, *, next_period: Period | None, stopped_by: str | None = None
    ) -> DeliveryResult:
        """Post a challenge's final standings (see ``fitcoach.scheduler.teams``)."""
        return await self.teams.post_standings(
            board, next_period=next_period, stopped_by=stopped_by
        )

    async def deliver(
        self, user_id: int, channel: str, conversation_id: str, message: OutboundMessage
    ) -> DeliveryResult:
        """``sent``, ``blocked`` when Slack says the person or channel is gone, else ``failed``."""
        if channel != CHANNEL:
            return DeliveryResult.failed(f"not a slack conversation: {channel}")
        target = ReplyTarget(channel=conversation_id.split(":", 1)[0])
        try:
            await self.delivery.send(target, [message])
        except SlackApiError as error:
            code = str(error.response.get("error", "")) if error.response else ""
            if code in UNREACHABLE:
                return DeliveryResult.blocked(code)
            log.warning("slack_proactive_failed", error=code or type(error).__name__)
            return DeliveryResult.failed(code or type(error).__name__)
        return DeliveryResult.sent()
