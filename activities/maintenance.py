"""Side effects of maintenance windows: the window's row, and the mails that announce, move,
remind of and cancel it.

Who is told: the administrators (contacts marked `administrator`) of every account the window
affects (db.maintenance.affects: the accounts on its policy, or the accounts it names); an
account with no administrator is told through its authorised representatives; one with
neither is told nothing, and the log says so. Each person reads the times in their account's
zone and gets the window as an .ics. Every mail is sent once per notice and recipient
(the notifications table), whatever retries.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

import sla
from activities.deps import ActivityDeps
from activities.incidents import wanted
from db import contacts
from db.idempotent import insert_once, upsert_for
from db.maintenance import affects, is_public
from db.models import Account, Contact, MaintenanceWindow, Notification, StatusSubscription
from db.types import utcnow
from outbound.status_links import unsubscribe_url
from reports.maintenance import (
    WindowFacts,
    calendar_of,
    notice_subject,
    notice_text,
    subscriber_text,
    window_words,
)
from workflows.maintenance_messages import Notice, WindowRecord

log = logging.getLogger("pledge.maintenance")

# As workflows/maintenance.py's REMINDER_BEFORE, for the notice's words.
REMINDER_HOURS = 24


def reminder_hours(window: MaintenanceWindow) -> int | None:
    """REMINDER_HOURS when a reminder will be sent, None when it will not: as the workflow
    decides (_reminder_time), only for a window announced more than that before its start."""
    if window.starts_at - timedelta(hours=REMINDER_HOURS) > window.announced_at:
        return REMINDER_HOURS
    return None


def account_zone(account: Account, fallback: str) -> str:
    """The zone an account reads times in: its calendar's on its policy."""
    try:
        return sla.get_policy(account.policy).calendar(account.calendar).timezone
    except sla.SlaLookupError:
        return fallback


async def affected_accounts(session: AsyncSession, window: MaintenanceWindow) -> list[Account]:
    query = select(Account).order_by(Account.id)
    if window.account_ids:
        query = query.where(Account.id.in_(window.account_ids))
    else:
        query = query.where(Account.policy == window.policy)
    return [a for a in await session.scalars(query) if affects(window, a)]


async def administrators(session: AsyncSession, account_id: int) -> list[Contact]:
    """The account's current administrators, else its authorised representatives."""
    people = list(
        await session.scalars(
            select(Contact)
            .where(Contact.account_id == account_id, contacts.current())
            .order_by(Contact.name, Contact.id)
        )
    )
    chosen = [c for c in people if c.administrator] or [c for c in people if c.is_representative]
    return list({c.email.lower(): c for c in chosen}.values())


class MaintenanceActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_window(self, record: WindowRecord) -> None:
        """Bring the window's row to this version; an older version arriving late is ignored."""
        values = record.model_dump()
        async with self._deps.session_factory() as session, session.begin():
            insert = upsert_for(session)
            statement = insert(MaintenanceWindow).values(**values)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[MaintenanceWindow.id],
                    set_={k: statement.excluded[k] for k in values if k != "id"},
                    where=MaintenanceWindow.version < statement.excluded.version,
                )
            )

    @activity.defn
    async def send_notices(self, notice: Notice) -> list[str]:
        """Mail every administrator the window affects; the addresses told."""
        settings = self._deps.settings
        event = f"maint:{notice.window_id}:{notice.sequence}:{notice.kind}"
        async with self._deps.session_factory() as session:
            window = await session.get(MaintenanceWindow, notice.window_id)
            assert window is not None, f"maintenance {notice.window_id} is not recorded"
            accounts = await affected_accounts(session, window)
            people = [(a, c) for a in accounts for c in await administrators(session, a.id)]
            # A window on our own services (naming no customer) is public: the status page's
            # subscribers who chose one of its services hear of it too.
            subscribers = (
                []
                if not is_public(window)
                else [
                    s
                    for s in await session.scalars(
                        select(StatusSubscription)
                        .where(StatusSubscription.unsubscribed_at.is_(None))
                        .order_by(StatusSubscription.id)
                    )
                    if wanted(s, list(window.services))
                ]
            )
            sent = set(
                await session.scalars(
                    select(Notification.recipient).where(Notification.event_id == event)
                )
            )
        for account in accounts:
            if not any(a.id == account.id for a, _ in people):
                log.warning(
                    "maintenance %s: %s has no administrator or representative to tell",
                    window.id,
                    account.name,
                )
        shown = WindowFacts.of(window)
        # The event as it stands now (a cancellation is one with STATUS:CANCELLED).
        ics = calendar_of([shown], settings.organisation_name, datetime.now(UTC))
        now = utcnow()
        told: list[str] = []
        for account, person in people:
            address = person.email
            if address in told:
                continue
            told.append(address)
            if address in sent:
                continue
            when = window_words(
                window.starts_at, window.ends_at, account_zone(account, window.timezone), now
            )
            key = f"{event}:email:{address}"
            message = self._deps.mailer.compose(
                address,
                notice_subject(notice.kind, shown, when),
                notice_text(
                    notice.kind,
                    shown,
                    name=person.name,
                    when=when,
                    organisation=settings.organisation_name,
                    signer=window.signed_by,
                    reminder_hours=reminder_hours(window),
                ),
                attachments=(
                    []
                    if notice.kind == "reminder"
                    else [("maintenance.ics", ics, "text/calendar; method=PUBLISH")]
                ),
                headers={"X-Pledge-Notice": f"maintenance-{notice.kind}"},
                message_key=key,
                to_name=person.name,
            )
            await asyncio.to_thread(self._deps.mailer.send, message)
            async with self._deps.session_factory() as session, session.begin():
                await insert_once(
                    session, Notification, id=key, event_id=event, channel="email",
                    recipient=address, role="administrator",
                    kind=f"maintenance_{notice.kind}", sent_at=utcnow(),
                )  # fmt: skip
            activity.heartbeat(address)
        status_url = f"{settings.effective_public_url}/status#maintenance-heading"
        for subscriber in subscribers:
            address = subscriber.email
            if address in told:
                continue
            told.append(address)
            if address in sent:
                continue
            when = window_words(window.starts_at, window.ends_at, window.timezone, now)
            unsubscribe = unsubscribe_url(settings, subscriber.id)
            key = f"{event}:email:{address}"
            message = self._deps.mailer.compose(
                address,
                notice_subject(notice.kind, shown, when),
                subscriber_text(
                    notice_text(
                        notice.kind, shown, name="", when=when,
                        organisation=settings.organisation_name, signer=window.signed_by,
                        reminder_hours=reminder_hours(window),
                    ),
                    settings.organisation_name, status_url, unsubscribe,
                ),
                attachments=(
                    []
                    if notice.kind == "reminder"
                    else [("maintenance.ics", ics, "text/calendar; method=PUBLISH")]
                ),
                headers={
                    "X-Pledge-Notice": f"maintenance-{notice.kind}",
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
                message_key=key,
            )  # fmt: skip
            await asyncio.to_thread(self._deps.mailer.send, message)
            async with self._deps.session_factory() as session, session.begin():
                await insert_once(
                    session, Notification, id=key, event_id=event, channel="email",
                    recipient=address, role="status_subscriber",
                    kind=f"maintenance_{notice.kind}", sent_at=utcnow(),
                )  # fmt: skip
            activity.heartbeat(address)
        return told
