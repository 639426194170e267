"""log_workout: ground strength sets in the exercise catalog, cardio in MET values; store."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.agent.context import CoachContext
from fitcoach.domain.exercise.catalog import get_exercise_catalog
from fitcoach.domain.exercise.strength import estimate_1rm
from fitcoach.domain.exercise.workouts import CardioEntry, StrengthEntry, parse_workout
from fitcoach.domain.safety.limits import Problem, check_cardio, check_strength
from fitcoach.storage.repositories import Journal, Profiles, WorkoutSetRecord
from fitcoach.tools.runtime import ToolServices, encode, trusted_context, write_once

DEFAULT_BODY_WEIGHT_KG = 70.0
CONFIDENT = 0.6
MAX_OPTIONS = 4


def make_log_workout(services: ToolServices) -> BaseTool:
    """Build the log_workout tool bound to the given services."""

    @tool
    async def log_workout(
        description: str,
        runtime: ToolRuntime[CoachContext, Any],
        choices: dict[str, str] | None = None,
    ) -> str:
        """Log training the person did, from their own words.

        Examples: "bench 3x5 at 80kg", "5 sets of 5 squats at 100 kg", "ran 5k in 27 min".
        Exercises come from the exercise catalog and energy from MET values; never invent them.
        choices: after a clarifying question, maps an entry phrase to the exercise id the
        person picked from the options the tool offered.
        """
        context = trusted_context(runtime)

        async def log(session: AsyncSession) -> str:
            profile = await Profiles(session, context.user_id).get()
            body_weight = profile.weight_kg or DEFAULT_BODY_WEIGHT_KG
            parsed = parse_workout(
                description,
                body_weight_kg=body_weight,
                unitless_load="lb" if profile.unit_system == "imperial" else "kg",
            )
            parsed = replace(
                parsed, entries=tuple(_apply_choice(e, choices) for e in parsed.entries)
            )
            question = _clarification(parsed.entries, parsed.unmatched)
            if question is not None:
                return encode(
                    "log_workout", "needs_clarification", description=description, **question
                )
            journal = Journal(session, context.user_id)
            strength_ids = [e.exercise.id for e in parsed.entries if isinstance(e, StrengthEntry)]
            previous_best = await journal.best_sets(strength_ids)
            records = [record for entry in parsed.entries for record in _records(entry)]
            workout = await journal.add_workout(records, source_text=description)
            return encode(
                "log_workout",
                "logged",
                workout_id=workout.id,
                entries=[_entry_view(entry) for entry in parsed.entries],
                personal_records=_personal_records(parsed.entries, previous_best),
                body_weight_kg=body_weight,
                body_weight_assumed=profile.weight_kg is None,
                unit_system=profile.unit_system,
            )

        return await write_once(services.database, context.user_id, log)

    return log_workout


def _apply_choice(
    entry: StrengthEntry | CardioEntry, choices: dict[str, str] | None
) -> StrengthEntry | CardioEntry:
    if not choices or not isinstance(entry, StrengthEntry) or entry.phrase not in choices:
        return entry
    exercise = get_exercise_catalog().get(choices[entry.phrase])
    if exercise is None:
        return entry
    return replace(entry, exercise=exercise, confidence=1.0, alternatives=())


def _clarification(
    entries: tuple[StrengthEntry | CardioEntry, ...], unmatched: tuple[str, ...]
) -> dict[str, Any] | None:
    if not entries:
        return {
            "reason": "no_exercise",
            "question": "I couldn't read a workout in that. Try e.g. “bench 3x5 at 80kg” "
            "or “ran 5k in 27 min”.",
        }
    if unmatched:
        return {
            "reason": "unknown_exercise",
            "phrase": unmatched[0],
            "question": f"I couldn't match “{unmatched[0]}” to an exercise. "
            "What exercise was it, with sets × reps and weight?",
        }
    for entry in entries:
        problems: list[Problem]
        if isinstance(entry, StrengthEntry):
            problems = check_strength(entry.exercise.name, entry.sets, entry.reps, entry.weight_kg)
        else:
            problems = check_cardio(entry.activity.kind, entry.duration_min, entry.distance_km)
        if problems:
            return {
                "reason": "implausible",
                "phrase": entry.phrase,
                "question": problems[0].message,
            }
    for entry in entries:
        if isinstance(entry, StrengthEntry) and entry.load_needs_unit:
            load = f"{entry.weight_kg:g}"
            return {
                "reason": "load_unit",
                "phrase": entry.phrase,
                "question": f"Was that {load} kg or {load} lb in “{entry.phrase}”? "
                f"Send it again with the unit, e.g. “{entry.exercise.name} {load} lb”.",
            }
    for entry in entries:
        if isinstance(entry, StrengthEntry) and entry.confidence < CONFIDENT:
            options = [
                entry.exercise,
                *[m.exercise for m in entry.alternatives if m.exercise.id != entry.exercise.id],
            ]
            return {
                "reason": "ambiguous",
                "phrase": entry.phrase,
                "question": f"Which exercise did you mean by “{entry.phrase}”?",
                "options": [{"id": e.id, "name": e.name} for e in options[:MAX_OPTIONS]],
            }
    return None


def _records(entry: StrengthEntry | CardioEntry) -> list[WorkoutSetRecord]:
    if isinstance(entry, StrengthEntry):
        return [
            WorkoutSetRecord(
                exercise_id=entry.exercise.id,
                exercise_name=entry.exercise.name,
                reps=reps,
                weight_kg=entry.weight_kg,
                rir=entry.rir,
                rpe=entry.rpe,
            )
            for reps in entry.reps
        ]
    return [
        WorkoutSetRecord(
            exercise_name=entry.activity.name,
            activity_code=entry.activity.code,
            duration_min=entry.duration_min,
            distance_km=entry.distance_km,
            kcal=round(entry.kcal, 1) if entry.kcal is not None else None,
        )
    ]


def _entry_view(entry: StrengthEntry | CardioEntry) -> dict[str, Any]:
    if isinstance(entry, StrengthEntry):
        return {
            "type": "strength",
            "exercise_id": entry.exercise.id,
            "name": entry.exercise.name,
            "sets": entry.sets,
            "reps": list(entry.reps),
            "weight_kg": entry.weight_kg,
            "rir": entry.rir,
            "rpe": entry.rpe,
            "e1rm_kg": round(estimate_1rm(entry.weight_kg, max(entry.reps)), 1)
            if entry.weight_kg
            else None,
        }
    return {
        "type": "cardio",
        "activity": entry.activity.name,
        "activity_code": entry.activity.code,
        "kind": entry.activity.kind,
        "met": entry.activity.met,
        "duration_min": entry.duration_min,
        "distance_km": entry.distance_km,
        "kcal": round(entry.kcal) if entry.kcal is not None else None,
    }


def _personal_records(
    entries: tuple[StrengthEntry | CardioEntry, ...], previous: dict[str, tuple[float, int]]
) -> list[dict[str, Any]]:
    prs = []
    for entry in entries:
        if not isinstance(entry, StrengthEntry) or entry.weight_kg is None:
            continue
        before = previous.get(entry.exercise.id)
        if before is not None and entry.weight_kg > before[0]:
            prs.append(
                {
                    "exercise_id": entry.exercise.id,
                    "name": entry.exercise.name,
                    "weight_kg": entry.weight_kg,
                    "previous_kg": before[0],
                }
            )
    return prs
