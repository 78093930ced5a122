"""Incidents on the status page: open one (a draft, or published at once), post its updates,
publish it, link monitors and tickets; and read them.

Each incident is a workflow (incident-<id>) and its rows have one writer, that workflow's
activities: these functions check the request, then start or ask the workflow, and answer with
what it wrote. The JSON routes (api/routes/incidents.py) and the console's pages
(web/console/incidents.py) call them. Staff only: tickets linked to an incident are theirs to
see, never the public's (the status page reads incidents through services/status_page.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.errors import Conflict, InvalidInput, NotFound
from api.references import fingerprint
from api.schemas import (
    IncidentChange,
    IncidentCreate,
    IncidentLinks,
    IncidentOut,
    IncidentUpdateCreate,
    IncidentUpdateOut,
)
from api.temporal_calls import call, open_workflow
from db.models import (
    Incident,
    IncidentMonitor,
    IncidentTicket,
    IncidentUpdate,
    Monitor,
    Ticket,
)
from reports.status_words import SERVICE_NAMES
from services.roles import STAFF, allow
from settings import Settings
from workflows.incident import IncidentWorkflow
from workflows.incident_messages import (
    Discard,
    IncidentStart,
    IncidentView,
    Links,
    Opened,
    PostUpdate,
    Publish,
    Revise,
)


def workflow_id(incident_id: str) -> str:
    return f"incident-{incident_id}"


# -- checking ----------------------------------------------------------------------------------


def actor_name(principal: Principal) -> str:
    """Who opened or posted, as staff read it: the person's full name; a key that names no
    one by its name, said to be a key. The public never sees it (services/status_page.py)."""
    if principal.full_name:
        return principal.full_name
    if principal.key_id is not None:
        return f"API key “{principal.name}”"
    return principal.name


async def known_services(session: AsyncSession) -> list[str]:
    """The own services an incident may name: the usual three and any a monitor watches."""
    watched = await session.scalars(
        select(Monitor.service)
        .where(
            Monitor.service.is_not(None),
            Monitor.account_id.is_(None),
            Monitor.deleted_at.is_(None),
        )
        .distinct()
    )
    return list(dict.fromkeys([*SERVICE_NAMES, *(s for s in watched if s)]))


async def _check_services(session: AsyncSession, services: list[str]) -> list[str]:
    known = await known_services(session)
    unknown = [s for s in services if s not in known]
    if unknown:
        raise InvalidInput.for_field(
            "body.services",
            f"no own service {', '.join(repr(s) for s in unknown)}; "
            f"name one of: {', '.join(known)}",
        )
    return list(dict.fromkeys(services))


async def _check_links(session: AsyncSession, monitors: list[str], tickets: list[str]) -> None:
    found = {
        m.id: m
        for m in await session.scalars(select(Monitor).where(Monitor.id.in_(monitors or [""])))
    }
    for monitor_id in monitors:
        monitor = found.get(monitor_id)
        if monitor is None or monitor.deleted_at is not None:
            raise InvalidInput.for_field("body.monitor_ids", f"no monitor with id {monitor_id}")
        if monitor.account_id is not None or monitor.service is None:
            raise InvalidInput.for_field(
                "body.monitor_ids",
                f"monitor {monitor_id} watches a customer's website; an incident on the "
                "status page is about our own services (link the customer's ticket instead)",
            )
    existing = set(
        await session.scalars(select(Ticket.reference).where(Ticket.reference.in_(tickets or [""])))
    )
    missing = [t for t in tickets if t not in existing]
    if missing:
        raise InvalidInput.for_field(
            "body.ticket_references", f"no ticket with reference {', '.join(missing)}"
        )


# -- changing ----------------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    body: IncidentCreate,
    idempotency_key: str | None = None,
) -> IncidentOut:
    """Open an incident with its first update: a draft for staff, or published at once (on
    /status, and mailed to the subscribers of its services)."""
    allow(principal, *STAFF)
    services = await _check_services(session, body.services)
    monitors = list(dict.fromkeys(body.monitor_ids))
    tickets = list(dict.fromkeys(body.ticket_references))
    await _check_links(session, monitors, tickets)
    actor = actor_name(principal)
    digest = fingerprint(body.model_dump(mode="json") | {"by": principal.key_id})

    def start(reference: str) -> IncidentStart:
        return IncidentStart(
            incident_id=reference,
            title=body.title,
            impact=body.impact,
            services=services,
            status=body.status,
            message=body.message,
            created_by=actor,
            publish=body.publish,
            monitor_ids=monitors,
            ticket_references=tickets,
            fingerprint=digest,
        )

    view: IncidentView = await open_workflow(
        client,
        session,
        noun="incident",
        prefix="I",
        task_queue=settings.temporal_task_queue,
        key_prefix=principal.key_prefix,
        idempotency_key=idempotency_key,
        run=IncidentWorkflow.run,
        start=start,
        opened=IncidentWorkflow.opened,
        opened_request=Opened(fingerprint=digest),
    )
    return await get(session, principal, view.incident_id)


async def post_update(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    incident_id: str,
    body: IncidentUpdateCreate,
) -> IncidentOut:
    """A new update (its status becomes the incident's); mailed to subscribers when the
    incident is published."""
    allow(principal, *STAFF)
    incident = await _load(session, incident_id)
    await call(
        _handle(client, incident_id).execute_update(
            IncidentWorkflow.post_update,
            PostUpdate(
                status=body.status,
                message=body.message,
                actor=actor_name(principal),
            ),
        ),  # fmt: skip
        finished=_closed(incident),
        session=session,
    )
    return await get(session, principal, incident_id)


async def publish(
    session: AsyncSession, client: Client, principal: Principal, incident_id: str
) -> IncidentOut:
    """Show a draft on /status and mail its subscribers; 409 when already published."""
    allow(principal, *STAFF)
    incident = await _load(session, incident_id)
    await call(
        _handle(client, incident_id).execute_update(
            IncidentWorkflow.publish, Publish(actor=actor_name(principal))
        ),
        finished=_closed(incident),
        session=session,
    )
    return await get(session, principal, incident_id)


async def revise(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    incident_id: str,
    body: IncidentChange,
) -> IncidentOut:
    """New words: title, impact, services (shown at once if published), and the first
    update's message while a draft (409 once published: subscribers were mailed it)."""
    allow(principal, *STAFF)
    incident = await _load(session, incident_id)
    changes = body.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            raise InvalidInput.for_field(f"body.{field}", "cannot be emptied")
    if not changes:
        raise InvalidInput.for_field(
            "body", "give title, impact, services or message (or several) to change"
        )
    services = await _check_services(session, body.services) if body.services else None
    if body.message is not None and incident.published_at is not None:
        raise Conflict(
            f"Incident {incident_id} is published: its first update was shown and mailed as "
            "written; post a new update instead"
        )
    await call(
        _handle(client, incident_id).execute_update(
            IncidentWorkflow.revise,
            Revise(
                title=body.title,
                impact=body.impact,
                services=services,
                message=body.message,
                actor=actor_name(principal),
            ),
        ),  # fmt: skip
        finished=_closed(incident),
        session=session,
    )
    return await get(session, principal, incident_id)


async def discard(
    session: AsyncSession, client: Client, principal: Principal, incident_id: str
) -> None:
    """Drop a draft with all of it (it was never shown nor mailed); 409 once published."""
    allow(principal, *STAFF)
    incident = await _load(session, incident_id)
    if incident.published_at is not None:
        raise Conflict(
            f"Incident {incident_id} is published and cannot be discarded: post an update "
            "instead (resolved, if it was a false alarm)"
        )
    await call(
        _handle(client, incident_id).execute_update(
            IncidentWorkflow.discard, Discard(actor=actor_name(principal))
        ),
        finished=_closed(incident),
        session=session,
    )


async def link(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    incident_id: str,
    body: IncidentLinks,
) -> IncidentOut:
    """Link more monitors (of own services) and tickets; linking one again changes nothing."""
    allow(principal, *STAFF)
    incident = await _load(session, incident_id)
    if not body.monitor_ids and not body.ticket_references:
        raise InvalidInput.for_field(
            "body", "give monitor_ids or ticket_references (or both) to link"
        )
    monitors = list(dict.fromkeys(body.monitor_ids))
    tickets = list(dict.fromkeys(body.ticket_references))
    await _check_links(session, monitors, tickets)
    await call(
        _handle(client, incident_id).execute_update(
            IncidentWorkflow.link,
            Links(
                monitor_ids=monitors,
                ticket_references=tickets,
                actor=actor_name(principal),
            ),
        ),  # fmt: skip
        finished=_closed(incident),
        session=session,
    )
    return await get(session, principal, incident_id)


def _handle(client: Client, incident_id: str):  # type: ignore[no-untyped-def]
    return client.get_workflow_handle_for(IncidentWorkflow.run, workflow_id(incident_id))


def _closed(incident: Incident) -> str:
    return f"Incident {incident.id} was resolved some days ago and is closed: open a new one"


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentQuery:
    state: str | None = None  # draft, active (published, not resolved), resolved


async def _load(session: AsyncSession, incident_id: str) -> Incident:
    # Fresh from the database: the workflow's activity may have written it since this session
    # last read it (sessions keep what they read after a commit).
    incident = await session.get(Incident, incident_id, populate_existing=True)
    if incident is None:
        raise NotFound(f"No incident with id {incident_id}")
    return incident


async def get(session: AsyncSession, principal: Principal, incident_id: str) -> IncidentOut:
    allow(principal, *STAFF)
    incident = await _load(session, incident_id)
    return (await _out(session, [incident]))[0]


async def listing(
    session: AsyncSession, principal: Principal, query: IncidentQuery
) -> list[IncidentOut]:
    """Incidents, the latest opened first."""
    allow(principal, *STAFF)
    statement = select(Incident).order_by(Incident.created_at.desc(), Incident.id)
    if query.state == "draft":
        statement = statement.where(Incident.published_at.is_(None))
    elif query.state == "active":
        statement = statement.where(
            Incident.published_at.is_not(None), Incident.resolved_at.is_(None)
        )
    elif query.state == "resolved":
        statement = statement.where(Incident.resolved_at.is_not(None))
    statement = statement.limit(500).execution_options(populate_existing=True)
    return await _out(session, list(await session.scalars(statement)))


async def _out(session: AsyncSession, incidents: list[Incident]) -> list[IncidentOut]:
    ids = [i.id for i in incidents] or [""]
    updates: dict[str, list[IncidentUpdate]] = {}
    for update in await session.scalars(
        select(IncidentUpdate)
        .where(IncidentUpdate.incident_id.in_(ids))
        .order_by(IncidentUpdate.number.desc())
    ):
        updates.setdefault(update.incident_id, []).append(update)
    monitors: dict[str, list[str]] = {}
    for incident_id, monitor_id in await session.execute(
        select(IncidentMonitor.incident_id, IncidentMonitor.monitor_id)
        .where(IncidentMonitor.incident_id.in_(ids))
        .order_by(IncidentMonitor.monitor_id)
    ):
        monitors.setdefault(incident_id, []).append(monitor_id)
    tickets: dict[str, list[str]] = {}
    for incident_id, reference in await session.execute(
        select(IncidentTicket.incident_id, IncidentTicket.ticket_reference)
        .where(IncidentTicket.incident_id.in_(ids))
        .order_by(IncidentTicket.ticket_reference)
    ):
        tickets.setdefault(incident_id, []).append(reference)
    return [
        IncidentOut(
            id=i.id,
            title=i.title,
            impact=i.impact,  # type: ignore[arg-type]
            services=list(i.services),
            status=i.status,  # type: ignore[arg-type]
            published=i.published_at is not None,
            created_by=i.created_by,
            created_at=i.created_at,
            published_at=i.published_at,
            resolved_at=i.resolved_at,
            updated_at=i.updated_at,
            updates=[IncidentUpdateOut.model_validate(u) for u in updates.get(i.id, [])],
            monitor_ids=monitors.get(i.id, []),
            ticket_references=tickets.get(i.id, []),
        )
        for i in incidents
    ]
