"""log_body_weight and update_profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.agent.context import CoachContext
from fitcoach.domain.safety.limits import check_body_weight, check_height
from fitcoach.storage.repositories import Journal, Profiles
from fitcoach.tools.runtime import (
    LB_TO_KG,
    ToolServices,
    encode,
    trusted_context,
    write_once,
    zone,
)


def make_log_body_weight(services: ToolServices) -> BaseTool:
    """Build the log_body_weight tool."""

    @tool
    async def log_body_weight(
        weight: float,
        runtime: ToolRuntime[CoachContext, Any],
        unit: Literal["kg", "lb"] | None = None,
    ) -> str:
        """Log the person's body weight (a weigh-in), in kg or lb as they said it; leave unit
        out when they gave none (their unit setting decides)."""
        context = trusted_context(runtime)
        if unit is None:
            unit = "lb" if context.unit_system == "imperial" else "kg"
        weight_kg = round(weight * LB_TO_KG, 2) if unit == "lb" else weight
        problems = check_body_weight(weight_kg)
        if problems:
            return encode(
                "log_body_weight",
                "needs_clarification",
                reason="implausible",
                question=problems[0].message,
            )

        async def log(session: AsyncSession) -> str:
            journal = Journal(session, context.user_id)
            previous = (await Profiles(session, context.user_id).get()).weight_kg
            await journal.add_body_weight(weight_kg)
            change = round(weight_kg - previous, 2) if previous is not None else None
            return encode(
                "log_body_weight",
                "logged",
                weight_kg=weight_kg,
                previous_kg=previous,
                change_kg=change,
                unit_system=context.unit_system,
            )

        return await write_once(services.database, context.user_id, log)

    return log_body_weight


def make_update_profile(services: ToolServices) -> BaseTool:
    """Build the update_profile tool."""

    @tool
    async def update_profile(
        runtime: ToolRuntime[CoachContext, Any],
        name: str | None = None,
        sex: Literal["male", "female"] | None = None,
        birth_year: int | None = None,
        age: int | None = None,
        height_cm: float | None = None,
        weight_kg: float | None = None,
        timezone: str | None = None,
        unit_system: Literal["metric", "imperial"] | None = None,
        goal: str | None = None,
    ) -> str:
        """Save facts about the person: name, sex, age or birth year, height, current weight (kg),
        timezone (IANA, e.g. Europe/Berlin), preferred units, or their goal. Only pass what they
        told you."""
        context = trusted_context(runtime)
        changes: dict[str, Any] = {}
        if name:
            changes["name"] = name.strip()[:120]
        if sex:
            changes["sex"] = sex
        this_year = services.clock().year
        if age is not None:
            birth_year = this_year - age
        if birth_year is not None:
            if not this_year - 110 <= birth_year <= this_year - 10:
                return encode(
                    "update_profile",
                    "needs_clarification",
                    reason="implausible",
                    question=f"Born in {birth_year}? Could you check your age?",
                )
            changes["birth_year"] = birth_year
        if height_cm is not None:
            problems = check_height(height_cm)
            if problems:
                return encode(
                    "update_profile",
                    "needs_clarification",
                    reason="implausible",
                    question=problems[0].message,
                )
            changes["height_cm"] = height_cm
        if weight_kg is not None:
            problems = check_body_weight(weight_kg)
            if problems:
                return encode(
                    "update_profile",
                    "needs_clarification",
                    reason="implausible",
                    question=problems[0].message,
                )
        if timezone:
            if zone(timezone).key != timezone:
                return encode(
                    "update_profile",
                    "needs_clarification",
                    reason="unknown_timezone",
                    question=f"I don't know the timezone “{timezone}”. Try a city "
                    "name like Europe/Berlin or America/New_York.",
                )
            changes["timezone"] = timezone
        if unit_system:
            changes["unit_system"] = unit_system
        if goal:
            changes["goal"] = goal.strip()[:200]
        if not changes and weight_kg is None:
            return encode(
                "update_profile",
                "needs_clarification",
                reason="nothing",
                question="What would you like me to update in your profile?",
            )
        async with services.database.session() as session:
            if weight_kg is not None:
                await Journal(session, context.user_id).add_body_weight(weight_kg)
                changes["weight_kg"] = weight_kg
            user = await Profiles(session, context.user_id).update(**changes)
            profile = _profile_view(user)
        return encode("update_profile", "updated", changed=sorted(changes), profile=profile)

    return update_profile


def _profile_view(user: Any) -> dict[str, Any]:
    return {
        "name": user.name,
        "sex": user.sex,
        "birth_year": user.birth_year,
        "height_cm": user.height_cm,
        "weight_kg": user.weight_kg,
        "timezone": user.timezone,
        "unit_system": user.unit_system,
        "goal": user.goal,
        "updated_at": user.updated_at.isoformat()
        if isinstance(user.updated_at, datetime)
        else None,
    }
