"""Whole days a calendar is closed: public holidays (the `holidays` package) and named closures."""

from __future__ import annotations

import calendar as _cal
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class HolidaySource:
    """Public holidays of a country, optionally the union of several of its subdivisions."""

    country: str
    subdivisions: tuple[str, ...] = ()

    def dates(self, year: int) -> dict[date, str]:
        """Holidays (observed substitutes included) in a year, with their names."""
        return dict(_holidays_of(self.country, self.subdivisions, year))

    def label(self) -> str:
        """'GB (ENG, WLS)' or 'US'."""
        return (
            f"{self.country} ({', '.join(self.subdivisions)})"
            if self.subdivisions
            else self.country
        )


# How the holidays package is run: the worker (worker.py) sets this to the workflow sandbox's
# `sandbox_unrestricted`, because a country's first use reads its translations (gettext,
# locale), which the sandbox forbids, and a calendar no preset uses is first counted inside a
# ticket's workflow. The dates it gives are fixed by the country, subdivision and year alone.
unrestricted: Callable[[], AbstractContextManager[Any]] = nullcontext
# The years deadlines may count in (sla.loader.PRELOAD_YEARS): only these are counted
# unrestricted, so a year past them still fails inside a workflow as the API's bounds expect.
COUNTABLE_YEARS = range(2000, 2081)


def _holidays_module() -> Any:
    # Imported on first use: the package takes ~0.1 s to import and sla must import cheaply.
    import holidays

    return holidays


@cache
def _holidays_of(
    country: str, subdivisions: tuple[str, ...], year: int
) -> tuple[tuple[date, str], ...]:
    lib = _holidays_module()
    found: dict[date, str] = {}
    with unrestricted() if year in COUNTABLE_YEARS else nullcontext():
        for subdiv in subdivisions or (None,):
            # Neighbouring years too: an observed substitute can fall across the new year.
            years = (year - 1, year, year + 1)
            for day, name in lib.country_holidays(
                country, subdiv=subdiv, years=years, observed=True
            ).items():
                if day.year == year:
                    found.setdefault(day, name)
    return tuple(sorted(found.items()))


def check_holiday_source(country: str, subdivisions: tuple[str, ...] | list[str]) -> HolidaySource:
    """A HolidaySource with subdivision names resolved to codes; ValueError naming the unknown."""
    lib = _holidays_module()
    # The country's class from the registry, not an instance: instantiating one reads the
    # locale, which the workflow sandbox forbids, and a ticket's policy snapshot is validated
    # inside its workflow (sla.snapshot).
    if country not in lib.list_supported_countries(include_aliases=True):
        raise ValueError(
            f"unknown holiday country {country!r}"
            " (use an ISO 3166 code the holidays package supports)"
        )
    entity = getattr(lib, country)
    codes = tuple(getattr(entity, "subdivisions", ()) or ())
    aliases = dict(getattr(entity, "subdivisions_aliases", {}) or {})
    resolved: list[str] = []
    for sub in subdivisions:
        if sub in codes:
            code = sub
        elif sub in aliases:
            code = aliases[sub]
        else:
            known = ", ".join(codes) if codes else "none"
            raise ValueError(f"unknown holiday subdivision {sub!r} of {country} (known: {known})")
        if code not in resolved:
            resolved.append(code)
    return HolidaySource(country, tuple(resolved))


@dataclass(frozen=True)
class Closure:
    """A named closure of whole days, inclusive: a fixed range, or one recurring every year.

    A recurring range may cross the new year (24 Dec - 1 Jan). A recurring 29 February means
    28 February in other years.
    """

    name: str
    first: date | tuple[int, int]
    last: date | tuple[int, int]

    @property
    def recurring(self) -> bool:
        """Whether the range repeats every year."""
        return isinstance(self.first, tuple)

    def dates(self, year: int) -> list[date]:
        """The days of this closure that fall in a year."""
        if isinstance(self.first, date) and isinstance(self.last, date):
            lo = max(self.first, date(year, 1, 1))
            hi = min(self.last, date(year, 12, 31))
            return _span(lo, hi)
        assert isinstance(self.first, tuple) and isinstance(self.last, tuple)
        start, end = _annual(year, self.first), _annual(year, self.last)
        if self.first <= self.last:
            return _span(start, end)
        # Crosses the new year: the tail of the previous year's run, then this year's start.
        return _span(date(year, 1, 1), end) + _span(start, date(year, 12, 31))

    def label(self) -> str:
        """'Christmas: 12-24..01-01 every year' or 'Move: 2026-05-01..2026-05-03'."""
        if isinstance(self.first, tuple) and isinstance(self.last, tuple):
            (m1, d1), (m2, d2) = self.first, self.last
            return f"{self.name}: {m1:02d}-{d1:02d}..{m2:02d}-{d2:02d} every year"
        return f"{self.name}: {self.first}..{self.last}"


def parse_closure(name: str, first: str, last: str) -> Closure:
    """A Closure from 'YYYY-MM-DD' dates (fixed) or 'MM-DD' dates (every year)."""
    a, b = _parse_day(first), _parse_day(last)
    if type(a) is not type(b):
        raise ValueError("start and end must both be YYYY-MM-DD (fixed) or both MM-DD (every year)")
    if isinstance(a, date) and isinstance(b, date) and b < a:
        raise ValueError(f"closure ends ({last}) before it starts ({first})")
    return Closure(name, a, b)


def _parse_day(text: str) -> date | tuple[int, int]:
    parts = text.strip().split("-") if isinstance(text, str) else []
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 2:
            month, day = int(parts[0]), int(parts[1])
            date(2024, month, day)  # a leap year, so 02-29 is accepted
            return (month, day)
    except ValueError:
        pass
    raise ValueError(f"malformed date {text!r} (expected YYYY-MM-DD, or MM-DD for every year)")


def _annual(year: int, month_day: tuple[int, int]) -> date:
    month, day = month_day
    return date(year, month, min(day, _cal.monthrange(year, month)[1]))


def _span(lo: date, hi: date) -> list[date]:
    out: list[date] = []
    while lo <= hi:
        out.append(lo)
        lo += _ONE_DAY
    return out


@dataclass(frozen=True)
class ClosedDays:
    """Every reason a calendar closes a whole day."""

    holidays: tuple[HolidaySource, ...] = ()
    closures: tuple[Closure, ...] = ()

    def for_year(self, year: int) -> dict[date, str]:
        """Closed days in a year with the reason (holiday or closure name)."""
        return dict(_closed_days(self, year))

    def __bool__(self) -> bool:
        return bool(self.holidays or self.closures)


# Unbounded: the calendars are few, and a worker preloads them so that workflows never have to
# call into the holidays package (which the Temporal sandbox forbids: it reads the locale).
@cache
def _closed_days(closed: ClosedDays, year: int) -> tuple[tuple[date, str], ...]:
    found: dict[date, str] = {}
    for source in closed.holidays:
        for day, name in source.dates(year).items():
            found.setdefault(day, name)
    for closure in closed.closures:
        for day in closure.dates(year):
            found.setdefault(day, closure.name)
    return tuple(sorted(found.items()))
