"""A broken safety rule, reported to people and counted by the benchmark."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Violation:
    """``rule`` is a stable code (e.g. ``kcal_floor``); ``where`` locates it in a plan."""

    rule: str
    message: str
    where: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return asdict(self)
