"""Contraindicated exercises per injury, from ``fitcoach/data/contraindications.yaml``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from fitcoach.domain.exercise.catalog import Exercise

_FIELDS = ("ids", "categories", "keywords", "equipment", "primary_muscles", "force", "mechanic")


@dataclass(frozen=True, slots=True)
class Rule:
    """All present conditions must hold (empty tuple = no condition on that field)."""

    ids: frozenset[str]
    categories: frozenset[str]
    keywords: tuple[re.Pattern[str], ...]
    equipment: frozenset[str]
    primary_muscles: frozenset[str]
    force: frozenset[str]
    mechanic: frozenset[str]

    def matches(self, exercise: Exercise, name: str) -> bool:
        """True when every condition of the rule holds for the exercise."""
        checks = (
            not self.ids or exercise.id in self.ids,
            not self.categories or exercise.category in self.categories,
            not self.keywords or any(k.search(name) for k in self.keywords),
            not self.equipment or (exercise.equipment or "") in self.equipment,
            not self.primary_muscles or bool(self.primary_muscles & set(exercise.primary_muscles)),
            not self.force or (exercise.force or "") in self.force,
            not self.mechanic or (exercise.mechanic or "") in self.mechanic,
        )
        return all(checks)


@dataclass(frozen=True, slots=True)
class InjuryRules:
    """Rules and the explanation for one injury or limitation."""

    injury: str
    aliases: tuple[str, ...]
    reason: str
    advice: str
    rules: tuple[Rule, ...]


def normalize_name(text: str) -> str:
    """Lower case, ``-``/``_``/``/`` as spaces, single spaces."""
    return " ".join(re.sub(r"[-_/]", " ", text.lower()).split())


def _rule(raw: dict[str, Any]) -> Rule:
    unknown = set(raw) - set(_FIELDS)
    if unknown:
        raise ValueError(f"unknown contraindication rule keys: {sorted(unknown)}")

    def values(key: str) -> frozenset[str]:
        return frozenset(str(v) for v in raw.get(key) or ())

    keywords = tuple(
        re.compile(r"\b" + re.escape(normalize_name(str(k))) + r"(?:s|es|ing)?\b")
        for k in raw.get("keywords") or ()
    )
    return Rule(
        ids=values("ids"),
        categories=values("categories"),
        keywords=keywords,
        equipment=values("equipment"),
        primary_muscles=values("primary_muscles"),
        force=values("force"),
        mechanic=values("mechanic"),
    )


@lru_cache(maxsize=1)
def load_contraindications() -> dict[str, InjuryRules]:
    """The table, keyed by canonical injury name."""
    text = (resources.files("fitcoach") / "data" / "contraindications.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    table: dict[str, InjuryRules] = {}
    for injury, spec in data.items():
        table[str(injury)] = InjuryRules(
            injury=str(injury),
            aliases=tuple(normalize_name(str(a)) for a in spec.get("aliases") or (injury,)),
            reason=str(spec.get("reason", injury)),
            advice=str(spec.get("advice", "")),
            rules=tuple(_rule(r) for r in spec.get("rules") or ()),
        )
    return table


@lru_cache(maxsize=512)
def canonical_injury(text: str) -> str | None:
    """The table entry for a phrase ("bad left knee" -> "knee"), or None when unknown."""
    phrase = normalize_name(text)
    table = load_contraindications()
    for injury, rules in table.items():
        if phrase == injury or phrase in rules.aliases:
            return injury
    for injury, rules in table.items():
        if any(re.search(r"\b" + re.escape(alias) + r"\b", phrase) for alias in rules.aliases):
            return injury
    return None


def resolve_injuries(items: Iterable[str]) -> tuple[list[str], list[str]]:
    """(known canonical injuries, unknown phrases), each sorted and unique."""
    known: set[str] = set()
    unknown: set[str] = set()
    for item in items:
        injury = canonical_injury(item)
        if injury is None:
            unknown.add(item)
        else:
            known.add(injury)
    return sorted(known), sorted(unknown)


def contraindication(exercise: Exercise, injuries: Iterable[str]) -> str | None:
    """Why the exercise should be avoided with these injuries, or None when it is fine."""
    table = load_contraindications()
    name = normalize_name(exercise.name)
    for injury in resolve_injuries(injuries)[0]:
        entry = table[injury]
        if any(rule.matches(exercise, name) for rule in entry.rules):
            return entry.reason
    return None


def is_contraindicated(exercise: Exercise, injuries: Iterable[str]) -> bool:
    """True when any stated injury rules the exercise out."""
    return contraindication(exercise, injuries) is not None
