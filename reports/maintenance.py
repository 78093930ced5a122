"""Maintenance windows in the words people read (notices, reminders, banners) and as iCalendar
events (the notice's attachment and the public feed).

Times are written in the reader's zone, on the 24-hour clock as the rest of Pledge writes them:
'Tuesday 8 December, 20:00 to 02:00 UK time'. The
event's UID never changes and its SEQUENCE is the window's, so a calendar that has it keeps the
newest; a cancelled window is published once more with STATUS:CANCELLED (RFC 5546 PUBLISH:
nobody is asked to answer a notice).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from reports.customer_words import zone_words
from reports.words import possessive

# As services/monitors.SERVICE_NAMES names our services, in the middle of a sentence.
SERVICE_WORDS = {"platform": "the platform", "api": "the API", "sending": "sending"}


@dataclass(frozen=True)
class WindowFacts:
    """What the words and the event need of a window (its row, or the workflow's view)."""

    id: str
    title: str
    description: str
    services: Sequence[str]
    starts_at: datetime
    ends_at: datetime
    sequence: int
    state: str

    @classmethod
    def of(cls, window: Any) -> WindowFacts:
        """From a window's row (db.models.MaintenanceWindow), or anything shaped like it."""
        return cls(
            id=window.id, title=window.title, description=window.description,
            services=tuple(window.services), starts_at=window.starts_at,
            ends_at=window.ends_at, sequence=window.sequence, state=window.state,
        )  # fmt: skip


def clock(local: datetime) -> str:
    """'20:00', '09:30', '00:00': the 24-hour clock, as every other time Pledge writes."""
    return f"{local:%H:%M}"


def _day(local: datetime, now: datetime | None) -> str:
    this_year = (now or datetime.now(UTC)).astimezone(local.tzinfo).year
    year = "" if local.year == this_year else f" {local.year}"
    return f"{local:%A} {local.day} {local:%B}{year}"


def window_words(
    starts_at: datetime, ends_at: datetime, timezone: str, now: datetime | None = None
) -> str:
    """'Tuesday 8 December, 20:00 to 02:00 UK time': a night's window by the evening it
    begins (an end early the next morning needs no second date); a longer one names both."""
    tz = ZoneInfo(timezone)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    zone = zone_words(starts_at, timezone)
    next_morning = end.date() == start.date() + timedelta(days=1) and end.hour < 12
    if end.date() == start.date() or next_morning:
        return f"{_day(start, now)}, {clock(start)} to {clock(end)} {zone}"
    return f"{_day(start, now)} {clock(start)} to {_day(end, now)} {clock(end)} {zone}"


def service_words(services: Iterable[str]) -> str:
    """'the platform, the API and sending'."""
    names = [SERVICE_WORDS.get(s, s.replace("-", " ")) for s in services]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def banner_line(window: WindowFacts, timezone: str, now: datetime) -> str:
    """'Scheduled maintenance: Database upgrade, Tuesday 8 December, 20:00 to 02:00 UK time.
    Affects the platform and sending.' (under way: 'Maintenance under way: ...')."""
    what = "Maintenance under way" if now >= window.starts_at else "Scheduled maintenance"
    when = window_words(window.starts_at, window.ends_at, timezone, now)
    affects = service_words(window.services)
    return f"{what}: {window.title}, {when}. Affects {affects}."


def uid(window_id: str) -> str:
    return f"maintenance-{window_id}@pledge"


def event(window: WindowFacts, stamp: datetime, organisation: str) -> Event:
    """The window as a VEVENT: in UTC, with what it affects in the description."""
    item = Event()
    item.add("uid", uid(window.id))
    item.add("sequence", window.sequence)
    item.add("dtstamp", stamp.astimezone(UTC))
    item.add("dtstart", window.starts_at.astimezone(UTC))
    item.add("dtend", window.ends_at.astimezone(UTC))
    item.add("summary", f"{organisation} maintenance: {window.title}")
    affects = f"Affects {service_words(window.services)}."
    item.add("description", f"{window.description}\n\n{affects}".strip())
    item.add("status", "CANCELLED" if window.state == "cancelled" else "CONFIRMED")
    item.add("transp", "TRANSPARENT")  # it does not make the reader busy
    return item


def calendar_of(
    windows: Iterable[WindowFacts], organisation: str, stamp: datetime, *, name: str | None = None
) -> bytes:
    """A VCALENDAR published (METHOD:PUBLISH) with one event per window."""
    calendar = Calendar()
    calendar.add("prodid", "-//Pledge//Maintenance//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for window in windows:
        calendar.add_component(event(window, stamp, organisation))
    return calendar.to_ical()


# -- the mails -----------------------------------------------------------------------------


def notice_subject(kind: str, window: WindowFacts, when: str) -> str:
    what = {
        "notice": "Scheduled maintenance",
        "moved": "Maintenance moved",
        "reminder": "Reminder of maintenance",
        "cancelled": "Maintenance cancelled",
    }[kind]
    return f"{what}: {window.title}, {when}"


def notice_text(
    kind: str,
    window: WindowFacts,
    *,
    name: str,
    when: str,
    organisation: str,
    signer: str,
    reminder_hours: int | None,
) -> str:
    """The notice, a change, a reminder or a cancellation, addressed to one person.
    `reminder_hours`: how long before the start a reminder will be sent, None when none will
    be (the notice came with less time to go): then a reminder is not promised."""
    hello = f"Hello {name.split()[0]}," if name.strip() else "Hello,"
    affects = service_words(window.services)
    if kind == "cancelled":
        said = [
            f"The maintenance we planned for {when} ({window.title}) is cancelled: "
            f"{affects} will work as usual then.",
            "The attached calendar entry removes it from your calendar.",
        ]
    else:
        lead = {
            "notice": f"We will carry out maintenance on {when}.",
            "moved": f"We have moved the maintenance we told you about to {when}. "
            "This replaces the time we gave before.",
            "reminder": f"A reminder that our maintenance takes place on {when}.",
        }[kind]
        said = [lead, f"{window.title}: it affects {affects}."]
        if window.description.strip():
            said.append(window.description.strip())
        if kind == "notice":
            remind = (
                f" We will remind you {_ahead(reminder_hours)} before it starts."
                if reminder_hours
                else ""
            )
            said.append(f"The attached calendar entry adds it to your calendar.{remind}")
        elif kind == "moved":
            said.append("The attached calendar entry moves it in your calendar.")
    body = "\n\n".join(said)
    signed = f"{signer}\n{organisation}" if signer.strip() else organisation
    return f"{hello}\n\n{body}\n\nKind regards,\n{signed}\n"


def subscriber_text(notice: str, organisation: str, status_url: str, unsubscribe: str) -> str:
    """A notice as a status-page subscriber gets it: the same words, then where to follow it and
    how to stop these mails."""
    return (
        f"{notice.rstrip()}\n\nPlanned maintenance is on our status page:\n{status_url}\n\n"
        f"You get these mails because you subscribed to {possessive(organisation)} status page. "
        f"To stop them, open this link:\n{unsubscribe}\n"
    )


def _ahead(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return "a day" if days == 1 else f"{days} days"
    return "an hour" if hours == 1 else f"{hours} hours"
