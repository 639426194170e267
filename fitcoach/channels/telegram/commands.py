"""Bot commands: which are answered here and which become text for the conversation."""

from __future__ import annotations

import re
from dataclasses import dataclass

WELCOME_TEXT = (
    "Welcome to fitcoach! I log your meals and workouts with real numbers (USDA food data, an "
    "exercise catalog) and tell you how you're doing.\n\n"
    "To set you up, tell me three things:\n"
    '1. Your goal, e.g. "my goal is to lose 5 kg" or "I want to build muscle"\n'
    '2. Your units: "use metric" or "use imperial"\n'
    '3. Your timezone, e.g. "timezone Europe/Berlin"\n\n'
    'Then just tell me what you ate or did: "had 2 eggs and a banana", "bench 3x5 at 80kg". '
    "Send /help for everything I understand."
)

HELP_TEXT = (
    'Tell me what you ate ("oatmeal with milk for breakfast") or trained ("ran 5 km in '
    '30 min", "squat 3x8 at 100kg"), or your weight ("I weigh 72.5 kg"). You can send '
    "photos and voice notes too.\n\n"
    "Commands:\n"
    "/today - how am I doing today?\n"
    "/week - how was my week?\n"
    "/undo - remove the last entry\n"
    "/plan - a training and nutrition plan\n"
    "/remind - reminders\n"
    "/export - export your data\n"
    "/delete - delete your data\n"
    "/help - this message\n\n"
    "In a group, mention me or reply to one of my messages."
)

_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?=\s|$)(.*)$", re.S)

UNSUPPORTED_TEXT = "I can read text, photos and voice notes; I can't use that kind of message yet."

LOCAL_REPLIES: dict[str, str] = {"start": WELCOME_TEXT, "help": HELP_TEXT}
"""Commands answered by the adapter itself (static texts, no agent turn)."""

MAPPED_TEXT: dict[str, str] = {
    "today": "how am I doing today?",
    "week": "how was my week?",
    "undo": "undo",
}
"""Commands that stand for a plain request the agent already understands."""

BOT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("today", "How am I doing today?"),
    ("week", "How was my week?"),
    ("undo", "Remove the last entry"),
    ("plan", "A training and nutrition plan"),
    ("remind", "Reminders"),
    ("export", "Export your data"),
    ("delete", "Delete your data"),
    ("help", "What I understand"),
)
"""The menu registered with ``setMyCommands``."""


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed ``/name@bot args`` command."""

    name: str
    args: str
    addressee: str | None
    raw_name: str = ""
    """The name as typed (case kept), for commands passed through unchanged."""


@dataclass(frozen=True, slots=True)
class CommandRoute:
    """What to do with a command: answer ``local_reply`` here, or send ``text`` to the coach."""

    text: str
    local_reply: str | None = None


def parse_command(text: str) -> Command | None:
    """``/Name@Bot some args`` → Command("name", "some args", "bot"); None if not a command."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    name, addressee, args = match.groups()
    return Command(
        name=name.lower(),
        args=args.strip(),
        addressee=addressee.lower() if addressee else None,
        raw_name=name,
    )


def route_command(command: Command) -> CommandRoute:
    """Local reply for /start and /help, mapped text for /today, /week, /undo; every other
    command (/plan, /remind, /export, /delete, unknown) goes to the coach unchanged, minus the
    ``@bot`` suffix that only addresses the bot in a group."""
    if command.name in LOCAL_REPLIES:
        return CommandRoute(text=f"/{command.name}", local_reply=LOCAL_REPLIES[command.name])
    if command.name in MAPPED_TEXT:
        return CommandRoute(text=MAPPED_TEXT[command.name])
    text = f"/{command.raw_name or command.name}" + (f" {command.args}" if command.args else "")
    return CommandRoute(text=text)
