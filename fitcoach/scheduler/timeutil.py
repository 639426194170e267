"""Local-time helpers: zones, local instants, quiet hours."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_SHORT = tuple(name[:3] for name in WEEKDAY_NAMES)
_HHMM = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*$", re.I)


def zone(name: str | None) -> ZoneInfo:
    """A timezone by IANA name, UTC when unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def aware(moment: datetime) -> datetime:
    """Treat naive datetimes (SQLite) as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_now(now: datetime, tz: str | None) -> datetime:
    """``now`` in the person's zone."""
    return aware(now).astimezone(zone(tz))


def at_local(day: date, minutes: int, tz: str | None) -> datetime:
    """The UTC instant of ``day`` at ``minutes`` after local midnight (DST-safe)."""
    minutes = max(0, min(minutes, 24 * 60 - 1))
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone(tz))
    return local.astimezone(UTC)


def local_midnight(day: date, tz: str | None) -> datetime:
    """Start of a local day, in UTC."""
    return at_local(day, 0, tz)


def minutes_of(moment: datetime) -> int:
    """Minutes after midnight of a local datetime."""
    return moment.hour * 60 + moment.minute


def parse_hhmm(text: str) -> int | None:
    """"21:00", "9pm", "9:30 am", "7" → minutes after midnight; None when unreadable."""
    match = _HHMM.match(text)
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return hour * 60 + minute


def hhmm(minutes: int) -> str:
    """Minutes after midnight as "HH:MM"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def in_quiet(minute: int, start: int, end: int) -> bool:
    """Whether a local minute falls in quiet hours [start, end) (may wrap midnight)."""
    if start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def quiet_ends_after(now: datetime, tz: str | None, start: int, end: int) -> datetime:
    """The UTC instant quiet hours (active at ``now``) end."""
    local = local_now(now, tz)
    day = local.date()
    if start > end and minutes_of(local) >= start:
        day += timedelta(days=1)
    return at_local(day, end, tz)
