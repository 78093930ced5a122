"""Open complaint deadlines as an iCalendar feed a handler's calendar app subscribes to.

Written as text rather than through the icalendar package's object model, which takes about a
quarter of a millisecond per event, and a department's feed has tens of thousands. The text is
what icalendar writes (its property order, TEXT escaping and 75-octet folding), and icalendar
reads it back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
# A content line holds at most 75 octets; a continuation's leading space is one of them.
LINE_OCTETS = 74
NEEDS_ESCAPING = re.compile(r"[\\;,\r\n]")


def _last_day(due: datetime) -> date:
    return (due - timedelta(microseconds=1)).astimezone(UK).date()


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545, 3.3.11), the rules applied in icalendar's order."""
    if NEEDS_ESCAPING.search(value) is None:
        return value
    return (
        value.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _fold(line: str) -> str:
    """The content line folded (RFC 5545, 3.1) as icalendar folds it: as many whole characters
    as fit in each line, and never between a backslash or caret and what it escapes."""
    if len(line) <= LINE_OCTETS and line.isascii():
        return line
    data = line.encode()
    if len(data) <= LINE_OCTETS:
        return line
    parts = []
    start = 0
    while len(data) - start > LINE_OCTETS:
        end = start + LINE_OCTETS
        while data[end] & 0xC0 == 0x80:  # not inside a UTF-8 sequence
            end -= 1
        if data[end - 1] in b"\\^":
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode()


def _utc(at: datetime) -> str:
    """20261122T093000Z; isoformat is several times faster than strftime."""
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    return at.isoformat(timespec="seconds")[:19].replace("-", "").replace(":", "") + "Z"


def _dates(due: datetime) -> str:
    """The all-day DTSTART and DTEND on the deadline's last day (UK time)."""
    day = _last_day(due)
    start = day.isoformat().replace("-", "")
    end = (day + timedelta(days=1)).isoformat().replace("-", "")
    return f"DTSTART;VALUE=DATE:{start}\r\nDTEND;VALUE=DATE:{end}"


def complaint_deadlines_ics(rows: Sequence[Any], public_url: str, organisation: str) -> bytes:
    """One all-day event on the last day of each deadline a complaint still owes.

    UIDs are stable (complaint and clock), so a subscribed calendar updates an event when the
    date moves (an extension) and drops it once the deadline is met.
    """
    parts = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Pledge//Complaint deadlines//EN",
        "CALSCALE:GREGORIAN",
        _fold(f"X-WR-CALNAME:{_text(f'{organisation}: complaint deadlines')}"),
    ]
    stamp = _utc(datetime.now(UTC))
    dates: dict[datetime, str] = {}  # dues repeat: the same midnights
    for row in rows:
        # Each column read once: a database row's attribute lookup is not cheap.
        ack_due, reply_state = row.acknowledgement_due, row.reply_state
        owed = []
        if ack_due is not None and row.acknowledged_at is None:
            owed.append(("acknowledgement", "Acknowledge", ack_due, row.acknowledgement_state))
        if reply_state != "met":
            owed.append(("reply", "Full reply", row.reply_due, reply_state))
        if not owed:
            continue
        raw_reference, handler_name = row.reference, row.handler_name
        # Escaped one by one: the fixed words around them hold nothing TEXT escapes, and no
        # `\N` or CR LF can form across a boundary (each part is followed by a space, a
        # bracket, a hyphen or a full stop).
        reference, name = _text(raw_reference), _text(row.complainant_name)
        handler = f" Handler: {_text(handler_name)}." if handler_name else ""
        regime = _text(row.regime)
        # Then by name (icalendar's order after SUMMARY, DTSTART, DTEND, DTSTAMP and UID).
        tail = (
            f"LAST-MODIFIED:{_utc(row.updated_at)}\r\nTRANSP:TRANSPARENT\r\n"
            f"{_fold(f'URL:{public_url}/console/complaints/{raw_reference}')}\r\nEND:VEVENT"
        )
        for clock, label, due, state in owed:
            if (span := dates.get(due)) is None:
                span = dates[due] = _dates(due)
            overdue = " (OVERDUE)" if state == "breached" else ""
            summary = _fold(f"SUMMARY:{label} due{overdue}: {reference} ({name})")
            uid = _fold(f"UID:{reference}-{clock}@pledge")
            description = _fold(
                f"DESCRIPTION:{label} to complaint {reference} from {name} is due by the end of "
                f"this day ({regime} regime).{handler}"
            )
            parts.append(
                f"BEGIN:VEVENT\r\n{summary}\r\n{span}\r\nDTSTAMP:{stamp}\r\n{uid}\r\n"
                f"{description}\r\n{tail}"
            )
    parts.append("END:VCALENDAR\r\n")
    return "\r\n".join(parts).encode()
