"""SLA clocks that pause: due instants excluding paused time, time remaining, warning instants."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .calendar import Calendar
from .instants import from_us, require_aware, to_us
from .units import CLOCK, Clock, Unit, due

Pause = tuple[datetime, datetime | None]  # (paused at, resumed at or None while still paused)


def merge_pauses(
    pauses: Iterable[Pause], since: datetime | None = None
) -> list[tuple[datetime, datetime | None]]:
    """Pauses in order with overlaps joined and anything before `since` cut off."""
    spans: list[tuple[int, int | None]] = []
    floor = to_us(since) if since is not None else None
    for begin, end in pauses:
        b = to_us(begin)
        e = to_us(end) if end is not None else None
        if floor is not None:
            if e is not None and e <= floor:
                continue
            b = max(b, floor)
        if e is not None and e <= b:
            continue
        spans.append((b, e))
    spans.sort(key=lambda span: span[0])
    merged: list[tuple[int, int | None]] = []
    for b, e in spans:
        if merged:
            pb, pe = merged[-1]
            if pe is None:
                break  # an open pause swallows everything after it
            if b <= pe:
                merged[-1] = (pb, None if e is None else max(pe, e))
                continue
        merged.append((b, e))
    return [(from_us(b), None if e is None else from_us(e)) for b, e in merged]


def extend_for_pauses(
    calendar: Calendar, start: datetime, due_at: datetime, pauses: Iterable[Pause], clock: Clock
) -> datetime | None:
    """Push `due_at` back by the clock time of every pause that began before it.

    Business clocks extend by the pause's open time on the calendar, elapsed clocks by its
    length; a pause that has not ended yet leaves the due unknown (None). Pauses are taken in
    order, so extending the due can bring a later pause inside it. For business time this is
    exactly "the clock stops while paused": the due is where the remaining time, carried to the
    resume, runs out.
    """
    current = require_aware(due_at, "due")
    for begin, end in merge_pauses(pauses, since=start):
        if begin >= current:
            break
        if end is None:
            return None
        if clock is Clock.BUSINESS:
            current = calendar.add_business(current, calendar.business_between(begin, end))
        else:
            current = current + (end - begin)
    return current


def due_with_pauses(
    calendar: Calendar,
    received_at: datetime,
    amount: float | None,
    unit: Unit | str,
    pauses: Iterable[Pause] = (),
) -> datetime | None:
    """The due of a target counted from `received_at`, excluding paused time.

    business_hours / business_minutes and calendar units: the clock simply stops while paused.
    working_days: the due moves on by the open time the pauses took, so a pause of one full
    working day moves it one working day. end_of_working_day: the same, then rounded up to the
    end of the local day, since such deadlines are whole days. A pause still running → None.
    """
    unit = Unit(unit)
    base = due(calendar, received_at, amount, unit)
    if base is None:
        return None
    pauses = list(pauses)
    if not pauses:
        return base
    result = extend_for_pauses(calendar, received_at, base, pauses, CLOCK[unit])
    if result is not None and unit is Unit.END_OF_WORKING_DAY and result != base:
        result = calendar.end_of_day(result)
    return result


def remaining(
    calendar: Calendar, now: datetime, due_at: datetime, clock: Clock = Clock.BUSINESS
) -> timedelta:
    """Clock time left from `now` until `due_at`; negative once overdue.

    This is the time to carry over a pause. A workflow timer wants wall time instead:
    `due_at - now`.
    """
    if clock is Clock.BUSINESS:
        return calendar.business_between(now, due_at)
    return require_aware(due_at, "due") - require_aware(now, "now")


def paused_time(
    calendar: Calendar,
    pauses: Iterable[Pause],
    since: datetime,
    until: datetime,
    clock: Clock = Clock.BUSINESS,
) -> timedelta:
    """Clock time spent paused between `since` and `until` (a running pause counts to `until`)."""
    total = timedelta()
    for begin, end in merge_pauses(pauses, since=since):
        if begin >= until:
            break
        end = until if end is None or end > until else end
        total += calendar.business_between(begin, end) if clock is Clock.BUSINESS else end - begin
    return total


def warn_at(
    calendar: Calendar,
    start: datetime,
    due_at: datetime,
    fraction: float = 0.75,
    clock: Clock = Clock.BUSINESS,
) -> datetime:
    """The instant `fraction` of the clock time from `start` to `due_at` has passed."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"a warning fraction lies between 0 and 1, not {fraction!r}")
    if clock is Clock.BUSINESS:
        return calendar.fraction_point(start, due_at, fraction)
    start = require_aware(start, "start")
    return start + _scale(require_aware(due_at, "due") - start, fraction)


def _scale(span: timedelta, fraction: float) -> timedelta:
    return timedelta(microseconds=round((span // timedelta(microseconds=1)) * fraction))
