"""Team challenges in a Slack channel, end to end: signed requests into the real app (bolt,
slack_sdk), the fake Slack Web API over loopback HTTP, SQLite; workouts logged by DM through
the coach. Also: choice buttons disappear after a press (``chat.update``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fitcoach.agent.coach import AgentReply
from fitcoach.app import create_app
from fitcoach.config import Settings, get_settings
from fitcoach.privacy import PrivacyService
from fitcoach.scheduler.teams import POST_DELAY, TeamChallengeJob
from fitcoach.storage.database import Database
from fitcoach.storage.models import ChannelIdentity, InboxMessage, Workout
from fitcoach.storage.repositories import Journal, WorkoutSetRecord
from fitcoach.storage.teams import TeamChallenge, TeamChallenges, TeamMember
from fitcoach.webhooks.slack import plugin
from tests.fakes.slack_server import FakeSlack, RecordedCall, fake_slack, signed_headers

__all__ = ["fake_slack"]  # the fixture, re-exported for pytest

SECRET = "team-signing-secret-0123456789"
TEAM = "T0FIT"
GENERAL = "C0GENERAL"
RUNNERS = "C0RUNNERS"
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"


def sign(body: str) -> dict[str, str]:
    return signed_headers(body, SECRET)


class Workspace:
    """Several people in one workspace, talking to the app the way Slack delivers it."""

    def __init__(self, client: TestClient, fake: FakeSlack) -> None:
        self.client = client
        self.fake = fake
        self._n = 0

    def ts(self) -> str:
        self._n += 1
        return f"{1_700_000_000 + self._n}.000200"

    def post(self, body: str, content_type: str) -> Any:
        headers = {"Content-Type": content_type, **sign(body)}
        response = self.client.post("/webhooks/slack", content=body, headers=headers)
        assert response.status_code == 200, response.text
        return response

    def command(self, text: str, user: str = ALICE, channel: str = GENERAL) -> Any:
        """``/coach <text>``; returns the ack body (or {} for an empty ack)."""
        key = f"cmd-{user}-{self.ts()}"
        form = {
            "team_id": TEAM,
            "channel_id": channel,
            "user_id": user,
            "command": "/coach",
            "text": text,
            "response_url": self.fake.response_url(key),
            "trigger_id": f"trigger.{key}",
        }
        response = self.post(urlencode(form), "application/x-www-form-urlencoded")
        return response.json() if response.content else {}

    def event(self, event: dict[str, Any], event_id: str | None = None) -> None:
        body = {
            "team_id": TEAM,
            "api_app_id": "A0FIT",
            "type": "event_callback",
            "event_id": event_id or f"Ev{self.ts()}",
            "event": {"team": TEAM, **event},
        }
        self.post(json.dumps(body), "application/json")

    def dm(self, text: str, user: str) -> None:
        """A DM to the app, answered by the coach (waits for the answer)."""
        before = len(self.fake.calls_to("chat.postMessage", ok_only=True))
        channel = f"D{user[1:]}"
        self.event(
            {
                "type": "message",
                "channel": channel,
                "channel_type": "im",
                "user": user,
                "text": text,
                "ts": self.ts(),
            }
        )
        self.fake.wait_for("chat.postMessage", before + 1)

    def mention(self, text: str, user: str = ALICE, channel: str = GENERAL) -> str:
        """``@Coach <text>`` in a channel, delivered as Slack does: app_mention + message."""
        ts = self.ts()
        raw = f"<@{self.fake.bot_user_id}> {text}"
        base = {"channel": channel, "user": user, "text": raw, "ts": ts}
        self.event({"type": "app_mention", **base})
        self.event({"type": "message", "channel_type": "channel", **base})
        return ts

    def press(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        message: dict[str, Any],
        channel: str = GENERAL,
        label: str = "",
        ephemeral: bool = False,
    ) -> str:
        """A button press on ``message``; returns the response_url key."""
        key = f"press-{user}-{self.ts()}"
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "fitteam"},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0FIT",
            "container": {
                "type": "message",
                "message_ts": message.get("ts", ""),
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": f"trigger.{key}",
            "channel": {"id": channel, "name": "general"},
            "response_url": self.fake.response_url(key),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "text": {"type": "plain_text", "text": label or value},
                    "value": value,
                    "action_ts": self.ts(),
                }
            ],
        }
        if not ephemeral:
            payload["message"] = message
        self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        return key

    # ------------------------------------------------------------------ reading back
    @property
    def database(self) -> Database:
        return self.client.app.state.services.database  # type: ignore[attr-defined,no-any-return]

    def run(self, work: Any) -> Any:
        assert self.client.portal is not None
        return self.client.portal.call(work)

    def rows(self, model: Any) -> list[Any]:
        async def fetch() -> list[Any]:
            async with self.database.session() as session:
                return list((await session.execute(select(model))).scalars())

        return self.run(fetch)  # type: ignore[no-any-return]

    def user_id(self, slack_user: str) -> int:
        async def fetch() -> int:
            async with self.database.session() as session:
                stmt = select(ChannelIdentity.user_id).where(
                    ChannelIdentity.external_id == f"{TEAM}:{slack_user}"
                )
                return int((await session.execute(stmt)).scalar_one())

        return self.run(fetch)  # type: ignore[no-any-return]

    def channel_posts(self, channel: str = GENERAL) -> list[RecordedCall]:
        return [
            c
            for c in self.fake.calls_to("chat.postMessage", ok_only=True)
            if c.args["channel"] == channel and "thread_ts" not in c.args
        ]

    def replies(self, key: str) -> list[RecordedCall]:
        return [c for c in self.fake.calls_to("response_url") if c.path == f"/response/{key}"]


def blocks_of(call: RecordedCall) -> list[dict[str, Any]]:
    blocks = call.args.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks or [])


def all_text(blocks: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for block in blocks:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [
            e.get("text", "") for e in block.get("elements", []) if block["type"] == "context"
        ]
    return "\n".join(parts)


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    return fake_slack


@pytest.fixture
def settings(tmp_path: Path, fake: FakeSlack) -> Settings:
    return get_settings(
        data_dir=tmp_path / "var",
        model="offline",
        slack_bot_token=fake.token,
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
    )


@pytest.fixture
def ws(settings: Settings, fake: FakeSlack) -> Iterator[Workspace]:
    with TestClient(create_app(settings, plugins=[plugin])) as client:
        yield Workspace(client, fake)


def eventually(check: Any, timeout: float = 10.0) -> None:
    """Poll ``check()`` until true (background work after an ack)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.02)


def start(
    ws: Workspace, text: str = "challenge start most workouts this week", channel: str = GENERAL
) -> RecordedCall:
    """Start a challenge; returns its announcement post."""
    before = len(ws.channel_posts(channel))
    assert ws.command(text, channel=channel) == {}  # empty ack: the announcement is the answer
    eventually(lambda: len(ws.channel_posts(channel)) > before)
    return ws.channel_posts(channel)[-1]


def posted(ws: Workspace, call: RecordedCall) -> dict[str, Any]:
    """The message as Slack holds it (what a button press payload carries)."""
    for message in reversed(ws.fake.messages_in(call.args["channel"])):
        if message.get("text") == call.args.get("text"):
            return message
    raise AssertionError("message not found")


# ---------------------------------------------------------------------- challenge lifecycle
def test_start_announces_with_join_and_leave_buttons(ws: Workspace) -> None:
    post = start(ws)
    blocks = blocks_of(post)
    text = all_text(blocks)
    assert "most workouts" in text and "Only people who join" in text
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [
        "fitcoach_team_join",
        "fitcoach_team_leave",
    ]
    eventually(lambda: ws.rows(TeamChallenge)[0].message_ts is not None)
    [challenge] = ws.rows(TeamChallenge)
    assert (challenge.channel, challenge.goal, challenge.status) == (GENERAL, "workouts", "active")
    assert challenge.message_ts == posted(ws, post)["ts"]
    # Monday 00:00 → next Monday 00:00 (UTC: the starter has no profile timezone yet).
    starts = challenge.starts_at.replace(tzinfo=UTC)
    assert starts.weekday() == 0 and (starts.hour, starts.minute) == (0, 0)
    assert challenge.ends_at.replace(tzinfo=UTC) - starts == timedelta(days=7)


def test_a_second_start_in_the_same_channel_is_refused_privately(ws: Workspace) -> None:
    start(ws)
    ack = ws.command("challenge start total active minutes", user=BOB)
    assert ack["response_type"] == "ephemeral" and "already" in ack["text"]
    assert len(ws.rows(TeamChallenge)) == 1


def test_start_where_the_app_is_not_a_member_explains_and_keeps_nothing(ws: Workspace) -> None:
    ws.fake.outside.add(RUNNERS)
    assert ws.command("challenge start workouts", channel=RUNNERS) == {}
    [reply] = ws.fake.wait_for("response_url")
    assert reply.args["response_type"] == "ephemeral" and "/invite" in reply.args["text"]
    ws.fake.settle()
    assert ws.rows(TeamChallenge) == []


def test_unknown_goals_and_dms_get_private_help(ws: Workspace) -> None:
    ack = ws.command("challenge start pushups")
    assert ack["response_type"] == "ephemeral" and "workouts" in ack["text"]
    ack = ws.command("join", channel="D0ALICE")
    assert ack["response_type"] == "ephemeral" and "channels" in ack["text"]
    ack = ws.command("join")
    assert "no challenge" in ack["text"].lower()
    assert ws.rows(TeamChallenge) == []


# ---------------------------------------------------------------------- opt-in and numbers
def test_leaderboard_shows_only_opted_in_members_with_numbers_from_their_logs(
    ws: Workspace,
) -> None:
    announcement = start(ws)
    ack = ws.command("join", user=ALICE)
    assert ack["response_type"] == "ephemeral" and "You're in" in ack["text"]
    key = ws.press("fitcoach_team_join", "1", user=BOB, message=posted(ws, announcement))
    [confirm] = ws.fake.wait_for("response_url")
    assert confirm.path == f"/response/{key}" and confirm.args["response_type"] == "ephemeral"
    assert "You're in" in confirm.args["text"]
    # The announcement's participant count follows (chat.update of the pressed message).
    [update] = ws.fake.wait_for("chat.update")
    assert "2 people taking part" in all_text(blocks_of(update))

    ws.dm("ran 5 km in 30 minutes", ALICE)
    ws.dm("did 3 sets of 10 squats at 60 kg", ALICE)
    ws.dm("ran 3 km in 20 minutes", BOB)
    ws.dm("ran 10 km in 60 minutes", CAROL)  # logs more, never joined: must not appear
    ws.dm("ran 10 km in 60 minutes", CAROL)
    ws.dm("ran 10 km in 60 minutes", CAROL)

    board = ws.command("leaderboard", user=CAROL)
    assert board["response_type"] == "in_channel"
    text = all_text(board["blocks"])
    assert f"🥇 <@{ALICE}> — 2 workouts" in text
    assert f"🥈 <@{BOB}> — 1 workout" in text
    assert CAROL not in text and CAROL not in board["text"]

    # Leaving takes the person off the board at once.
    assert "left" in ws.command("leave", user=BOB)["text"]
    text = all_text(ws.command("leaderboard")["blocks"])
    assert BOB not in text and ALICE in text
    assert {m.member_ref for m in ws.rows(TeamMember)} == {ALICE}


def test_minutes_and_distance_are_summed_from_logged_sets(ws: Workspace) -> None:
    start(ws, "challenge start total active minutes")
    start(ws, "challenge start distance", channel=RUNNERS)
    for channel in (GENERAL, RUNNERS):
        ws.command("join", user=ALICE, channel=channel)
    ws.dm("ran 5 km in 30 minutes", ALICE)
    ws.dm("ran 3 km in 25 minutes", ALICE)
    assert f"<@{ALICE}> — 55 min" in all_text(ws.command("leaderboard")["blocks"])
    runners = ws.command("leaderboard", channel=RUNNERS)
    assert f"<@{ALICE}> — 8.0 km" in all_text(runners["blocks"])


def test_a_members_numbers_show_only_in_the_channel_they_joined(ws: Workspace) -> None:
    start(ws)
    start(ws, channel=RUNNERS)
    ws.command("join", user=ALICE, channel=GENERAL)
    ws.command("join", user=BOB, channel=RUNNERS)
    ws.dm("ran 5 km in 30 minutes", BOB)
    general = ws.command("leaderboard", channel=GENERAL)
    assert BOB not in json.dumps(general)
    runners = ws.command("leaderboard", channel=RUNNERS)
    assert f"<@{BOB}> — 1 workout" in all_text(runners["blocks"])
    assert ALICE not in json.dumps(runners)


def test_mention_commands_are_answered_once(ws: Workspace) -> None:
    start(ws)
    ws.mention("join", user=ALICE)
    ws.fake.wait_for("chat.postEphemeral")
    thread = ws.mention("leaderboard", user=BOB)
    [reply] = [c for c in ws.fake.wait_for("chat.postMessage", 2) if c.args.get("thread_ts")]
    ws.fake.settle()
    assert len(ws.fake.calls_to("chat.postEphemeral")) == 1  # both copies of the mention
    threaded = [c for c in ws.fake.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert len(threaded) == 1 and reply.args["thread_ts"] == thread
    assert f"<@{ALICE}> — 0 workouts" in reply.args["text"]
    assert ws.rows(InboxMessage) == []  # team commands never reach the coach


# ---------------------------------------------------------------------- weekly close
def test_the_weekly_job_posts_final_standings_once_and_rolls_over(ws: Workspace) -> None:
    start(ws)
    for person in (ALICE, BOB):
        ws.command("join", user=person)
    ws.dm("ran 5 km in 30 minutes", BOB)
    [challenge] = ws.rows(TeamChallenge)
    midnight = challenge.ends_at.replace(tzinfo=UTC)
    not_yet = TeamChallengeJob(ws.database, {}, lambda: midnight + timedelta(minutes=1))
    assert ws.run(not_yet.run).closed == 0  # nobody is pinged at midnight
    next_monday = midnight + POST_DELAY + timedelta(minutes=1)  # 09:01 Monday
    senders = ws.client.app.state.services.proactive  # type: ignore[attr-defined]
    jobs = [
        TeamChallengeJob(ws.database, senders, lambda: next_monday, instance_id=name)
        for name in ("replica-a", "replica-b")
    ]

    async def both() -> list[Any]:
        import asyncio

        return list(await asyncio.gather(jobs[0].run(), jobs[1].run(), jobs[0].run()))

    reports = ws.run(both)
    assert sum(r.closed for r in reports) == 1 and sum(r.rolled_over for r in reports) == 1
    final = ws.channel_posts()[-1]
    text = all_text(blocks_of(final))
    assert "Final standings" in text and f"🥇 <@{BOB}> — 1 workout" in text
    assert f"Congratulations <@{BOB}>" in text and "New week" in text
    old, new = sorted(ws.rows(TeamChallenge), key=lambda c: c.id)
    assert (old.status, old.active_key, old.close_reason) == ("closed", None, "posted")
    assert new.status == "active" and new.starts_at == old.ends_at
    assert new.message_ts == posted(ws, final)["ts"]
    assert {(m.challenge_id, m.member_ref) for m in ws.rows(TeamMember)} == {
        (new.id, ALICE),
        (new.id, BOB),
    }
    # Nothing more is due: a later run posts nothing.
    before = len(ws.channel_posts())
    assert ws.run(jobs[1].run).closed == 0
    assert len(ws.channel_posts()) == before
    # Last week's workout does not count in the new week.
    assert f"<@{BOB}> — 0 workouts" in all_text(ws.command("leaderboard")["blocks"])


def test_stop_posts_final_standings_and_forgets_members(ws: Workspace) -> None:
    start(ws)
    ws.command("join", user=ALICE)
    assert ws.command("challenge stop", user=BOB) == {}
    eventually(lambda: "Final standings" in all_text(blocks_of(ws.channel_posts()[-1])))
    text = all_text(blocks_of(ws.channel_posts()[-1]))
    assert f"stopped early by <@{BOB}>" in text and "New week" not in text
    # The post goes out before the close is recorded: wait for the record too.
    eventually(lambda: ws.rows(TeamChallenge)[0].status == "closed")
    [challenge] = ws.rows(TeamChallenge)
    assert challenge.close_reason == "stopped"
    assert ws.rows(TeamMember) == []
    assert "no challenge" in ws.command("leaderboard")["text"].lower()


def test_deleting_a_person_deletes_their_membership_and_export_lists_it(
    ws: Workspace, settings: Settings
) -> None:
    start(ws)
    ws.command("join", user=ALICE)
    ws.command("join", user=BOB)
    alice = ws.user_id(ALICE)
    privacy = PrivacyService(ws.database, None, None, settings.data_dir)
    [export, _] = ws.run(lambda: privacy.export(alice))
    rows = json.loads(export.read_text())["tables"]["team_challenge_members"]
    assert [r["member_ref"] for r in rows] == [ALICE]
    report = ws.run(lambda: privacy.delete(alice))
    assert report.rows["team_challenge_members"] == 1
    assert {m.member_ref for m in ws.rows(TeamMember)} == {BOB}
    assert len(ws.rows(TeamChallenge)) == 1  # the channel's challenge goes on
    assert ALICE not in all_text(ws.command("leaderboard")["blocks"])


# ---------------------------------------------------------------------- choice buttons
def _ask(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    async def ask(text: str, context: Any, thread_id: str, **_: Any) -> AgentReply:
        if text.strip() in ("1", "2", "Porridge", "Oatmeal"):
            return AgentReply(text=f"Noted: {text.strip()}.")
        return AgentReply(text="Which one did you mean?", options=["Porridge", "Oatmeal"])

    agent = ws.client.app.state.services.agent  # type: ignore[attr-defined]
    monkeypatch.setattr(agent, "respond", ask)


def test_a_pressed_choice_removes_the_buttons_in_a_dm(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ask(ws, monkeypatch)
    ws.dm("had oats", ALICE)
    [question] = ws.fake.calls_to("chat.postMessage", ok_only=True)
    message = posted(ws, question)
    assert any(b["type"] == "actions" for b in message["blocks"])
    ws.press(
        "fitcoach_choice_1", "2", user=ALICE, message=message, channel="D0ALICE", label="2. Oatmeal"
    )
    [update] = ws.fake.wait_for("chat.update")
    assert update.args["ts"] == message["ts"] and update.args["channel"] == "D0ALICE"
    now = ws.fake.message("D0ALICE", message["ts"])
    assert now is not None and now["text"] == message["text"]
    assert not any(b["type"] == "actions" for b in now["blocks"])
    assert "Which one did you mean?" in all_text(now["blocks"])
    assert now["blocks"][-1]["elements"][0]["text"] == "✔ You chose: 2. Oatmeal"
    answers = ws.fake.wait_for("chat.postMessage", 2)
    assert "Noted" in answers[-1].args["text"]  # the press still reached the coach


def test_a_pressed_choice_in_a_channel_names_who_chose(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ask(ws, monkeypatch)
    ws.mention("had oats", user=ALICE)
    [question] = ws.fake.wait_for("chat.postMessage")
    message = posted(ws, question)
    ws.press("fitcoach_choice_0", "1", user=ALICE, message=message, label="1. Porridge")
    ws.fake.wait_for("chat.update")
    now = ws.fake.message(GENERAL, message["ts"])
    assert now is not None
    assert now["blocks"][-1]["elements"][0]["text"] == f"✔ <@{ALICE}> chose: 1. Porridge"


def test_a_pressed_choice_on_an_ephemeral_reply_replaces_it(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ask(ws, monkeypatch)
    ws.command("had oats")
    ws.fake.wait_for("response_url")
    key = ws.press(
        "fitcoach_choice_1",
        "2",
        user=ALICE,
        message={"ts": "1.1"},
        label="2. Oatmeal",
        ephemeral=True,
    )
    eventually(lambda: any(c.args.get("replace_original") for c in ws.replies(key)))
    [replacement] = [c for c in ws.replies(key) if c.args.get("replace_original")]
    assert replacement.args["text"] == "✔ You chose: 2. Oatmeal"
    assert ws.fake.calls_to("chat.update") == []


def test_workouts_are_counted_per_member_in_sql(ws: Workspace) -> None:
    """The board's figures equal a direct count of each member's rows in the period."""
    start(ws)
    ws.command("join", user=ALICE)
    alice = ws.user_id(ALICE)
    [challenge] = ws.rows(TeamChallenge)
    inside = challenge.starts_at.replace(tzinfo=UTC) + timedelta(hours=1)
    before = challenge.starts_at.replace(tzinfo=UTC) - timedelta(minutes=1)

    async def seed() -> tuple[int, float]:
        async with ws.database.session() as session:
            journal = Journal(session, alice)
            for at in (inside, inside, before):
                await journal.add_workout(
                    [WorkoutSetRecord(exercise_name="running", duration_min=10)],
                    source_text="run",
                    logged_at=at,
                )
        async with ws.database.session() as session:
            count = (
                await session.execute(
                    select(func.count()).where(
                        Workout.user_id == alice,
                        Workout.logged_at >= challenge.starts_at,
                        Workout.logged_at < challenge.ends_at,
                    )
                )
            ).scalar_one()
            got = await TeamChallenges(session).get(challenge.id)
            assert got is not None
            board = await TeamChallenges(session).board(got)
        return int(count), board.standings[0].value

    count, value = ws.run(seed)
    assert count == 2 and value == 2.0
