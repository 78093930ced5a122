"""Shared calendars and helpers for the sla tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sla import Calendar, HolidaySource, parse_closure

EW = HolidaySource("GB", ("ENG", "WLS"))


def Z(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(y, m, d, h, mi, s, tzinfo=UTC)


def london(
    hours: dict | None = None, subdivisions: tuple[str, ...] = ("ENG", "WLS"), **kw
) -> Calendar:
    """Europe/London calendar, Mon-Fri 08:30-18:00 by default, with GB holidays."""
    return Calendar(
        "Europe/London",
        hours or {"mon-fri": ["08:30-18:00"]},
        holidays=[HolidaySource("GB", subdivisions)],
        **kw,
    )


@pytest.fixture(scope="session")
def lon() -> Calendar:
    return london()


@pytest.fixture(scope="session")
def lunch() -> Calendar:
    return london({"mon-fri": ["09:00-12:30", "13:30-17:00"]})


@pytest.fixture(scope="session")
def late() -> Calendar:
    return london({"mon-fri": ["18:00-24:00"]})


@pytest.fixture(scope="session")
def putty() -> Calendar:
    return london(
        {"mon-fri": ["09:00-17:00"]}, closures=[parse_closure("Christmas", "12-24", "01-01")]
    )
