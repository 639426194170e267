"""Proactive coaching: plans each person's local day, claims due work, delivers once."""

from fitcoach.scheduler.config import SchedulerSettings
from fitcoach.scheduler.delivery import Deliverer, DeliveryResult
from fitcoach.scheduler.engine import Compose, TickEngine, TickReport
from fitcoach.scheduler.scheduler import ProactiveScheduler
from fitcoach.scheduler.triggers import TriggerContext

__all__ = [
    "Compose",
    "Deliverer",
    "DeliveryResult",
    "ProactiveScheduler",
    "SchedulerSettings",
    "TickEngine",
    "TickReport",
    "TriggerContext",
]
