"""Maintenance windows: schedule one, change it, cancel it; read them.

Each window is a workflow (maintenance-<id>) and its row has one writer, that workflow's
activities: these functions check the request (the policy's promise, sla.maintenance_rules),
then start or ask the workflow, and answer with the row it wrote. The JSON routes
(api/routes/maintenance.py) and the console's page (web/console/maintenance.py) call them.

Who may: success managers (and admins) schedule, change and cancel; every staff role reads;
a customer reads the windows that affect its account (db.maintenance.affects).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

import sla
from api.auth import Principal
from api.bootstrap import BOOTSTRAP_NAME
from api.errors import Conflict, FieldProblem, InvalidInput, NotFound
from api.references import fingerprint
from api.schemas import MaintenanceCreate, MaintenanceOut, MaintenanceUpdate
from api.temporal_calls import call, open_workflow
from db import maintenance as readings
from db.models import Account, MaintenanceWindow, Role
from services.incidents import known_services
from services.roles import STAFF_OR_CUSTOMER, SUCCESS_MANAGERS, allow
from settings import Settings
from sla.maintenance_rules import check_window, timezone_of
from workflows.maintenance import MaintenanceWorkflow
from workflows.maintenance_messages import (
    Change,
    MaintenanceAct,
    MaintenanceStart,
    MaintenanceView,
    Recorded,
    WindowConfig,
)

MAKERS = SUCCESS_MANAGERS
STATES = ("scheduled", "in_progress", "completed", "cancelled")


def workflow_id(window_id: str) -> str:
    return f"maintenance-{window_id}"


def _signer(principal: Principal) -> str:
    """The name the notices are signed with: the person's, as their letters are; empty when the
    key names no one, so the organisation signs (never a key's name such as "bootstrap", nor
    the first admin's placeholder "Administrator", which is a role)."""
    name = principal.full_name or ""
    return "" if name == BOOTSTRAP_NAME else name


def _policy(key: str) -> sla.Policy:
    try:
        return sla.get_policy(key)
    except sla.SlaLookupError:
        known = ", ".join(sla.policy_keys())
        raise InvalidInput.for_field("body.policy", f"no policy {key!r} (known: {known})") from None


def _check(policy: sla.Policy, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """422 naming each field the policy's promise refuses, in its words; nothing is started."""
    problems = [
        FieldProblem(field=f"body.{r.field}", message=r.message)
        for r in check_window(policy, starts_at, ends_at, now)
    ]
    if not problems and starts_at <= now:
        problems.append(FieldProblem(field="body.starts_at", message="must be in the future"))
    if problems:
        raise InvalidInput.of(problems)


async def _check_accounts(
    session: AsyncSession, policy: sla.Policy, account_ids: list[int]
) -> None:
    """Every named account exists and is on the window's policy: the window is checked against
    that policy's promise only, so an account on another policy (whose promise may be longer
    notice or other hours) may not be named in it. Schedule a window on its own policy."""
    if not account_ids:
        return
    found = {
        a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(account_ids)))
    }
    missing = [str(i) for i in account_ids if i not in found]
    if missing:
        raise InvalidInput.for_field("body.account_ids", f"no account with id {', '.join(missing)}")
    elsewhere = [found[i] for i in account_ids if found[i].policy != policy.key]
    if elsewhere:
        named = ", ".join(f"{a.name} (id {a.id}) is on {a.policy}" for a in elsewhere)
        raise InvalidInput.for_field(
            "body.account_ids",
            f"every account named must be on the window's policy, {policy.key}: {named}; "
            "schedule a window on that policy for it, so its own promise is kept",
        )


async def _check_services(session: AsyncSession, services: list[str]) -> list[str]:
    """Our own services only, as incidents name them: the usual ones and any a monitor
    watches (services.incidents.known_services); customers read these words."""
    known = await known_services(session)
    unknown = [s for s in services if s not in known]
    if unknown:
        raise InvalidInput.for_field(
            "body.services",
            f"no own service {', '.join(repr(s) for s in unknown)}; "
            f"name one of: {', '.join(known)}",
        )
    return list(dict.fromkeys(services))


# -- changing ----------------------------------------------------------------------------------


async def schedule(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    body: MaintenanceCreate,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> MaintenanceOut:
    """Announce a window: checked against the policy's promise, then its workflow mails the
    notice to every affected account's administrators and keeps its state to the end."""
    allow(principal, *MAKERS)
    policy = _policy(body.policy)
    _check(policy, body.starts_at, body.ends_at, now or datetime.now(UTC))
    services = await _check_services(session, body.services)
    account_ids = list(dict.fromkeys(body.account_ids))
    await _check_accounts(session, policy, account_ids)
    digest = fingerprint(body.model_dump(mode="json") | {"by": principal.key_id})

    def start(reference: str) -> MaintenanceStart:
        return MaintenanceStart(
            config=WindowConfig(
                window_id=reference,
                title=body.title,
                description=body.description,
                services=services,
                policy=policy.key,
                account_ids=account_ids,
                starts_at=body.starts_at,
                ends_at=body.ends_at,
                timezone=timezone_of(policy),
            ),
            created_by=principal.name,
            signed_by=_signer(principal),
            fingerprint=digest,
        )

    view: MaintenanceView = await open_workflow(
        client,
        session,
        noun="maintenance",
        prefix="W",
        task_queue=settings.temporal_task_queue,
        key_prefix=principal.key_prefix,
        idempotency_key=idempotency_key,
        run=MaintenanceWorkflow.run,
        start=start,
        opened=MaintenanceWorkflow.recorded,
        opened_request=Recorded(fingerprint=digest),
    )
    return await get(session, principal, view.window_id)


async def update(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    window_id: str,
    body: MaintenanceUpdate,
    now: datetime | None = None,
) -> MaintenanceOut:
    """Change a window before it starts: the promise is checked again as of now (a move
    needs the notice from now), and everyone told of it is told of the change."""
    allow(principal, *MAKERS)
    window = await _load(session, principal, window_id)
    changes = body.model_dump(exclude_unset=True)
    for field in ("title", "services", "starts_at", "ends_at"):
        if field in changes and changes[field] is None:
            raise InvalidInput.for_field(f"body.{field}", "cannot be emptied")
    if changes.get("description") is None:
        changes.pop("description", None)
    config = _config(window).model_copy(update=changes)
    if "services" in changes:
        config.services = await _check_services(session, config.services)
    if "starts_at" in changes or "ends_at" in changes:
        _check(_policy(window.policy), config.starts_at, config.ends_at, now or datetime.now(UTC))
    await call(
        _handle(client, window_id).execute_update(
            MaintenanceWorkflow.change,
            Change(config=config, actor=principal.name, signed_by=_signer(principal)),
        ),
        finished=f"Maintenance {window.title!r} is over and cannot be changed",
        session=session,
    )
    return await get(session, principal, window_id)


async def cancel(
    session: AsyncSession, client: Client, principal: Principal, window_id: str
) -> MaintenanceOut:
    """Call a window off before it starts; everyone told of it is told."""
    allow(principal, *MAKERS)
    window = await _load(session, principal, window_id)
    if window.state == readings.CANCELLED:
        raise Conflict(f"Maintenance {window.title!r} is already cancelled")
    await call(
        _handle(client, window_id).execute_update(
            MaintenanceWorkflow.cancel,
            MaintenanceAct(actor=principal.name, signed_by=_signer(principal)),
        ),
        finished=f"Maintenance {window.title!r} is over and cannot be cancelled",
        session=session,
    )
    return await get(session, principal, window_id)


def _handle(client: Client, window_id: str):  # type: ignore[no-untyped-def]
    return client.get_workflow_handle_for(MaintenanceWorkflow.run, workflow_id(window_id))


def _config(window: MaintenanceWindow) -> WindowConfig:
    return WindowConfig(
        window_id=window.id,
        title=window.title,
        description=window.description,
        services=list(window.services),
        policy=window.policy,
        account_ids=list(window.account_ids or []),
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        timezone=window.timezone,
    )


# -- reading -----------------------------------------------------------------------------------


async def _visible(session: AsyncSession, principal: Principal, window: MaintenanceWindow) -> bool:
    if principal.role is not Role.CUSTOMER:
        return True
    if principal.account_id is None:
        return False
    account = await session.get(Account, principal.account_id)
    return account is not None and readings.affects(window, account)


async def _load(session: AsyncSession, principal: Principal, window_id: str) -> MaintenanceWindow:
    """The window if the principal may see it: the same 404 when it may not as when there is
    none."""
    # Read afresh: after a change the workflow wrote the row, not this session.
    window = await session.get(MaintenanceWindow, window_id, populate_existing=True)
    if window is None or not await _visible(session, principal, window):
        raise NotFound(f"No maintenance window with id {window_id}")
    return window


async def get(session: AsyncSession, principal: Principal, window_id: str) -> MaintenanceOut:
    allow(principal, *STAFF_OR_CUSTOMER)
    return MaintenanceOut.model_validate(await _load(session, principal, window_id))


async def listing(
    session: AsyncSession,
    principal: Principal,
    state: str | None = None,
    current: bool = False,
    now: datetime | None = None,
) -> list[MaintenanceOut]:
    """Windows, the soonest start first; `current`: only those not yet over (announced or in
    progress). A customer sees those affecting its account."""
    allow(principal, *STAFF_OR_CUSTOMER)
    query = select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)
    if state is not None:
        query = query.where(MaintenanceWindow.state == state)
    if current:
        query = query.where(
            MaintenanceWindow.state.in_((readings.SCHEDULED, readings.IN_PROGRESS)),
            MaintenanceWindow.ends_at > (now or datetime.now(UTC)),
        )
    windows = list(await session.scalars(query))
    if principal.role is Role.CUSTOMER:
        windows = [w for w in windows if await _visible(session, principal, w)]
    return [MaintenanceOut.model_validate(w) for w in windows]
