"""Mailing the daily huddle's digest (workflows/huddle.py): the selection is services/huddle.py's,
the same the console page shows; the words are here.

Sent to PLEDGE_HUDDLE_EMAIL, else the team address (PLEDGE_TEAM_EMAIL): the huddle is a
meeting of the team, so one mail to its shared address, not one per agent.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from temporalio import activity

from activities.deps import ActivityDeps
from db.idempotent import insert_once
from db.models import Notification
from db.types import utcnow
from reports.dates import long_date, short_instant, zone_name
from reports.words import target_name
from services.huddle import ComplaintLine, Huddle, TicketLine, gather


class HuddleRequest(BaseModel):
    at: datetime  # the huddle's instant: its local day is the digest's


class HuddleActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def send_huddle(self, request: HuddleRequest) -> list[str]:
        """Mail the digest; returns who it went to (nobody without an address)."""
        settings = self._deps.settings
        to = settings.huddle_email or settings.team_email
        if not to:
            activity.logger.warning(
                "the huddle's digest goes to nobody: set PLEDGE_HUDDLE_EMAIL or PLEDGE_TEAM_EMAIL"
            )
            return []
        async with self._deps.session_factory() as session:
            huddle = await gather(session, settings, request.at)
            key = f"huddle:{huddle.day.isoformat()}:email:{to}"
            if await session.get(Notification, key) is not None:
                return [to]
        link = f"{settings.effective_public_url}/console/huddle"
        message = self._deps.mailer.compose(
            to,
            f"Huddle for {long_date(huddle.day)}: {headline(huddle)}",
            huddle_text(huddle, link),
            headers={"X-Pledge-Notice": "huddle"},
            message_key=key,
        )
        await asyncio.to_thread(self._deps.mailer.send, message)
        async with self._deps.session_factory() as session, session.begin():
            await insert_once(
                session,
                Notification,
                id=key,
                event_id=f"huddle:{huddle.day.isoformat()}",
                channel="email",
                recipient=to,
                role="team",
                kind="huddle",
                sent_at=utcnow(),
            )
        return [to]


def headline(h: Huddle) -> str:
    parts = [
        (len(h.breached), "breached"),
        (len(h.breaching_today), "due today"),
        (len(h.monitors_down), "site down" if len(h.monitors_down) == 1 else "sites down"),
    ]
    said = [f"{n} {words}" for n, words in parts if n]
    return ", ".join(said) if said else "nothing pressing"


def huddle_text(h: Huddle, link: str) -> str:
    """The digest in plain words, times in the team's zone."""

    def at(instant: datetime | None) -> str:
        if instant is None:
            return "no date"
        local = instant.astimezone(ZoneInfo(h.zone))
        if (local.hour, local.minute) == (0, 0):
            # A deadline counted in days falls at the midnight after its last day: say the day.
            day = local - timedelta(days=1)
            return f"end of {day:%a} {day.day} {day:%b %Y}"
        return short_instant(instant, h.zone)

    def breached(t: TicketLine) -> str:
        # What was missed and when (not the next deadline alone, which has not passed yet).
        said = [f"{t.reference}  {t.account}: {t.subject} ({t.priority})"]
        said += [f"{target_name(m.clock).lower()} missed {at(m.due)}" for m in t.missed]
        if t.due:
            said.append(f"next due {at(t.due)}")
        return "; ".join(said)

    def complaint(c: ComplaintLine) -> str:
        due = f"overdue since {at(c.due)}" if c.overdue else f"due {at(c.due)}"
        return f"{c.reference}  {c.complainant}: {c.what} {due}"

    days = f"{h.waiting_days:g} day" + ("" if h.waiting_days == 1 else "s")
    sections: list[tuple[str, list[str]]] = [
        (
            "Breached, still open",
            [breached(t) for t in h.breached],
        ),
        (
            "Due today",
            [
                f"{t.reference}  {t.account}: {t.subject}, due {at(t.due)}"
                for t in h.breaching_today
            ],
        ),
        (
            f"Waiting on the customer for more than {days}",
            [
                f"{t.reference}  {t.account}: {t.subject}, waiting since {at(t.since)}"
                for t in h.waiting_too_long
            ],
        ),
        (
            "Complaints due this week",
            [complaint(c) for c in h.complaints_this_week],
        ),
        (
            "Reviews this week",
            [f"{r.account}: {at(r.starts_at)}" for r in h.reviews_this_week],
        ),
        (
            "Sites and services down",
            [
                f"{m.name}"
                + (f" ({m.account})" if m.account else " (our service)")
                + f", down since {at(m.since)}"
                for m in h.monitors_down
            ],
        ),
        (
            "Maintenance tonight",
            [f"{p.title}: {at(p.starts_at)} to {at(p.ends_at)}" for p in h.maintenance_tonight],
        ),
    ]
    lines = [
        f"Good morning. The huddle for {long_date(h.day)}; times are {zone_name(h.zone)}.",
        "",
    ]
    for title, items in sections:
        lines.append(f"{title} ({len(items)})" if items else f"{title}: none")
        lines += [f"  - {item}" for item in items]
        lines.append("")
    lines.append(f"The same list, kept current: {link}")
    return "\n".join(lines) + "\n"
