"""Business calendars: when a team is open, and deadline arithmetic over that open time.

Every operation is a pure function of the calendar's definition and its arguments. Time is
handled as integer microseconds since the epoch; each calendar lazily builds, per local year,
the UTC open intervals of every day and running totals of open time and of working days, so an
addition is two binary searches and a walk over one day's intervals, whatever its length.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from .closed_days import ClosedDays, Closure, HolidaySource
from .instants import (
    DAY_US,
    MINUTE_US,
    duration_us,
    from_us,
    naive_wall_to_us,
    to_us,
    wall_to_us,
    zone,
)
from .week import ALWAYS, DAY_NAMES, MON_FRI_ALL_DAY, Week, build_week, week_as_hours

_MIN_YEAR, _MAX_YEAR = 2, 9997
# How far past the last open day the engine looks before deciding a calendar never opens again.
_EMPTY_YEARS_LIMIT = 60


class _Table:
    """Per-day facts for a contiguous run of local years; immutable once built."""

    __slots__ = ("year0", "year1", "ord0", "starts", "prefix", "ivs", "wprefix", "simple")

    def __init__(self, year0: int, year1: int, years: Sequence[_Year]) -> None:
        self.year0, self.year1 = year0, year1
        self.ord0 = date(year0, 1, 1).toordinal()
        starts: list[int] = []
        ivs: list[tuple[int, ...]] = []
        prefix = [0]
        wprefix = [0]
        total = working = 0
        for y in years:
            starts.extend(y.starts)
            ivs.extend(y.ivs)
            for t in y.totals:
                total += t
                prefix.append(total)
            for w in y.working:
                working += w
                wprefix.append(working)
        starts.append(years[-1].end)
        self.starts = starts  # local midnight of each day, plus the midnight after the last
        self.prefix = prefix  # open time before each day
        self.ivs = ivs  # each day's open intervals, flattened (s0, e0, s1, e1, ...)
        self.wprefix = wprefix  # working days before each day
        # Days without a clock change, where wall time is simply the offset from midnight.
        self.simple = [starts[i + 1] - starts[i] == DAY_US for i in range(len(ivs))]


class _Year:
    __slots__ = ("starts", "ivs", "totals", "working", "end")

    def __init__(
        self,
        starts: list[int],
        ivs: list[tuple[int, ...]],
        totals: list[int],
        working: list[bool],
        end: int,
    ) -> None:
        self.starts, self.ivs, self.totals, self.working, self.end = (
            starts,
            ivs,
            totals,
            working,
            end,
        )


class Calendar:
    """A time zone, open intervals per weekday, holidays and closures; see docs/deadlines.md."""

    def __init__(
        self,
        timezone: str,
        hours: Week | Mapping[str, Sequence[str] | str],
        *,
        holidays: Iterable[HolidaySource | tuple[str, Sequence[str]] | str] = (),
        closures: Iterable[Closure] = (),
        working_weekdays: Iterable[int] | None = None,
        name: str = "",
    ) -> None:
        self.timezone = timezone
        self._tz = zone(timezone)
        self.week: Week = (
            build_week(hours) if isinstance(hours, Mapping) else tuple(tuple(d) for d in hours)
        )
        if len(self.week) != 7:
            raise ValueError("a week has seven days, Monday first")
        if not any(self.week):
            raise ValueError("a calendar must be open at some time of the week")
        self.closed = ClosedDays(tuple(_holiday_source(h) for h in holidays), tuple(closures))
        open_days = frozenset(i for i in range(7) if self.week[i])
        if working_weekdays is None:
            self.working_weekdays = open_days
        else:
            self.working_weekdays = frozenset(working_weekdays)
            if not self.working_weekdays:
                raise ValueError("a calendar needs at least one working weekday")
            if not self.working_weekdays <= open_days:
                shut = ", ".join(DAY_NAMES[i] for i in sorted(self.working_weekdays - open_days))
                raise ValueError(f"working weekdays must have opening hours; none on {shut}")
        self.name = name
        self._working_mask = tuple(i in self.working_weekdays for i in range(7))
        self._years: dict[int, _Year] = {}
        self._table: _Table | None = None

    # ----------------------------------------------------------------- constructors

    @classmethod
    def always_open(cls, timezone: str = "UTC", name: str = "24/7") -> Calendar:
        """Open every minute of every day: business time is elapsed time."""
        return cls(timezone, ALWAYS, name=name)

    @classmethod
    def working_days_only(
        cls,
        timezone: str,
        holidays: Iterable[HolidaySource | tuple[str, Sequence[str]] | str] = (),
        closures: Iterable[Closure] = (),
        name: str = "",
    ) -> Calendar:
        """A jurisdiction calendar: working days are Mon-Fri less holidays, open all day long."""
        return cls(timezone, MON_FRI_ALL_DAY, holidays=holidays, closures=closures, name=name)

    # ----------------------------------------------------------------- identity

    def _key(self) -> tuple[Any, ...]:
        return (self.timezone, self.week, self.closed, self.working_weekdays)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Calendar) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"Calendar({label}{self.timezone}, {week_as_hours(self.week)})"

    @property
    def is_always_open(self) -> bool:
        """Open at every instant: every day 00:00-24:00 and nothing ever closed."""
        return self.week == ALWAYS and not self.closed

    # ----------------------------------------------------------------- queries

    def is_open(self, at: datetime) -> bool:
        """Whether `at` lies in an open interval (opening time included, closing time not)."""
        t = to_us(at)
        tab = self._covering(t, t)
        iv = tab.ivs[bisect_right(tab.starts, t) - 1]
        return any(iv[i] <= t < iv[i + 1] for i in range(0, len(iv), 2))

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, otherwise the next opening after it."""
        return from_us(self._next_open(to_us(at)))

    @property
    def tzinfo(self) -> tzinfo:
        """The calendar's time zone."""
        return self._tz

    def is_working_day(self, day: date) -> bool:
        """A working weekday that is neither a holiday nor a closure."""
        return self._working_mask[day.weekday()] and day not in self.closed.for_year(day.year)

    def closed_days(self, year: int) -> dict[date, str]:
        """Holidays and closures in a year, with their names."""
        return self.closed.for_year(year)

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The UTC open intervals of a local date (none on holidays and closures)."""
        t = wall_to_us(self._tz, day, 12 * 60)
        tab = self._covering(t, t)
        iv = tab.ivs[day.toordinal() - tab.ord0]
        return [(from_us(iv[i]), from_us(iv[i + 1])) for i in range(0, len(iv), 2)]

    def end_of_day(self, at: datetime) -> datetime:
        """`at` when it is a local midnight, otherwise the local midnight that follows it."""
        t = to_us(at)
        tab = self._covering(t, t)
        k = bisect_right(tab.starts, t) - 1
        return from_us(t if tab.starts[k] == t else tab.starts[k + 1])

    # ----------------------------------------------------------------- arithmetic

    def add_business(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which `duration` of open time has passed since `start`.

        A start while closed counts from the next opening; a duration that runs out exactly at
        closing time is due at closing time. A zero duration is due at `start`.
        """
        return from_us(self._add(to_us(start), duration_us(duration)))

    def business_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two instants (negative when `end` is before `start`)."""
        a, b = to_us(start), to_us(end)
        tab = self._covering(min(a, b), max(a, b))
        return timedelta(microseconds=self._cum(tab, b) - self._cum(tab, a))

    def fraction_point(self, start: datetime, end: datetime, fraction: float) -> datetime:
        """The instant by which `fraction` of the open time from `start` to `end` has passed."""
        a, b = to_us(start), to_us(end)
        tab = self._covering(min(a, b), max(a, b))
        return from_us(
            self._add(a, max(0, round((self._cum(tab, b) - self._cum(tab, a)) * fraction)))
        )

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local wall-clock time on the `days`-th working day after `start`.

        A closed start first moves to the next opening. When that wall time is not open on the
        due day (an earlier close, a lunch break, or a later opening), the due is the last
        closing time before it that day, or the day's first opening when none is before it.
        """
        return from_us(self._add_working_days(to_us(start), _count(days)))

    def end_of_working_day(self, received: datetime | date, days: int) -> datetime:
        """The end (next local midnight) of the `days`-th working day after the date of receipt.

        `received` is an instant, or a local date. The day of receipt is not counted; with
        `days` 0 the due is the end of that day. Only working days matter, not opening hours.
        """
        if isinstance(received, datetime):
            t = to_us(received)
        else:
            t = wall_to_us(self._tz, received, 12 * 60)
        return from_us(self._end_of_working_day(t, _count(days)))

    # ----------------------------------------------------------------- microsecond core

    def _add(self, t: int, d: int) -> int:
        if d <= 0:
            if d == 0:
                return t
            raise ValueError("a business duration cannot be negative")
        # The hot path of every deadline: kept inline, without helper calls.
        tab = self._table
        while True:
            if tab is None or t < tab.starts[0] or t >= tab.starts[-1]:
                tab = self._covering(t, t)
            prefix = tab.prefix
            k = bisect_right(tab.starts, t) - 1
            target = prefix[k] + d
            iv = tab.ivs[k]
            for i in range(0, len(iv), 2):
                s = iv[i]
                if t <= s:
                    break
                e = iv[i + 1]
                target += (t if t < e else e) - s
            if target <= prefix[-1]:
                break
            tab = self._grow_forward(tab, open_us=target - prefix[-1])
        # The day where the running total reaches the target, then the instant within it.
        j = bisect_left(prefix, target) - 1
        r = target - prefix[j]
        iv = tab.ivs[j]
        for i in range(0, len(iv), 2):
            s = iv[i]
            length = iv[i + 1] - s
            if r <= length:
                return s + r
            r -= length
        raise AssertionError("running totals disagree with the day's intervals")  # pragma: no cover

    @staticmethod
    def _cum(tab: _Table, t: int) -> int:
        """Open time from the start of the table to `t`."""
        k = bisect_right(tab.starts, t) - 1
        c = tab.prefix[k]
        iv = tab.ivs[k]
        for i in range(0, len(iv), 2):
            s = iv[i]
            if t <= s:
                break
            e = iv[i + 1]
            c += (t if t < e else e) - s
        return c

    def _next_open(self, t: int) -> int:
        tab = self._covering(t, t)
        k = bisect_right(tab.starts, t) - 1
        iv = tab.ivs[k]
        for i in range(0, len(iv), 2):
            if t < iv[i + 1]:
                return t if iv[i] <= t else iv[i]
        while True:
            done = tab.prefix[k + 1]
            i = bisect_right(tab.prefix, done)
            if i < len(tab.prefix):
                return tab.ivs[i - 1][0]
            tab = self._grow_forward(tab, open_us=1)
            k = bisect_right(tab.starts, t) - 1

    def _add_working_days(self, t: int, n: int) -> int:
        a = self._next_open(t)
        if n == 0:
            return a
        while True:
            tab = self._covering(a, a)
            k = bisect_right(tab.starts, a) - 1
            target = tab.wprefix[k + 1] + n
            if target <= tab.wprefix[-1]:
                break
            self._grow_forward(tab, working=target - tab.wprefix[-1])
        j = bisect_left(tab.wprefix, target) - 1
        starts = tab.starts
        if tab.simple[k] and tab.simple[j]:
            u = starts[j] + (a - starts[k])
        else:
            wall = from_us(a).astimezone(self._tz).replace(tzinfo=None)
            day = date.fromordinal(tab.ord0 + j)
            u = naive_wall_to_us(self._tz, datetime.combine(day, wall.time()))
        iv = tab.ivs[j]
        if not iv:  # only when a DST jump swallows a working day's whole opening
            return u
        best = iv[0]
        for i in range(0, len(iv), 2):
            if iv[i] <= u <= iv[i + 1]:
                return u
            if iv[i + 1] <= u:
                best = iv[i + 1]
        return best

    def _end_of_working_day(self, t: int, n: int) -> int:
        while True:
            tab = self._covering(t, t)
            k = bisect_right(tab.starts, t) - 1
            if n == 0:
                return tab.starts[k + 1]
            target = tab.wprefix[k + 1] + n
            if target <= tab.wprefix[-1]:
                break
            self._grow_forward(tab, working=target - tab.wprefix[-1])
        j = bisect_left(tab.wprefix, target) - 1
        return tab.starts[j + 1]

    # ----------------------------------------------------------------- lazily built tables

    def _covering(self, lo: int, hi: int) -> _Table:
        """A table whose days include the instants lo..hi."""
        tab = self._table
        if tab is not None and tab.starts[0] <= lo and hi < tab.starts[-1]:
            return tab
        # Instants are bucketed by UTC year; a local year can start up to a day either side.
        y0 = from_us(lo).year - 1
        y1 = from_us(hi).year + 1
        if tab is not None:
            y0, y1 = min(y0, tab.year0), max(y1, tab.year1)
        return self._rebuild(y0, y1)

    def _grow_forward(self, tab: _Table, open_us: int = 0, working: int = 0) -> _Table:
        """Append whole years to `tab` until they add `open_us` of open time and `working` days."""
        y1 = tab.year1
        idle = 0
        while open_us > 0 or working > 0:
            y1 += 1
            if y1 > _MAX_YEAR:
                raise ValueError("deadline beyond the range this calendar can count")
            year = self._year(y1)
            gained, days = sum(year.totals), sum(year.working)
            open_us -= gained
            working -= days
            idle = 0 if gained or days else idle + 1
            if idle > _EMPTY_YEARS_LIMIT:
                raise ValueError(
                    f"calendar {self.name or self.timezone} never opens again after {y1 - idle}"
                )
        return self._rebuild(tab.year0, y1)

    def _rebuild(self, y0: int, y1: int) -> _Table:
        if y0 < _MIN_YEAR or y1 > _MAX_YEAR:
            raise ValueError("instant out of the range this calendar can count")
        tab = _Table(y0, y1, [self._year(y) for y in range(y0, y1 + 1)])
        # Replaced whole, never mutated: a concurrent reader keeps a consistent snapshot.
        self._table = tab
        return tab

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        tz = self._tz
        first = date(year, 1, 1)
        ndays = date(year + 1, 1, 1).toordinal() - first.toordinal()
        days = [first + timedelta(days=i) for i in range(ndays + 1)]
        mids = [wall_to_us(tz, d, 0) for d in days]
        closed = self.closed.for_year(year)
        ivs: list[tuple[int, ...]] = []
        totals: list[int] = []
        working: list[bool] = []
        for i in range(ndays):
            day = days[i]
            wd = day.weekday()
            if day in closed:
                ivs.append(())
                totals.append(0)
                working.append(False)
                continue
            mid = mids[i]
            plain = mids[i + 1] - mid == DAY_US
            flat: list[int] = []
            for s, e in self.week[wd]:
                su = mid + s * MINUTE_US if plain else wall_to_us(tz, day, s)
                eu = mid + e * MINUTE_US if plain else wall_to_us(tz, day, e)
                if eu <= su:
                    continue  # a DST jump swallowed the interval
                if flat and su <= flat[-1]:
                    flat[-1] = max(flat[-1], eu)
                else:
                    flat += (su, eu)
            ivs.append(tuple(flat))
            totals.append(sum(flat[i + 1] - flat[i] for i in range(0, len(flat), 2)))
            working.append(self._working_mask[wd] and bool(flat))
        y = _Year(mids[:ndays], ivs, totals, working, mids[ndays])
        self._years[year] = y
        return y

    # ----------------------------------------------------------------- description

    def describe(self, years: Iterable[int] = ()) -> dict[str, Any]:
        """The calendar as JSON-ready data, with the closed days of the given years."""
        return {
            "name": self.name,
            "timezone": self.timezone,
            "always_open": self.is_always_open,
            "hours": week_as_hours(self.week),
            "working_weekdays": [DAY_NAMES[i] for i in sorted(self.working_weekdays)],
            "holidays": [h.label() for h in self.closed.holidays],
            "closures": [c.label() for c in self.closed.closures],
            "closed_days": {
                str(y): {d.isoformat(): n for d, n in self.closed.for_year(y).items()}
                for y in years
            },
        }


def _count(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"a number of working days must be a whole number >= 0, not {days!r}")
    return days


def _holiday_source(spec: HolidaySource | tuple[str, Sequence[str]] | str) -> HolidaySource:
    if isinstance(spec, HolidaySource):
        return spec
    if isinstance(spec, str):
        country, _, subs = spec.partition("-")
        return HolidaySource(country, tuple(s for s in subs.split("+") if s))
    country, subs = spec
    return HolidaySource(country, tuple(subs))


# GB subdivisions of the `holidays` package per UK jurisdiction ("uk": any part of the UK).
UK_JURISDICTIONS: dict[str, tuple[str, ...]] = {
    "england-wales": ("ENG", "WLS"),
    "england": ("ENG",),
    "wales": ("WLS",),
    "scotland": ("SCT",),
    "northern-ireland": ("NIR",),
    "uk": ("ENG", "WLS", "SCT", "NIR"),
}
_JURISDICTION_CALENDARS: dict[str, Calendar] = {}


def uk_working_days(jurisdiction: str = "england-wales") -> Calendar:
    """A working-days-only Europe/London calendar with a UK jurisdiction's bank holidays."""
    subdivisions = UK_JURISDICTIONS.get(jurisdiction)
    if subdivisions is None:
        raise ValueError(
            f"unknown UK jurisdiction {jurisdiction!r} (known: {', '.join(UK_JURISDICTIONS)})"
        )
    cal = _JURISDICTION_CALENDARS.get(jurisdiction)
    if cal is None:
        cal = Calendar.working_days_only(
            "Europe/London", [HolidaySource("GB", subdivisions)], name=jurisdiction
        )
        _JURISDICTION_CALENDARS[jurisdiction] = cal
    return cal
