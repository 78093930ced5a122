"""Dates and times written the way a person reads them, in the customer's time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def long_date(day: date) -> str:
    """'Tuesday 29 December 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def plain_date(day: date) -> str:
    """'24 November 2026': a letter's date line, as people write it."""
    return f"{day.day} {day:%B %Y}"


def long_instant(at: datetime, timezone: str) -> str:
    """'Friday 20 November 2026 at 15:30 GMT' in the given zone."""
    local = at.astimezone(ZoneInfo(timezone))
    return f"{long_date(local.date())} at {local:%H:%M} {local.tzname()}"


def duration(seconds: float) -> str:
    """'1h 11m', '2d 3h', '45s': compact, for figures and clocks."""
    negative = seconds < 0
    seconds = abs(int(round(seconds)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes and not days:
        parts.append(f"{minutes}m")
    if not parts:
        parts.append(f"{secs}s")
    return ("-" if negative else "") + " ".join(parts)
