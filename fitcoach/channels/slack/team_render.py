"""Team challenge messages as Block Kit: announcement, leaderboard and final standings.

Pure functions. People appear only as Slack mentions of opted-in members; every number is a
figure from the database (``Board``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fitcoach.channels.slack.render import SECTION_LIMIT, SlackPayload, split_text
from fitcoach.storage.teams import GOALS, UNITS, Board, Period, Standing, local_date

JOIN_ACTION = "fitcoach_team_join"
LEAVE_ACTION = "fitcoach_team_leave"
TEAM_ACTION_PREFIX = "fitcoach_team_"
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
PRIVACY_NOTE = (
    "Only people who joined are shown · `/coach join` to take part · `/coach leave` to drop out"
)
_SAFE_REF = re.compile(r"^[A-Z0-9]{2,32}$")


def mention(member_ref: str) -> str:
    """``<@U123>`` for a Slack user id; anything else is not rendered as markup."""
    return f"<@{member_ref}>" if _SAFE_REF.match(member_ref) else "someone"


def period_label(period: Period) -> str:
    """``Mon 2 Mar – Sun 8 Mar`` in the challenge's timezone."""
    first = local_date(period.starts_at, period.timezone)
    last = local_date(period.ends_at - timedelta(microseconds=1), period.timezone)
    return f"{first:%a} {first.day} {first:%b} – {last:%a} {last.day} {last:%b}"


def figure(goal: str, value: float) -> str:
    """``5 workouts``, ``95 min``, ``1 day``, ``12.5 km``."""
    singular, plural = UNITS.get(goal, ("", ""))
    if goal == "distance":
        return f"{value:.1f} {plural}"
    count = round(value)
    return f"{count} {singular if count == 1 else plural}"


def standings_lines(board: Board) -> list[str]:
    """One line per member, best first; an empty board says so."""
    if not board.standings:
        return ["Nobody has joined yet."]
    return [_line(board.goal, s) for s in board.standings]


def _line(goal: str, standing: Standing) -> str:
    prefix = MEDALS.get(standing.rank, f"{standing.rank}.") if standing.value > 0 else "·"
    return f"{prefix} {mention(standing.member_ref)} — {figure(goal, standing.value)}"


def title(goal: str) -> str:
    """``most workouts``."""
    return GOALS.get(goal, goal)


def announcement(board: Board, members: int, *, heading: str | None = None) -> SlackPayload:
    """A new challenge (or week): what counts, when, privacy, and Join / Leave buttons."""
    head = heading or f"*🏁 Team challenge: {title(board.goal)}*"
    repeat = "A new week starts every Monday; members stay in." if board.recurring else ""
    body = (
        f"{head}\n{period_label(board.period)} ({board.period.timezone}). "
        f"Counted from the workouts you log with me (DM me, or `/coach ran 5 km`). "
        f"Only people who join appear on the leaderboard. {repeat}"
    ).strip()
    blocks = [_section(body), _count(members), _buttons(board.challenge_id)]
    text = f"{_plain(head)}: {period_label(board.period)}. Join with `/coach join`."
    return SlackPayload(text=text, blocks=blocks)


def leaderboard(board: Board, *, ended: bool = False) -> SlackPayload:
    """The current standings of a running challenge (``ended``: its week is over and the
    final standings are about to be posted)."""
    when = "the week is over; final standings follow this morning" if ended else "so far"
    head = f"*🏆 Leaderboard — {title(board.goal)}*\n{period_label(board.period)}, {when}"
    lines = standings_lines(board)
    blocks = [_section(head), *(_section(c) for c in split_text("\n".join(lines), SECTION_LIMIT))]
    blocks.append(_context(PRIVACY_NOTE))
    text = "\n".join([_plain(head), *lines])
    return SlackPayload(text=text, blocks=blocks)


def final_standings(
    board: Board, next_period: Period | None, stopped_by: str | None = None
) -> SlackPayload:
    """The closing post: final standings, the winner(s), and the next week when it rolls over."""
    head = f"*🏁 Final standings — {title(board.goal)}*\n{period_label(board.period)}"
    if stopped_by:
        head += f" · stopped early by {mention(stopped_by)}"
    lines = standings_lines(board) if board.standings else ["Nobody joined this challenge."]
    blocks = [_section(head), *(_section(c) for c in split_text("\n".join(lines), SECTION_LIMIT))]
    winners = [s for s in board.standings if s.rank == 1 and s.value > 0]
    cheer = ""
    if winners:
        cheer = f"🎉 Congratulations {', '.join(mention(w.member_ref) for w in winners)}!"
        blocks.append(_section(cheer))
    text_parts = [_plain(head), *lines, cheer]
    if next_period is not None:
        nxt = (
            f"*New week, same challenge:* {period_label(next_period)}. "
            "Everyone taking part stays in."
        )
        blocks += [_section(nxt), _count(len(board.standings)), _buttons(board.challenge_id)]
        text_parts.append(_plain(nxt))
    else:
        blocks.append(_context(PRIVACY_NOTE))
    return SlackPayload(text="\n".join(p for p in text_parts if p), blocks=blocks)


def with_count(payload: SlackPayload, members: int) -> SlackPayload:
    """The same message with its participant count brought up to date."""
    if payload.blocks is None:
        return payload
    blocks = [_count(members) if b.get("block_id") == "team_count" else b for b in payload.blocks]
    return SlackPayload(text=payload.text, blocks=blocks)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _count(members: int) -> dict[str, Any]:
    if members == 0:
        who = "Nobody has joined yet"
    else:
        who = "1 person taking part" if members == 1 else f"{members} people taking part"
    return {**_context(who), "block_id": "team_count"}


def _buttons(challenge_id: int) -> dict[str, Any]:
    value = str(challenge_id)
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": JOIN_ACTION,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Join", "emoji": True},
                "value": value,
            },
            {
                "type": "button",
                "action_id": LEAVE_ACTION,
                "text": {"type": "plain_text", "text": "Leave", "emoji": True},
                "value": value,
            },
        ],
    }


def _plain(mrkdwn: str) -> str:
    return mrkdwn.replace("*", "").replace("\n", " · ")
