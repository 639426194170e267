"""Plans and the safety screen, through the chat as a person uses them (offline model)."""

from __future__ import annotations

import uuid

from fitcoach.bootstrap import Services
from fitcoach.channels.base import InboundMessage
from fitcoach.domain.exercise.catalog import get_exercise_catalog


async def say(services: Services, text: str, user: str = "planner") -> str:
    message = InboundMessage(
        channel="test",
        external_user_id=user,
        conversation_id=user,
        message_id=uuid.uuid4().hex,
        text=text,
    )
    replies = await services.conversation.handle(message)
    assert len(replies) == 1
    return replies[0].text


async def test_plan_today_swap_and_targets(services: Services) -> None:
    assert "weight (kg): 82" in await say(services, "I'm 34, 178 cm, 82 kg")
    await say(services, "I'm a man")
    plan = await say(services, "make me a workout plan, 3 days a week with dumbbells, bad knee")
    assert "Monday" in plan and "kcal/day" in plan
    names = {e.name for e in get_exercise_catalog().all()}
    listed = [line[2:].split(":")[0] for line in plan.splitlines() if line.startswith("• ")]
    assert listed and all(name in names for name in listed)
    assert not any("Jump" in name or "Barbell" in name for name in listed)
    today = await say(services, "what's my workout today?")
    assert "×" in today
    options = await say(services, f"swap {listed[0]}")
    assert "1." in options
    swapped = await say(services, "1")
    assert "is now" in swapped and "(v2)" in swapped
    targets = await say(services, "what are my calorie targets?")
    assert "kcal" in targets and "Left:" in targets


async def test_plan_needs_the_profile_first(services: Services) -> None:
    reply = await say(services, "make me a training plan", user="newbie")
    assert "age" in reply and "height" in reply


async def test_red_flags_get_a_referral_not_coaching(services: Services) -> None:
    reply = await say(services, "I had chest pain during my run today, bench 3x5 80kg")
    assert "doctor" in reply.lower() or "emergency" in reply.lower()
    assert "Logged" not in reply
    care = await say(services, "I want to eat 500 calories a day to lose weight fast")
    assert "calorie-cutting" in care or "support" in care
    normal = await say(services, "my chest workout was great, bench 3x5 at 80kg")
    assert "Logged your workout" in normal
