"""A slow, obviously-correct reference for business-time addition, used to check the engine.

It walks local dates one by one and builds each day's intervals straight from zoneinfo and the
holidays package, sharing no code with sla.calendar's tables.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib


class ReferenceCalendar:
    """Weekly intervals {weekday: [(h, m, h, m)]} in a zone, closed on given holidays."""

    def __init__(
        self,
        tz: str,
        week: dict[int, list[tuple[int, int, int, int]]],
        country: str | None,
        subdivs: tuple[str, ...] = (),
        closed: set[date] = frozenset(),
    ) -> None:
        self.tz = ZoneInfo(tz)
        self.week = week
        self.closed = set(closed)
        for year in range(2023, 2032) if country else ():
            for sub in subdivs or (None,):
                self.closed |= set(holidays_lib.country_holidays(country, subdiv=sub, years=year))

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.closed:
            return []
        out = []
        for h1, m1, h2, m2 in self.week.get(day.weekday(), []):
            start = datetime.combine(day, time(h1, m1), tzinfo=self.tz)
            if h2 == 24:
                end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=self.tz)
            else:
                end = datetime.combine(day, time(h2, m2), tzinfo=self.tz)
            out.append((start.astimezone(UTC), end.astimezone(UTC)))
        return out

    def add(self, start: datetime, duration: timedelta) -> datetime:
        if duration == timedelta(0):
            return start
        left = duration
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        while True:
            for s, e in self.intervals(day):
                s = max(s, start)
                if e <= s:
                    continue
                if e - s >= left:
                    return s + left
                left -= e - s
            day += timedelta(days=1)
