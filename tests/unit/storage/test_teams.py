"""Team challenges without Slack: command parsing, weeks, ranks, scoping, rendering, wiring."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fitcoach.channels.base import OutboundMessage
from fitcoach.channels.slack.buttons import chosen_line, without_buttons
from fitcoach.channels.slack.team_commands import parse_team_command
from fitcoach.channels.slack.team_render import figure, leaderboard, mention, period_label
from fitcoach.scheduler import ProactiveScheduler
from fitcoach.scheduler.delivery import DeliveryResult
from fitcoach.scheduler.teams import JOB_ID, TeamChallengeJob
from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.repositories import Journal, UserDirectory, WorkoutSetRecord
from fitcoach.storage.teams import ChallengeExists, TeamChallenges, week_of

MON = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "action", "goal"),
    [
        ("join", "join", "workouts"),
        ("Leave the challenge", "leave", "workouts"),
        ("leaderboard", "leaderboard", "workouts"),
        ("standings", "leaderboard", "workouts"),
        ("challenge", "status", "workouts"),
        ("challenge start most workouts this week", "start", "workouts"),
        ("challenge start total active minutes", "start", "minutes"),
        ("challenge start workouts count", "start", "workouts"),
        ("challenge start active days", "start", "days"),
        ("challenge start distance", "start", "distance"),
        ("challenge stop", "stop", "workouts"),
    ],
)
def test_team_commands_are_recognised(text: str, action: str, goal: str) -> None:
    command = parse_team_command(text)
    assert command is not None and command.error is None
    assert (command.action, command.goal) == (action, goal)


@pytest.mark.parametrize(
    "text", ["challenge me with a hard workout", "had 2 eggs", "join me for a run", ""]
)
def test_other_messages_stay_with_the_coach(text: str) -> None:
    assert parse_team_command(text) is None


def test_start_options_and_errors() -> None:
    command = parse_team_command("challenge start days europe/berlin once")
    assert command is not None
    assert (command.goal, command.timezone, command.recurring) == ("days", "Europe/Berlin", False)
    bad_zone = parse_team_command("challenge start workouts Mars/Olympus")
    assert bad_zone is not None and bad_zone.error and "timezone" in bad_zone.error
    unknown = parse_team_command("challenge start pushups")
    assert unknown is not None and unknown.error and "pushups" in unknown.error


def test_weeks_run_monday_to_monday_local_across_dst() -> None:
    # Europe/Berlin springs forward on Sunday 29 March 2026: that week has 167 hours.
    week = week_of(datetime(2026, 3, 25, 12, tzinfo=UTC), "Europe/Berlin")
    assert week.starts_at == datetime(2026, 3, 22, 23, tzinfo=UTC)  # Mon 00:00 CET
    assert week.ends_at == datetime(2026, 3, 29, 22, tzinfo=UTC)  # Mon 00:00 CEST
    assert period_label(week) == "Mon 23 Mar – Sun 29 Mar"
    # Sunday 23:30 local is still that week; Monday 00:00 local starts the next.
    late_sunday = week_of(datetime(2026, 3, 29, 21, 30, tzinfo=UTC), "Europe/Berlin")
    assert late_sunday == week
    assert week_of(week.ends_at, "Europe/Berlin").starts_at == week.ends_at
    tokyo = week_of(datetime(2026, 3, 1, 16, tzinfo=UTC), "Asia/Tokyo")  # Mon 01:00 in Tokyo
    assert tokyo.starts_at == datetime(2026, 3, 1, 15, tzinfo=UTC)


def test_rendering_escapes_and_units() -> None:
    assert mention("U0ALICE") == "<@U0ALICE>"
    assert mention("<!channel>") == "someone"  # never markup from stored data
    assert figure("workouts", 1) == "1 workout" and figure("workouts", 3) == "3 workouts"
    assert figure("minutes", 54.6) == "55 min" and figure("distance", 8) == "8.0 km"


def test_a_pressed_message_keeps_its_text_and_loses_its_actions() -> None:
    message = {
        "text": "Which one?",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Which one?"}},
            {"type": "actions", "elements": [{"type": "button", "action_id": "fitcoach_choice_0"}]},
        ],
    }
    line = chosen_line("2. Oat <meal>", "U1", private=True)
    assert line == "✔ You chose: 2. Oat &lt;meal&gt;"
    blocks = without_buttons(message, line)
    assert [b["type"] for b in blocks] == ["section", "context"]
    assert chosen_line("1. Porridge", "U1", private=False) == "✔ <@U1> chose: 1. Porridge"
    assert without_buttons({"text": "Plain"}, line)[0]["text"]["text"] == "Plain"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'teams.db'}"
    await upgrade_database_async(url)
    database = Database(url)
    yield database
    await database.dispose()


async def _person(db: Database, ref: str, workouts: list[tuple[datetime, float]]) -> int:
    async with db.session() as session:
        user = await UserDirectory(session).resolve("slack", f"T1:{ref}")
        for at, minutes in workouts:
            await Journal(session, user.id).add_workout(
                [WorkoutSetRecord(exercise_name="running", duration_min=minutes, distance_km=1)],
                source_text="run",
                logged_at=at,
            )
        return user.id


async def test_ranks_share_ties_and_only_members_in_the_period_count(db: Database) -> None:
    inside = MON + timedelta(days=1)
    ann = await _person(db, "UANN", [(inside, 30), (inside, 10), (MON - timedelta(hours=1), 99)])
    bob = await _person(db, "UBOB", [(inside, 20), (inside + timedelta(days=1), 20)])
    cat = await _person(db, "UCAT", [(inside, 5)])
    await _person(db, "UDAN", [(inside, 500)] * 5)  # never joins
    async with db.session() as session:
        repo = TeamChallenges(session)
        workouts = await repo.start("slack", "T1", "C1", "workouts", week_of(inside, "UTC"))
        minutes = await repo.start("slack", "T1", "C2", "minutes", week_of(inside, "UTC"))
        with pytest.raises(ChallengeExists):
            await repo.start("slack", "T1", "C1", "days", week_of(inside, "UTC"))
        for uid, ref in ((ann, "UANN"), (bob, "UBOB"), (cat, "UCAT")):
            assert await repo.join(workouts.id, uid, ref)
            await repo.join(minutes.id, uid, ref)
        assert not await repo.join(workouts.id, ann, "UANN")  # already in
        by_workouts = await repo.board(workouts)
        by_minutes = await repo.board(minutes)
    assert [(s.rank, s.member_ref, s.value) for s in by_workouts.standings] == [
        (1, "UANN", 2.0),
        (1, "UBOB", 2.0),
        (3, "UCAT", 1.0),
    ]
    assert [(s.member_ref, s.value) for s in by_minutes.standings] == [
        ("UANN", 40.0),
        ("UBOB", 40.0),
        ("UCAT", 5.0),
    ]
    text = leaderboard(by_workouts).text
    assert "UDAN" not in text and text.count("🥇") == 2


async def test_active_days_count_local_calendar_days(db: Database) -> None:
    # 22:30 and 23:30 UTC on Tuesday are Tuesday and Wednesday in Berlin: two days.
    tue = MON + timedelta(days=1)
    uid = await _person(
        db,
        "UANN",
        [(tue + timedelta(hours=21, minutes=30), 10), (tue + timedelta(hours=23, minutes=30), 10)],
    )
    async with db.session() as session:
        repo = TeamChallenges(session)
        challenge = await repo.start("slack", "T1", "C1", "days", week_of(tue, "Europe/Berlin"))
        await repo.join(challenge.id, uid, "UANN")
        board = await repo.board(challenge)
    assert board.standings[0].value == 2.0


class _NoDelivery:
    async def deliver(
        self, user_id: int, channel: str, conversation_id: str, message: OutboundMessage
    ) -> DeliveryResult:
        return DeliveryResult.failed("unused")


async def test_the_proactive_scheduler_runs_the_team_job(db: Database) -> None:
    scheduler = ProactiveScheduler(db, _NoDelivery())
    scheduler.start()
    try:
        assert scheduler._scheduler is not None
        assert scheduler._scheduler.get_job(JOB_ID) is not None
        assert isinstance(scheduler.teams, TeamChallengeJob)
        # No platform poster in this process: due challenges wait (never claimed) for one.
        async with db.session() as session:
            past = week_of(MON, "UTC")
            challenge = await TeamChallenges(session).start("slack", "T1", "C1", "workouts", past)
        report = await scheduler.teams.tick()
        assert report is not None and report.skipped == {"no_poster": 1}
        async with db.session() as session:
            again = await TeamChallenges(session).get(challenge.id)
        assert again is not None and again.status == "active" and again.attempts == 0
    finally:
        await scheduler.shutdown()
