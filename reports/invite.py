"""The iCalendar invitation to a review: REQUEST while it stands, CANCEL once cancelled.

The UID never changes, so a calendar that has the meeting updates it; SEQUENCE rises with
every reschedule and with the cancellation, so the newest message wins (RFC 5546).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText


@dataclass(frozen=True)
class Person:
    name: str
    email: str


def review_uid(key: str) -> str:
    """Stable for the review's life, and unique: its key names the account and the review."""
    return f"{key}@pledge"


def review_invite(
    *,
    uid: str,
    sequence: int,
    cancelled: bool,
    starts_at: datetime,
    duration_minutes: int,
    summary: str,
    description: str,
    organiser: Person,
    attendees: Sequence[Person],
    stamp: datetime | None = None,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Pledge//Quarterly business review//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp or datetime.now(UTC))
    event.add("dtstart", starts_at.astimezone(UTC))
    event.add("dtend", (starts_at + timedelta(minutes=duration_minutes)).astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{organiser.email}")
    organizer.params["cn"] = vText(organiser.name)
    event["organizer"] = organizer
    for person in attendees:
        attendee = vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = vText(person.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()
