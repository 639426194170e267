"""How proactive messages leave the scheduler: a protocol the channel layer implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from fitcoach.channels.base import OutboundMessage

DeliveryStatus = Literal["sent", "blocked", "failed"]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """Outcome of one delivery: ``blocked`` means the person blocked the bot (e.g. HTTP 403)."""

    status: DeliveryStatus
    detail: str = ""

    @classmethod
    def sent(cls, detail: str = "") -> DeliveryResult:
        """The platform accepted the message."""
        return cls("sent", detail)

    @classmethod
    def blocked(cls, detail: str = "") -> DeliveryResult:
        """The person blocked the bot; they are marked unreachable until they write again."""
        return cls("blocked", detail)

    @classmethod
    def failed(cls, detail: str = "") -> DeliveryResult:
        """A transient failure; the occurrence is retried while its window is open."""
        return cls("failed", detail)


class Deliverer(Protocol):
    """Sends one message to a person on a channel and conversation."""

    async def deliver(
        self, user_id: int, channel: str, conversation_id: str, message: OutboundMessage
    ) -> DeliveryResult:
        """Deliver ``message``; never raise for platform errors, return ``failed`` instead."""
        ...
