"""Dates and times written the way a person reads them, in the customer's time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def long_date(day: date | str) -> str:
    """'Tuesday 29 December 2026' (from a date, or one written 2026-12-29)."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return f"{day:%A} {day.day} {day:%B %Y}"


def day_month_year(day: date | str) -> str:
    """'9 January 2027': for a table's column of dates."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
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


def day_and_time(at: datetime, timezone: str) -> str:
    """'Thursday 19 November 2026, 10:02': a timeline's line, the zone said once for all."""
    local = at.astimezone(ZoneInfo(timezone))
    return f"{long_date(local.date())}, {local:%H:%M}"


def short_instant(at: datetime, timezone: str) -> str:
    """'Thu 19 Nov 2026, 10:02': for tables of times, the zone said once below them."""
    local = at.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"


def zone_name(timezone: str) -> str:
    """'London time (GMT/BST)': the zone as a reader knows it, not its database key."""
    zone = ZoneInfo(timezone)
    city = timezone.rsplit("/", 1)[-1].replace("_", " ")
    names = list(
        dict.fromkeys(datetime(2026, month, 15, 12, tzinfo=zone).tzname() or "" for month in (1, 7))
    )
    shown = [n for n in names if n and not n.startswith(("+", "-"))]
    return f"{city} time" + (f" ({'/'.join(shown)})" if shown else "")


def spelled_duration(seconds: float) -> str:
    """'5 hours 7 minutes', '2 days 3 hours', 'less than a minute': for a sentence."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] + ([] if days else [(minutes, "minute")])
    return " ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in parts if n)
