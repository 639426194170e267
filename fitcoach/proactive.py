"""Proactive delivery: routes scheduler messages to the channel the person last used."""

from __future__ import annotations

from fitcoach.channels.base import OutboundMessage
from fitcoach.scheduler.delivery import Deliverer, DeliveryResult


class ChannelDeliverer:
    """A ``Deliverer`` over the channel adapters that registered a proactive sender."""

    def __init__(self, senders: dict[str, Deliverer]) -> None:
        self.senders = senders

    async def deliver(
        self, user_id: int, channel: str, conversation_id: str, message: OutboundMessage
    ) -> DeliveryResult:
        """Send through the channel's own deliverer; ``failed`` when it is not running here."""
        sender = self.senders.get(channel)
        if sender is None:
            return DeliveryResult.failed(f"channel {channel!r} cannot send proactive messages")
        return await sender.deliver(user_id, channel, conversation_id, message)
