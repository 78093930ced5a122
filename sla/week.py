"""The working week: open intervals per weekday, in local wall-clock minutes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_INDEX = {name: i for i, name in enumerate(DAY_NAMES)}
_INTERVAL = re.compile(r"^\s*(\d{2}):(\d{2})\s*[-–]\s*(\d{2}):(\d{2})\s*$")

Interval = tuple[int, int]  # minutes after local midnight, end exclusive, end may be 1440
Week = tuple[tuple[Interval, ...], ...]  # seven entries, Monday first

FULL_DAY: Interval = (0, 1440)
ALWAYS: Week = tuple(((FULL_DAY,),) * 7)
MON_FRI_ALL_DAY: Week = tuple(((FULL_DAY,),) * 5 + ((), ()))


class WeekError(ValueError):
    """A working week that cannot be read; `key` names the offending entry."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key
        self.reason = reason


def parse_days(key: str) -> list[int]:
    """Weekday indexes of a key such as 'mon', 'mon-fri' or 'daily'."""
    k = key.strip().lower()
    if k in ("daily", "all"):
        return list(range(7))
    if k == "weekdays":
        return list(range(5))
    if k == "weekends":
        return [5, 6]
    first, sep, last = k.partition("-")
    if first not in _DAY_INDEX or (sep and last not in _DAY_INDEX):
        raise WeekError(
            key, f"unknown day {key!r} (use mon..sun, a range such as mon-fri, weekdays or daily)"
        )
    if not sep:
        return [_DAY_INDEX[first]]
    a, b = _DAY_INDEX[first], _DAY_INDEX[last]
    if b < a:
        raise WeekError(key, f"day range {key!r} runs backwards")
    return list(range(a, b + 1))


def parse_interval(text: str) -> Interval:
    """Minutes of an 'HH:MM-HH:MM' interval; the end may be 24:00, never before the start."""
    m = _INTERVAL.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"malformed interval {text!r} (expected HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"malformed interval {text!r} (times run from 00:00 to 24:00)")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError(
            f"interval {text!r} ends before it starts (split an overnight shift at 24:00)"
        )
    return (start, end)


def format_minute(minute: int) -> str:
    """'HH:MM' of minutes after midnight; 1440 is 24:00."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_interval(interval: Interval) -> str:
    """'HH:MM-HH:MM' of an interval."""
    return f"{format_minute(interval[0])}-{format_minute(interval[1])}"


def build_week(hours: Mapping[str, Sequence[str]]) -> Week:
    """A week from {'mon-fri': ['08:30-18:00'], ...}; overlapping intervals are refused."""
    days: list[list[tuple[Interval, str]]] = [[] for _ in range(7)]
    for key, texts in hours.items():
        if isinstance(texts, str):
            texts = [texts]
        indexes = parse_days(key)
        for text in texts:
            try:
                interval = parse_interval(text)
            except ValueError as exc:
                raise WeekError(key, str(exc)) from None
            for i in indexes:
                for other, other_text in days[i]:
                    if interval[0] < other[1] and other[0] < interval[1]:
                        raise WeekError(
                            key,
                            f"intervals {other_text} and {text.strip()} overlap on {DAY_NAMES[i]}",
                        )
                days[i].append((interval, text.strip()))
    return tuple(_merge(iv for iv, _ in day) for day in days)


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted intervals with touching ones joined, so 09:00-12:00 and 12:00-17:00 is one."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def week_as_hours(week: Week) -> dict[str, list[str]]:
    """The canonical {'mon': [...], ..., 'sun': [...]} form of a week."""
    return {DAY_NAMES[i]: [format_interval(iv) for iv in week[i]] for i in range(7)}


def weekly_minutes(week: Week) -> int:
    """Nominal open minutes in a week (ignores DST, holidays and closures)."""
    return sum(e - s for day in week for s, e in day)
