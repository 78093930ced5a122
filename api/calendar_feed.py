"""Open complaint deadlines as an iCalendar feed a handler's calendar app subscribes to.

Written directly rather than through the icalendar package's object model, which takes about a
quarter of a millisecond per event: a whole department's feed has tens of thousands. The text is
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
FOLD_AT = 75  # octets per line, the line break excluded (RFC 5545, 3.1)
_SPECIAL = re.compile(r"[\\;,\r\n]")


def _last_day(due: datetime) -> date:
    return (due - timedelta(microseconds=1)).astimezone(UK).date()


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545, 3.3.11), in the order icalendar applies the rules."""
    if _SPECIAL.search(value) is None:
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
    """Split a content line into lines of at most 75 octets, each continuation starting with a
    space; never between a backslash or caret and the character it escapes."""
    limit = FOLD_AT - 1  # the continuation's leading space counts
    if len(line) <= limit and (line.isascii() or len(line.encode()) <= limit):
        return line
    parts: list[str] = []
    if line.isascii():
        start = 0
        while len(line) - start > limit:
            end = start + limit
            if line[end - 1] in "\\^":
                end -= 1
            parts.append(line[start:end])
            start = end
        parts.append(line[start:])
        return "\r\n ".join(parts)
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode())
        if current and size + width > limit:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, size = [carried], len(carried.encode())
            else:
                parts.append("".join(current))
                current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _utc(at: datetime) -> str:
    """20261122T093000Z (isoformat is several times faster than strftime)."""
    plain = at.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat()
    return plain.replace("-", "").replace(":", "") + "Z"


def complaint_deadlines_ics(rows: Sequence[Any], public_url: str, organisation: str) -> bytes:
    """One all-day event on the last day of each deadline a complaint still owes.

    UIDs are stable (complaint and clock), so a subscribed calendar updates an event when the
    date moves (an extension) and drops it once the deadline is met.
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Pledge//Complaint deadlines//EN",
        "CALSCALE:GREGORIAN",
        _fold(f"X-WR-CALNAME:{_text(f'{organisation}: complaint deadlines')}"),
    ]
    stamp = f"DTSTAMP:{_utc(datetime.now(UTC))}"
    days: dict[datetime, tuple[str, str]] = {}  # a due's DTSTART and DTEND: dues repeat
    for row in rows:
        owed = []
        if row.acknowledgement_due is not None and row.acknowledged_at is None:
            owed.append(
                (
                    "acknowledgement",
                    "Acknowledge",
                    row.acknowledgement_due,
                    row.acknowledgement_state,
                )
            )
        if row.reply_state != "met":
            owed.append(("reply", "Full reply", row.reply_due, row.reply_state))
        if not owed:
            continue
        # Only these parts can hold a character TEXT escapes (none of them can end in a
        # backslash that the fixed words after it would turn into an escape sequence).
        reference, name = _text(row.reference), _text(row.complainant_name)
        handler = f" Handler: {_text(row.handler_name)}." if row.handler_name else ""
        regime = _text(row.regime)
        modified = f"LAST-MODIFIED:{_utc(row.updated_at)}"
        url = _fold(f"URL:{public_url}/complaints/{row.reference}")
        for clock, label, due, state in owed:
            if (dates := days.get(due)) is None:
                day = _last_day(due)
                dates = days[due] = (
                    f"DTSTART;VALUE=DATE:{day.isoformat().replace('-', '')}",
                    f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).isoformat().replace('-', '')}",
                )
            overdue = " (OVERDUE)" if state == "breached" else ""
            # icalendar's order: SUMMARY, DTSTART, DTEND, DTSTAMP, UID, then by name.
            lines += (
                "BEGIN:VEVENT",
                _fold(f"SUMMARY:{label} due{overdue}: {reference} ({name})"),
                dates[0],
                dates[1],
                stamp,
                _fold(f"UID:{reference}-{clock}@pledge"),
                _fold(
                    f"DESCRIPTION:{label} to complaint {reference} from {name} is due by the "
                    f"end of this day ({regime} regime).{handler}"
                ),
                modified,
                "TRANSP:TRANSPARENT",
                url,
                "END:VEVENT",
            )
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()
