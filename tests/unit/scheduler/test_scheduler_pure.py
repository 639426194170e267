"""Pure parts of the scheduler: rhythm, goals, recurrence, intents, templates, replies."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from fitcoach.agent.reminder_replies import REMINDER_RENDERERS
from fitcoach.scheduler.goals import crossed_milestone, parse_goal
from fitcoach.scheduler.intents import detect_reminder_intent
from fitcoach.scheduler.reminder_rules import normalise_recurrence, reminder_occurs_on
from fitcoach.scheduler.rhythm import learn_rhythm, week_streak
from fitcoach.scheduler.templates import (
    PLACEHOLDERS,
    TemplateError,
    load_templates,
    proactive_templates,
)
from fitcoach.scheduler.timeutil import in_quiet, parse_hhmm
from fitcoach.scheduler.triggers import TriggerContext


def test_learns_mon_wed_fri_and_hour() -> None:
    times = [datetime(2026, 2, 2 + 7 * w + d, 18, 30) for w in range(4) for d in (0, 2, 4)]
    times.append(datetime(2026, 2, 14, 10))  # one odd Saturday is not a rhythm
    rhythm = learn_rhythm(times, date(2026, 3, 2), weeks=6)
    assert rhythm.days == (0, 2, 4) and rhythm.hour == 18 and rhythm.label() == "Mon/Wed/Fri"


def test_week_streak_counts_back_until_a_short_week() -> None:
    days = {date(2026, 2, 2 + 7 * w + d) for w in range(3) for d in (0, 2)}
    assert week_streak(days, date(2026, 2, 16), per_week=2, weeks=8) == 3
    assert week_streak(days, date(2026, 2, 23), per_week=2, weeks=8) == 0


def test_goal_target_deadline_and_milestones() -> None:
    goal = parse_goal("lose weight to 75 kg by June 1", date(2026, 3, 1))
    assert goal.target_kg == 75 and goal.deadline == date(2026, 6, 1)
    assert parse_goal("get to 160 lbs by 2026-08-01", date(2026, 3, 1)).target_kg == 72.6
    assert crossed_milestone(85, 80.5, 79.9, 75) == 50
    assert crossed_milestone(85, 80.0, 79.9, 75) is None


def test_recurrence_rules() -> None:
    assert normalise_recurrence("weekdays") == ("weekdays", "0,1,2,3,4")
    assert normalise_recurrence(["mon", "Thursday"]) == ("weekly", "0,3")
    assert normalise_recurrence(["someday"]) is None
    weekly = SimpleNamespace(recurrence="weekly", weekdays="0,3", once_date=None)
    assert reminder_occurs_on(weekly, date(2026, 3, 5))  # Thursday
    assert not reminder_occurs_on(weekly, date(2026, 3, 4))


def test_quiet_hours_wrap_midnight() -> None:
    assert in_quiet(23 * 60, 22 * 60, 8 * 60) and in_quiet(7 * 60, 22 * 60, 8 * 60)
    assert not in_quiet(8 * 60, 22 * 60, 8 * 60)
    assert parse_hhmm("9pm") == 21 * 60 and parse_hhmm("12am") == 0 and parse_hhmm("25") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "remind me to stretch at 9pm every day",
            ("set_reminder", {"text": "stretch", "time_local": "21:00", "recurrence": "daily"}),
        ),
        (
            "remind me to log lunch at 1pm on weekdays",
            (
                "set_reminder",
                {"text": "log lunch", "time_local": "13:00", "recurrence": "weekdays"},
            ),
        ),
        (
            "Remind me to weigh in at 7:30am tomorrow",
            (
                "set_reminder",
                {
                    "text": "weigh in",
                    "time_local": "07:30",
                    "recurrence": "once",
                    "date": "tomorrow",
                },
            ),
        ),
        (
            "remind me to call mom at 18:30 on mondays and thursdays",
            (
                "set_reminder",
                {"text": "call mom", "time_local": "18:30", "recurrence": ["mon", "thu"]},
            ),
        ),
        ("stop reminding me", ("stop_reminders", {})),
        ("pause reminders for a week", ("pause_reminders", {"days": 7})),
        ("please pause reminders for 3 days", ("pause_reminders", {"days": 3})),
        ("no messages before 8am", ("set_quiet_hours", {"end": "08:00"})),
        ("quiet hours from 11pm to 7am", ("set_quiet_hours", {"start": "23:00", "end": "07:00"})),
        ("stop messaging me", ("opt_out_nudges", {"what": "nudges"})),
        ("turn on meal reminders", ("opt_in", {"what": "meal_reminders"})),
        ("what reminders do I have?", ("list_reminders", {})),
        ("I had two eggs", None),
    ],
)
def test_reminder_intents(text: str, expected: object) -> None:
    assert detect_reminder_intent(text) == expected


def _context(trigger: str, key: str, **facts: object) -> TriggerContext:
    return TriggerContext(
        1,
        trigger,
        key,
        date(2026, 3, 5),
        datetime(2026, 3, 5, 17),
        "Ann Smith",
        "run a 10k",
        "metric",
        "Mon/Wed/Fri",
        3,
        dict(facts),
    )


def test_templates_are_varied_deterministic_and_filled() -> None:
    templates = proactive_templates()
    facts = {"missed_day": "Wednesday", "last_workout": "Monday", "days_since": 3}
    texts = {
        templates.render(_context("inactivity", f"1:inactivity:{i}", **facts)) for i in range(30)
    }
    assert len(texts) >= 3
    one = templates.render(_context("inactivity", "1:inactivity:x", **facts))
    assert one == templates.render(_context("inactivity", "1:inactivity:x", **facts))
    assert "{" not in one and "Ann" in one
    assert set(templates.templates) == set(PLACEHOLDERS)


def test_template_validation_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "proactive.yaml"
    bad.write_text("templates:\n  reminder: ['only {text}']\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="at least 3 variants"):
        load_templates(bad)


def test_reminder_replies_render() -> None:
    view = {
        "id": 1,
        "text": "stretch",
        "time_local": "21:00",
        "recurrence": "every day",
        "next": "2026-03-05",
    }
    assert "21:00" in REMINDER_RENDERERS["set_reminder"]({"reminder": view})
    assert "stopped" in REMINDER_RENDERERS["stop_reminders"]({"stopped": ["stretch"]})
    assert "2026-03-12" in REMINDER_RENDERERS["pause_reminders"]({"until": "2026-03-12"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # times: a dot, "p.m.", the evening said in words, an afternoon hour without am/pm
        ("remind me to stretch at 9.30pm", ("21:30", "daily")),
        ("remind me to eat at 7 p.m.", ("19:00", "daily")),
        ("remind me to stretch at 8 at night", ("20:00", "daily")),
        ("remind me to log my lunch at 1", ("13:00", "daily")),
        # day names inside other words were days: "for a month" was Mondays
        ("remind me to train at 6am for a month", ("06:00", "daily")),
        ("remind me to stretch at 9pm thanks my friend", ("21:00", "daily")),
        # "except sundays" was Sundays only
        (
            "remind me to stretch at 9pm except sundays",
            ("21:00", ["mon", "tue", "wed", "thu", "fri", "sat"]),
        ),
        ("remind me to run at 6am mon-fri", ("06:00", "weekdays")),
        ("remind me to run at 8am on weekends", ("08:00", ["sat", "sun"])),
        # "today" later in the message made a one-off reminder
        ("remind me to stretch at 9pm, today was tough", ("21:00", "daily")),
        # a day named before the time was part of the reminder's text
        ("remind me to weigh myself every monday at 7am", ("07:00", ["mon"])),
        # the time before the text
        ("remind me at 7am to take creatine", ("07:00", "daily")),
        ("remind me every monday at 7am to weigh in", ("07:00", ["mon"])),
        ("remind me at 9pm on weekdays to log dinner", ("21:00", "weekdays")),
        # several days before the time stayed in the text and the reminder was daily
        (
            "remind me to go to the gym on monday wednesday and friday at 6pm",
            ("18:00", ["mon", "wed", "fri"]),
        ),
    ],
)
def test_reminder_times_and_days(text: str, expected: tuple[str, object]) -> None:
    found = detect_reminder_intent(text)
    assert found is not None and found[0] == "set_reminder"
    assert (found[1]["time_local"], found[1]["recurrence"]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a named reminder stopped every reminder
        ("cancel my creatine reminder", ("stop_reminders", {"matching": "creatine"})),
        (
            "stop reminding me to stretch, but keep the creatine one",
            ("stop_reminders", {"matching": "stretch"}),
        ),
        ("don't stop reminding me to stretch", None),
        ("I never cancel reminders", None),
        # "no more excuses, remind me …" stopped reminders instead of setting one
        (
            "no more excuses, remind me to train at 6am",
            ("set_reminder", {"text": "train", "time_local": "06:00", "recurrence": "daily"}),
        ),
        ("no more reminders please", ("stop_reminders", {})),
        # "what my squat was at 100kg" set a daily reminder at 10:00
        ("can you remind me what my squat was at 100kg?", None),
        ("my reminders app reminds me to eat at 8pm", None),
    ],
)
def test_stop_and_near_misses(text: str, expected: object) -> None:
    assert detect_reminder_intent(text) == expected
