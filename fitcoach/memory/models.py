"""What a memory is: categories, stored memories, extracted facts, constraints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

Category = Literal[
    "profile",
    "goals",
    "workout_history",
    "nutrition_preferences",
    "progress_metrics",
    "preferences",
    "patterns",
    "motivations",
    "challenges",
]
CATEGORIES: tuple[Category, ...] = get_args(Category)
CATEGORY_LABELS: dict[str, str] = {
    "profile": "About you",
    "goals": "Goals",
    "workout_history": "Training history",
    "nutrition_preferences": "Food and diet",
    "progress_metrics": "Progress",
    "preferences": "Preferences",
    "patterns": "Habits I noticed",
    "motivations": "Motivation",
    "challenges": "Injuries and constraints",
}
Origin = Literal["rule", "model", "explicit", "pattern"]


def is_category(value: str | None) -> bool:
    """True for one of the nine memory categories."""
    return value in CATEGORIES


@dataclass(frozen=True, slots=True)
class Fact:
    """A durable fact found in a message, before it is stored.

    ``key`` names a slot whose value replaces the old one ("diet", "injury:knee"): a
    contradiction updates the existing memory instead of adding a second one."""

    text: str
    category: Category
    key: str | None = None
    confidence: float = 0.8
    tags: tuple[str, ...] = ()
    """Structured hints for :class:`Constraints`: "vegetarian", "allergy:peanuts",
    "injury:knee", "dislike:running", "resolved"."""


@dataclass(frozen=True, slots=True)
class Memory:
    """A stored memory of one person."""

    id: str
    text: str
    category: Category
    key: str | None
    source: str
    created_at: datetime
    updated_at: datetime
    confidence: float
    origin: str
    tags: tuple[str, ...] = ()
    score: float | None = None
    """Similarity to the query (1 = same direction) when it came from a search."""

    def view(self) -> dict[str, Any]:
        """JSON-ready fields for tool results."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat()
        data["tags"] = list(self.tags)
        if self.score is None:
            data.pop("score")
        else:
            data["score"] = round(self.score, 3)
        return data


@dataclass(frozen=True, slots=True)
class Change:
    """What storing one fact did: added, updated (with the old text), or unchanged."""

    action: Literal["added", "updated", "unchanged"]
    memory: Memory
    previous: str | None = None

    def view(self) -> dict[str, Any]:
        """JSON-ready fields for tool results."""
        return {
            "action": self.action,
            "text": self.memory.text,
            "category": self.memory.category,
            "previous": self.previous,
        }


@dataclass(frozen=True, slots=True)
class Constraints:
    """What plans and tools must respect: injuries, diet, allergies, dislikes, conditions."""

    injuries: list[str] = field(default_factory=list)
    diet: list[str] = field(default_factory=list)
    allergies: list[str] = field(default_factory=list)
    dislikes: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)

    @property
    def is_vegetarian(self) -> bool:
        """True for vegetarians and vegans."""
        return any(d in ("vegetarian", "vegan") for d in self.diet)

    @property
    def is_vegan(self) -> bool:
        """True for vegans."""
        return "vegan" in self.diet

    def as_dict(self) -> dict[str, list[str]]:
        """JSON-ready lists."""
        return {
            "injuries": list(self.injuries),
            "diet": list(self.diet),
            "allergies": list(self.allergies),
            "dislikes": list(self.dislikes),
            "conditions": list(self.conditions),
        }
