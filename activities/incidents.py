"""Side effects of incident workflows: the incident's rows, and the mail to the status page's
subscribers.

Every write is safe to repeat: the incident row moves forward by version only, an update is
keyed by its incident and number, a link by both ends, a mail by its event and recipient (a
Notification row), so a retried activity sends no one the same update twice.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import delete, select, update
from temporalio import activity

from activities.deps import ActivityDeps
from db.idempotent import insert_once, upsert_for
from db.models import (
    Incident,
    IncidentMonitor,
    IncidentTicket,
    IncidentUpdate,
    Monitor,
    Notification,
    StatusSubscription,
)
from db.types import utcnow
from outbound.status_links import unsubscribe_url
from reports.status_words import (
    IMPACT_WORDS,
    STATUS_WORDS,
    services_words,
    status_time,
)
from reports.words import possessive
from workflows.incident_messages import IncidentNotice, IncidentRecord

log = logging.getLogger("pledge.incidents")


def event_id(incident_id: str, number: int) -> str:
    """The notification event of update `number` (the first mail of a published incident
    carries the number of its latest update)."""
    return f"incident:{incident_id}:{number}"


def wanted(subscription: StatusSubscription, services: list[str]) -> bool:
    """Whether a subscriber chose to hear of an incident affecting `services`."""
    chosen = subscription.services
    return chosen is None or not services or bool(set(chosen) & set(services))


class IncidentActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_incident(self, record: IncidentRecord) -> None:
        """Bring the incident's rows to this version; an older version arriving late is
        ignored (its updates and links are all in the newer one anyway)."""
        values = record.model_dump(exclude={"updates", "monitor_ids", "ticket_references"})
        async with self._deps.session_factory() as session, session.begin():
            insert = upsert_for(session)
            statement = insert(Incident).values(**values)
            written = await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[Incident.id],
                    set_={k: statement.excluded[k] for k in values if k != "id"},
                    where=Incident.version < statement.excluded.version,
                )
            )
            for posted in record.updates:
                await insert_once(
                    session, IncidentUpdate, incident_id=record.id, **posted.model_dump()
                )
            for monitor_id in record.monitor_ids:
                await insert_once(
                    session, IncidentMonitor, incident_id=record.id, monitor_id=monitor_id
                )
            for reference in record.ticket_references:
                await insert_once(
                    session, IncidentTicket, incident_id=record.id, ticket_reference=reference
                )
            if written.rowcount and record.published_at is None:
                # A draft's first message may have been reworded (this version is the newest
                # written: an older one arriving late changed no row above and rewrites none).
                first = record.updates[0]
                await session.execute(
                    update(IncidentUpdate)
                    .where(
                        IncidentUpdate.incident_id == record.id,
                        IncidentUpdate.number == first.number,
                        IncidentUpdate.message != first.message,
                    )
                    .values(message=first.message)
                )

    @activity.defn
    async def discard_incident(self, incident_id: str) -> None:
        """Delete a discarded draft and everything of it (it was never shown to anyone but
        staff, and never mailed). Repeating it deletes nothing more."""
        async with self._deps.session_factory() as session, session.begin():
            for model in (IncidentUpdate, IncidentMonitor, IncidentTicket):
                await session.execute(delete(model).where(model.incident_id == incident_id))
            await session.execute(delete(Incident).where(Incident.id == incident_id))

    @activity.defn
    async def tell_subscribers(self, notice: IncidentNotice) -> int:
        """Mail every confirmed subscriber who chose one of the incident's services; each once
        for this update whatever retries. Answers how many were mailed by this attempt."""
        settings = self._deps.settings
        async with self._deps.session_factory() as session:
            incident = await session.get(Incident, notice.incident_id)
            assert incident is not None, f"incident {notice.incident_id} is not recorded"
            updates = list(
                await session.scalars(
                    select(IncidentUpdate)
                    .where(
                        IncidentUpdate.incident_id == incident.id,
                        IncidentUpdate.number <= notice.number,
                    )
                    .order_by(IncidentUpdate.number.desc())
                )
            )
            names = await service_names(session)
            subscribers = [
                s
                for s in await session.scalars(
                    select(StatusSubscription)
                    .where(StatusSubscription.unsubscribed_at.is_(None))
                    .order_by(StatusSubscription.id)
                )
                if wanted(s, incident.services)
            ]
            event = event_id(incident.id, notice.number)
            sent = set(
                await session.scalars(
                    select(Notification.recipient).where(Notification.event_id == event)
                )
            )
        subject, body = incident_mail(settings.organisation_name, incident, updates, names, notice)
        status_url = f"{settings.effective_public_url}/status#incident-{incident.id}"
        mailed = 0
        for subscriber in subscribers:
            activity.heartbeat(subscriber.id)
            if subscriber.email in sent:
                continue
            unsubscribe = unsubscribe_url(settings, subscriber.id)
            text = body.format(status_url=status_url, unsubscribe=unsubscribe)
            key = f"{event}:email:{subscriber.email}"
            message = self._deps.mailer.compose(
                subscriber.email, subject, text, message_key=key,
                headers={
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "X-Pledge-Notice": f"incident-{notice.kind}",
                },
            )  # fmt: skip
            await asyncio.to_thread(self._deps.mailer.send, message)
            async with self._deps.session_factory() as session, session.begin():
                await insert_once(
                    session, Notification, id=key, event_id=event, channel="email",
                    recipient=subscriber.email, role="status_subscriber",
                    kind=f"incident_{notice.kind}", sent_at=utcnow(),
                )  # fmt: skip
            mailed += 1
        log.info("incident %s update %s: %s subscribers mailed", incident.id, notice.number, mailed)
        return mailed


async def service_names(session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What each own service is called by its monitors (the first one's name), by key."""
    names: dict[str, str] = {}
    for key, name in await session.execute(
        select(Monitor.service, Monitor.name)
        .where(Monitor.service.is_not(None), Monitor.account_id.is_(None))
        .order_by(Monitor.created_at)
    ):
        names.setdefault(key, name)
    return names


def incident_mail(
    organisation: str,
    incident: Incident,
    updates: list[IncidentUpdate],
    names: dict[str, str],
    notice: IncidentNotice,
) -> tuple[str, str]:
    """The subject and body of a subscriber's mail (`{status_url}` and `{unsubscribe}` are
    filled in per subscriber). `updates`: newest first, the one told first."""
    latest = updates[0]
    status = STATUS_WORDS.get(latest.status, latest.status)
    # The title says what is wrong ("The platform is not working"); the state comes after it.
    subject = f"{organisation} status: {incident.title} ({status.lower()})"
    affected = services_words(incident.services, names)
    if notice.kind == "resolved":
        opening = f"{incident.title}: this is resolved."
    elif notice.kind == "published":
        opening = f"We are telling you of a problem affecting {affected}: {incident.title}."
    else:
        opening = f"We have an update about this problem: {incident.title}."
    lines = [
        opening,
        "",
        f"{status}, at {status_time(latest.at)}:",
        latest.message.replace("{", "{{").replace("}", "}}"),
        "",
        f"Affected: {affected} ({IMPACT_WORDS.get(incident.impact, incident.impact).lower()}).",
    ]
    earlier = updates[1:]
    if earlier:
        lines += ["", "Earlier updates:"]
        for update in earlier:
            words = STATUS_WORDS.get(update.status, update.status)
            message = update.message.replace("{", "{{").replace("}", "}}")
            lines += ["", f"{words}, at {status_time(update.at)}:", message]
    lines += [
        "",
        "Follow it on our status page:",
        "{status_url}",
        "",
        f"You get these mails because you subscribed to {possessive(organisation)} status "
        "page. To stop them, open this link:",
        "{unsubscribe}",
        "",
        organisation,
    ]
    return subject, "\n".join(lines) + "\n"
