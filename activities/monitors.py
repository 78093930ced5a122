"""Side effects of monitor workflows: the monitor's row, each probe and its result, outages and
the tickets they open, and the mail that tells people.

Every write is safe to repeat: the row moves forward by version only, a result is keyed by
its monitor and instant, an outage by its monitor and start, a ticket by a key made of both
(so one outage opens one ticket whatever retries), a mail by its event and recipient.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

import sla
from activities import probe as probing
from activities.deps import ActivityDeps
from activities.recipients import policy_or_none, team_address
from activities.ticket_start import start_ticket
from api.references import fingerprint, reference_for_key
from db import contacts
from db.idempotent import insert_once, upsert_for
from db.maintenance import in_maintenance
from db.models import (
    Account,
    Contact,
    Monitor,
    MonitorResult,
    MonitorTlsWarning,
    Notification,
    Outage,
)
from db.types import utcnow
from reports.customer_words import priority_label, zone_words
from reports.dates import long_date, spelled_duration
from services import terms
from sla.ticket import TicketType
from workflows.incident_messages import IncidentStart, IncidentView
from workflows.incident_messages import Opened as IncidentOpened
from workflows.monitor_messages import (
    MonitorRecord,
    OutageClosing,
    OutageOpened,
    OutageOpening,
    ProbeRequest,
    ProbeResult,
    TlsWarning,
)
from workflows.ticket_messages import Act, TicketOpening, TicketView

log = logging.getLogger("pledge.monitors")

# Days before a certificate expires that a warning goes out, each once per certificate.
TLS_WARNING_DAYS = (21, 14, 7)
ACTOR = "Pledge monitoring"
# Own services are the team's: their times are written in UTC until the team has a calendar.
TEAM_ZONE = "UTC"
TICKET_SCOPE = "monitor"  # scopes the outage keys tickets are opened under


def monitor_zone(account: Account | None) -> str:
    """The zone a monitor's times are written in: its account's calendar, else TEAM_ZONE."""
    if account is None:
        return TEAM_ZONE
    try:
        return sla.get_policy(account.policy).calendar(account.calendar).timezone
    except sla.SlaLookupError:
        return TEAM_ZONE


def site_name(monitor: Monitor) -> str:
    """How a person names what is watched: its name, which defaults to the site's host."""
    return monitor.name or (urlsplit(monitor.url).hostname or monitor.url)


def clock_time(at: datetime, zone: str) -> str:
    return f"{at.astimezone(_tz(zone)):%H:%M}"


def day_time(at: datetime, zone: str) -> str:
    """'10:42 on Tuesday 1 December', in the zone (the zone is named once by the sentence)."""
    local = at.astimezone(_tz(zone))
    return f"{local:%H:%M} on {long_date(local.date()).rsplit(' ', 1)[0]}"


def outage_span(started: datetime, ended: datetime, zone: str) -> str:
    """'14 minutes, from 10:42 to 10:56 UK time', naming the days when it spans more than one."""
    # Counted between the minutes shown, so the length and the times agree for the reader.
    length = spelled_duration((_minute(ended) - _minute(started)).total_seconds())
    words = zone_words(started, zone)
    if started.astimezone(_tz(zone)).date() == ended.astimezone(_tz(zone)).date():
        return f"{length}, from {clock_time(started, zone)} to {clock_time(ended, zone)} {words}"
    return f"{length}, from {day_time(started, zone)} to {day_time(ended, zone)} ({words})"


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _tz(zone: str) -> ZoneInfo:
    return ZoneInfo(zone)


def every(seconds: int) -> str:
    """'5 minutes', '90 seconds': how often a monitor looks."""
    return spelled_duration(seconds) if seconds % 60 == 0 else f"{seconds} seconds"


def incident_reference(monitor_id: str, started_at: datetime) -> str:
    """The id of the draft incident an own service's outage opens: the same for every retry."""
    return reference_for_key("I", "monitor-incident", f"{monitor_id}:{started_at.isoformat()}")


def ticket_reference(monitor_id: str, started_at: datetime) -> str:
    """The reference of the ticket an outage opens: the same for every retry of it."""
    return reference_for_key("T", TICKET_SCOPE, f"{monitor_id}:{started_at.isoformat()}")


class MonitorActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps
        # Tests replace these: a name server, and the authorities a site's certificate is
        # checked against (a test site's own).
        self.resolver = probing.egress.system_resolver
        self.trust = None

    # -- the row ------------------------------------------------------------------------

    @activity.defn
    async def record_monitor(self, record: MonitorRecord) -> None:
        """Bring the monitor's row to this version; an older version arriving late is ignored."""
        values = record.model_dump()
        async with self._deps.session_factory() as session, session.begin():
            insert = upsert_for(session)
            statement = insert(Monitor).values(**values)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[Monitor.id],
                    set_={k: statement.excluded[k] for k in values if k != "id"},
                    where=Monitor.version < statement.excluded.version,
                )
            )

    # -- probing ------------------------------------------------------------------------

    @activity.defn
    async def probe(self, request: ProbeRequest) -> ProbeResult:
        """Probe the site once and keep the result; what the site did is the answer, never
        an error (an error here is ours: the database, and is retried)."""
        settings = self._deps.settings
        at = activity.info().started_time
        outcome = await probing.probe(
            request.url,
            expected_status=request.expected_status,
            keyword=request.keyword,
            allowed_hosts=settings.allowed_monitor_hosts,
            agent=probing.user_agent(settings.effective_public_url),
            resolver=self.resolver,
            trust=self.trust,
        )
        lag = max(0, round((at - request.due_at).total_seconds() * 1000))
        async with self._deps.session_factory() as session, session.begin():
            await insert_once(
                session,
                MonitorResult,
                monitor_id=request.monitor_id,
                at=at,
                ok=outcome.ok,
                status_code=outcome.status_code,
                response_ms=outcome.response_ms,
                error=outcome.error,
                cert_expires_at=outcome.cert_expires_at,
                lag_ms=min(lag, 2**31 - 1),
            )
            owed = await _tls_warning_owed(session, request.monitor_id, outcome.cert_expires_at, at)
        return ProbeResult(
            at=at,
            ok=outcome.ok,
            status_code=outcome.status_code,
            response_ms=outcome.response_ms,
            error=outcome.error,
            cert_expires_at=outcome.cert_expires_at,
            tls_warning_days=owed,
        )

    @activity.defn
    async def warn_certificate(self, warning: TlsWarning) -> list[str]:
        """Tell the people who look after the site that its certificate expires soon; once
        per certificate and threshold, each recipient once whatever retries."""
        async with self._deps.session_factory() as session:
            monitor = await session.get(Monitor, warning.monitor_id)
            assert monitor is not None
            account = await session.get(Account, monitor.account_id) if monitor.account_id else None
        zone = monitor_zone(account)
        name = site_name(monitor)
        left = max(0, (warning.cert_expires_at - warning.at).days)
        subject = f"The certificate of {name} expires in {left} days"
        expires = day_time(warning.cert_expires_at, zone)
        body = "\n".join(
            [
                f"The TLS certificate of {name} ({monitor.url})"
                + (f", the website of {account.name}," if account else "")
                + f" expires at {expires} ({zone_words(warning.cert_expires_at, zone)}), "
                f"{left} days from now.",
                "",
                "After that, browsers will refuse the site and our monitoring will report it "
                "down. Please make sure the certificate is renewed before then.",
                "",
                f"We warn {', '.join(str(d) for d in TLS_WARNING_DAYS[:-1])} and "
                f"{TLS_WARNING_DAYS[-1]} days before a certificate expires.",
            ]
        )
        event = f"tls:{monitor.id}:{warning.days}:{warning.cert_expires_at:%Y%m%d%H%M}"
        told = await self._tell(
            event, self._looking_after(account), subject, body, kind="tls_warning"
        )
        async with self._deps.session_factory() as session, session.begin():
            await insert_once(
                session, MonitorTlsWarning, monitor_id=monitor.id,
                cert_expires_at=warning.cert_expires_at, days=warning.days, sent_at=utcnow(),
                recipients=told,
            )  # fmt: skip
        return told

    # -- outages ------------------------------------------------------------------------

    @activity.defn
    async def open_outage(self, opening: OutageOpening) -> OutageOpened:
        """Record the outage; for a customer's site outside maintenance, open its ticket (once
        per outage); tell the team. Safe to repeat at every step."""
        async with self._deps.session_factory() as session, session.begin():
            monitor = await session.get(Monitor, opening.monitor_id)
            assert monitor is not None, f"monitor {opening.monitor_id} is not recorded"
            await insert_once(
                session, Outage, monitor_id=monitor.id, started_at=opening.started_at,
                detected_at=opening.detected_at, cause=opening.cause,
                in_maintenance=await in_maintenance(session, monitor, opening.started_at),
            )  # fmt: skip
            outage = await _outage(session, monitor.id, opening.started_at)
            account = await session.get(Account, monitor.account_id) if monitor.account_id else None
        reference = outage.ticket_reference
        if account is not None and not outage.in_maintenance and reference is None:
            reference = await self._open_ticket(monitor, account, opening)
            async with self._deps.session_factory() as session, session.begin():
                await session.execute(
                    update(Outage).where(Outage.id == outage.id).values(ticket_reference=reference)
                )
        incident = None
        if account is None and monitor.service and not outage.in_maintenance:
            incident = await self._draft_incident(monitor, opening)
        await self._tell_down(monitor, account, outage, opening, reference, incident)
        return OutageOpened(
            outage_id=outage.id, ticket_reference=reference, in_maintenance=outage.in_maintenance
        )

    @activity.defn
    async def close_outage(self, closing: OutageClosing) -> None:
        """The site is back: the outage gets its end, its ticket a note saying how long it was
        down (the ticket stays open: closing it is agreed with the customer), the team a
        mail."""
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(Outage)
                .where(
                    Outage.monitor_id == closing.monitor_id,
                    Outage.started_at == closing.started_at,
                    Outage.ended_at.is_(None),
                )
                .values(ended_at=closing.ended_at)
            )
            outage = await session.scalar(
                select(Outage).where(
                    Outage.monitor_id == closing.monitor_id,
                    Outage.started_at == closing.started_at,
                )
            )
            monitor = await session.get(Monitor, closing.monitor_id)
            assert monitor is not None
            account = await session.get(Account, monitor.account_id) if monitor.account_id else None
        if outage is None:  # its opening was never recorded (see the failures): nothing to end
            log.warning("monitor %s: no outage from %s to end", monitor.id, closing.started_at)
            return
        zone = monitor_zone(account)
        span = outage_span(closing.started_at, closing.ended_at, zone)
        if outage.ticket_reference:
            await self._note(outage, f"The site was down for {span}.")
        name = site_name(monitor)
        subject = f"Up again: {name}" + (
            f" [{outage.ticket_reference}]" if outage.ticket_reference else ""
        )
        lines = [f"{name} ({monitor.url}) is answering again. It was down for {span}."]
        if outage.ticket_reference:
            lines += [
                "",
                f"Ticket {outage.ticket_reference} has a note saying so and stays open until "
                "it is resolved with the customer:",
                self._console_link(outage.ticket_reference),
            ]
        await self._tell(
            f"outage:{outage.id}:up", self._team(account), subject, "\n".join(lines), kind="up"
        )

    # -- helpers ------------------------------------------------------------------------

    async def _open_ticket(self, monitor: Monitor, account: Account, opening: OutageOpening) -> str:
        """Start the outage's ticket on the account's policy at its most urgent priority, by
        the `monitor` channel; its key is the monitor and the outage's start."""
        reference = ticket_reference(monitor.id, opening.started_at)
        async with self._deps.session_factory() as session:
            contact = await _ticket_contact(session, account.id)
            # The newest version, read from the database, as every ticket keeps (services/terms).
            terms_now = await terms.for_account(session, account)
        policy: sla.Policy = terms_now.model
        priority = next(iter(policy.priorities))
        zone = monitor_zone(account)
        name = site_name(monitor)
        answered = opening.last_status_code is not None
        since = clock_time(opening.started_at, zone)
        subject = (
            f"{name} is {'not working' if answered else 'not answering'}: "
            f"{opening.failures} checks failed since {since}"
        )
        state = "failing" if answered else "not answering"
        started = f"{day_time(opening.started_at, zone)} ({zone_words(opening.started_at, zone)})"
        description = "\n".join(
            line
            for line in (
                f"Our monitoring found {monitor.url} {state} from {started}: "
                f"{opening.failures} checks in a row failed.",
                f"The last check said: {opening.cause}." if opening.cause else "",
                f"The site is checked every {every(monitor.interval_seconds)}; a note is added "
                "here when it is back.",
            )
            if line
        )
        opened = TicketOpening(
            reference=reference,
            account_id=account.id,
            contact_id=contact.id if contact else None,
            subject=subject[:300],
            description=description,
            channel="monitor",
            type=TicketType.INCIDENT,
            policy=policy.key,
            calendar=policy.opening_calendar("monitor", account.calendar),
            priority=priority,
            received_at=opening.detected_at,
            opened_by=ACTOR,
            fingerprint=fingerprint({"monitor": monitor.id, "started_at": opening.started_at}),
            terms=sla.PolicySnapshot.of(policy),
            policy_version=terms_now.version,
        )
        await start_ticket(opened, self._deps.settings.temporal_task_queue)
        log.info("monitor %s is down: ticket %s opened for %s", monitor.id, reference, account.name)
        return reference

    async def _draft_incident(self, monitor: Monitor, opening: OutageOpening) -> str:
        """A draft incident on the status page for an own service's outage, for staff to
        word and publish: once per outage (its id is made of the monitor and the outage's
        start). Never for a customer's site, which the status page does not show."""
        incident_id = incident_reference(monitor.id, opening.started_at)
        assert monitor.service is not None
        at = opening.started_at
        since = f"{clock_time(at, TEAM_ZONE)} {zone_words(at, TEAM_ZONE)}"
        start = IncidentStart(
            incident_id=incident_id,
            title=f"{site_name(monitor)} is not working"[:200],
            impact="major",
            services=[monitor.service],
            status="investigating",
            message=(
                f"{site_name(monitor)} has not been answering as it should since {since}. "
                "We are looking into it."
            ),
            created_by=ACTOR,
            monitor_ids=[monitor.id],
            fingerprint=fingerprint({"monitor": monitor.id, "started_at": opening.started_at}),
        )
        operation = WithStartWorkflowOperation(
            "IncidentWorkflow",
            start,
            id=f"incident-{incident_id}",
            task_queue=self._deps.settings.temporal_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        with contextlib.suppress(WorkflowAlreadyStartedError):  # drafted, and long over
            await activity.client().execute_update_with_start_workflow(
                "opened",
                IncidentOpened(fingerprint=start.fingerprint),
                start_workflow_operation=operation,
                result_type=IncidentView,
            )
        log.info("monitor %s is down: draft incident %s", monitor.id, incident_id)
        return incident_id

    async def _note(self, outage: Outage, text: str) -> None:
        """An internal note on the outage's ticket; the update's id makes a retry a no-op."""
        handle = activity.client().get_workflow_handle(f"ticket-{outage.ticket_reference}")
        try:
            await handle.execute_update(
                "add_note",
                Act(actor=ACTOR, note=text),
                id=f"outage-{outage.id}-recovered",
                result_type=TicketView,
            )
        except WorkflowUpdateFailedError as exc:
            # Closed meanwhile: the note has nowhere to go, and the outage keeps its end.
            log.info("ticket %s took no note: %s", outage.ticket_reference, exc.cause)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            log.info("ticket %s has finished: no note", outage.ticket_reference)

    async def _tell_down(
        self,
        monitor: Monitor,
        account: Account | None,
        outage: Outage,
        opening: OutageOpening,
        reference: str | None,
        incident: str | None = None,
    ) -> None:
        zone = monitor_zone(account)
        name = site_name(monitor)
        whose = f", the website of {account.name}," if account else ""
        lines = [
            f"{name} ({monitor.url}){whose} has not answered as it should since "
            f"{day_time(opening.started_at, zone)} ({zone_words(opening.started_at, zone)}): "
            f"{opening.failures} checks in a row failed.",
        ]
        if opening.cause:
            lines.append(f"The last check said: {opening.cause}.")
        lines.append("")
        if reference and account is not None:
            label = priority_label(
                account.policy, next(iter(sla.get_policy(account.policy).priorities))
            )
            lines += [
                f"Ticket {reference} is open for it at priority {label}, its clocks running; "
                f"the customer has been told.",
                self._console_link(reference),
            ]
        elif outage.in_maintenance:
            lines.append("It began during announced maintenance, so no ticket was opened.")
        else:
            lines.append("This is one of our own services: no customer ticket is opened.")
        if incident is not None:
            lines += [
                "",
                f"A draft incident, {incident}, is ready for the status page: word it and "
                "publish it here to tell our subscribers.",
                f"{self._deps.settings.effective_public_url}/console/incidents/{incident}",
            ]
        subject = f"Down: {name}" + (f" [{reference}]" if reference else "")
        await self._tell(
            f"outage:{outage.id}:down", self._team(account), subject, "\n".join(lines), kind="down"
        )

    def _team(self, account: Account | None) -> list[tuple[str, str]]:
        """Who hears of an outage: the team address and the account's managers."""
        policy = policy_or_none(account.policy) if account else None
        found = [("team", team_address(policy, self._deps.settings.team_email))]
        if account is not None:
            found += [
                ("account_manager", account.account_manager_email),
                ("success_manager", account.success_manager_email),
            ]
        return _unique(found)

    def _looking_after(self, account: Account | None) -> list[tuple[str, str]]:
        """Who hears of a certificate running out: the account's managers, else the team."""
        if account is not None:
            managers = _unique(
                [
                    ("account_manager", account.account_manager_email),
                    ("success_manager", account.success_manager_email),
                ]
            )
            if managers:
                return managers
        policy = policy_or_none(account.policy) if account else None
        return _unique([("team", team_address(policy, self._deps.settings.team_email))])

    def _console_link(self, reference: str) -> str:
        return f"{self._deps.settings.effective_public_url}/console/tickets/{reference}"

    async def _tell(
        self, event: str, people: list[tuple[str, str]], subject: str, body: str, *, kind: str
    ) -> list[str]:
        """Mail each of `people` once for `event`; the addresses told."""
        if not people:
            log.warning("nobody to tell of %s (no team address is set): %s", event, subject)
            return []
        async with self._deps.session_factory() as session:
            sent = set(
                await session.scalars(
                    select(Notification.recipient).where(Notification.event_id == event)
                )
            )
        told = []
        for role, address in people:
            key = f"{event}:email:{address}"
            if address not in sent:
                message = self._deps.mailer.compose(
                    address, subject, body + "\n", headers={"X-Pledge-Notice": f"monitor-{kind}"},
                    message_key=key,
                )  # fmt: skip
                await asyncio.to_thread(self._deps.mailer.send, message)
                async with self._deps.session_factory() as session, session.begin():
                    await insert_once(
                        session, Notification, id=key, event_id=event, channel="email",
                        recipient=address, role=role, kind=f"monitor_{kind}", sent_at=utcnow(),
                    )  # fmt: skip
            activity.heartbeat(address)
            told.append(address)
        return told


def _unique(people: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for role, address in people:
        if address and address not in [a for _, a in seen]:
            seen.append((role, address))
    return seen


async def _outage(session: AsyncSession, monitor_id: str, started_at: datetime) -> Outage:
    outage = await session.scalar(
        select(Outage).where(Outage.monitor_id == monitor_id, Outage.started_at == started_at)
    )
    assert outage is not None, f"monitor {monitor_id}: the outage from {started_at} is not there"
    return outage


async def _ticket_contact(session: AsyncSession, account_id: int) -> Contact | None:
    """Who the outage's ticket is raised for (and whose confirmation says so): the account's
    first authorised representative, else its first current contact."""
    return await session.scalar(
        select(Contact)
        .where(Contact.account_id == account_id, contacts.current())
        .order_by(Contact.is_representative.desc(), Contact.id)
        .limit(1)
    )


async def _tls_warning_owed(
    session: AsyncSession, monitor_id: str, expires: datetime | None, at: datetime
) -> int | None:
    """The warning this certificate is due (the nearest threshold reached), unless sent."""
    if expires is None:
        return None
    left = expires - at
    reached = [days for days in TLS_WARNING_DAYS if left <= timedelta(days=days)]
    if not reached or left <= timedelta(0):
        return None
    days = min(reached)
    sent = await session.scalar(
        select(MonitorTlsWarning.days).where(
            MonitorTlsWarning.monitor_id == monitor_id,
            MonitorTlsWarning.cert_expires_at == expires,
            MonitorTlsWarning.days == days,
        )
    )
    return None if sent is not None else days
