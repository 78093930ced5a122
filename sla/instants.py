"""Aware datetimes to integer microseconds and back, the engine's only time representation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US

_ONE_DAY = timedelta(days=1)


def to_us(at: datetime) -> int:
    """Microseconds since the epoch of an aware datetime; naive ones are refused."""
    if at.tzinfo is not UTC and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError(f"naive datetime {at.isoformat()}: pass a timezone-aware instant")
    # timedelta arithmetic is exact, unlike timestamp(), which goes through a float.
    d = at - EPOCH
    return d.days * DAY_US + d.seconds * SECOND_US + d.microseconds


def from_us(us: int) -> datetime:
    """The UTC datetime of a count of microseconds since the epoch."""
    return EPOCH + timedelta(0, 0, us)


def duration_us(duration: timedelta) -> int:
    """Microseconds in a timedelta, exactly."""
    return duration.days * DAY_US + duration.seconds * SECOND_US + duration.microseconds


def us_duration(us: int) -> timedelta:
    """A timedelta of a count of microseconds."""
    return timedelta(microseconds=us)


def require_aware(at: datetime, name: str = "instant") -> datetime:
    """Return `at` in UTC, refusing naive datetimes."""
    if not isinstance(at, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} {at.isoformat()} is naive: pass a timezone-aware datetime")
    return at.astimezone(UTC)


@cache
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def wall_to_us(tz: ZoneInfo, day: date, minute: int) -> int:
    """The instant a local wall clock shows `minute` minutes after midnight of `day`.

    24:00 is the next day's midnight. An ambiguous wall time (clocks going back) means its
    first occurrence; a wall time skipped by clocks going forward means the moment the clocks
    jump, the first instant that exists after it.
    """
    if minute >= 1440:
        day = day + _ONE_DAY
        minute -= 1440
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    return naive_wall_to_us(tz, naive)


def naive_wall_to_us(tz: ZoneInfo, naive: datetime) -> int:
    """The instant a local wall clock shows `naive`, with the gap and fold rules of wall_to_us."""
    first = to_us(naive.replace(tzinfo=tz, fold=0))
    if from_us(first).astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # A gap: fold=0 and fold=1 read the wall time with the offsets either side of the jump,
    # so the jump lies between the two readings; find it to the microsecond by bisection.
    other = to_us(naive.replace(tzinfo=tz, fold=1))
    lo, hi = min(first, other), max(first, other)
    before = from_us(lo).astimezone(tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if from_us(mid).astimezone(tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi


def local_date(tz: ZoneInfo, us: int) -> date:
    """The local calendar date at an instant."""
    return from_us(us).astimezone(tz).date()
