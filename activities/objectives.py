"""Side effects of onboarding: deciding objectives, reminding their owners, the plan."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps
from db.idempotent import insert_once
from db.models import Account, AccountPlan, Measurement, Notification, Objective
from db.projection import insert_missing_statement
from db.types import utcnow
from reports.dates import long_date
from workflows.errors import IDEMPOTENCY_MISMATCH
from workflows.onboarding_messages import (
    Decision,
    Measured,
    MeasurementRecorded,
    MeasurementRequest,
    ObjectiveAdded,
    ObjectiveRecorded,
    ObjectiveRequest,
    PlanRequest,
)


def _reused_key(what: str, key: str) -> ApplicationError:
    return ApplicationError(
        f"the Idempotency-Key was already used for {what} with a different request",
        key,
        type=IDEMPOTENCY_MISMATCH,
        non_retryable=True,
    )


class ObjectiveActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_objective(self, request: ObjectiveRequest) -> ObjectiveRecorded:
        """Write the objective once per request key; a retry finds the row it wrote."""
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                insert_missing_statement(Objective.__table__, session.get_bind().dialect.name),
                {
                    "account_id": request.account_id, "name": request.name,
                    "metric": request.metric, "target": request.target,
                    "direction": request.direction, "due_on": request.due_on,
                    "owner_name": request.owner_name, "owner_email": request.owner_email,
                    "status": "open", "created_by": request.created_by,
                    "created_at": utcnow(), "key": request.key,
                    "fingerprint": request.fingerprint,
                },
            )  # fmt: skip
            row = await session.scalar(select(Objective).where(Objective.key == request.key))
        if row is None or (row.fingerprint, row.account_id) != (
            request.fingerprint,
            request.account_id,
        ):
            raise _reused_key(f"objective {row.id if row else '?'}", request.key)
        spec = ObjectiveAdded(
            objective_id=row.id, name=row.name, metric=row.metric, target=row.target,
            direction=row.direction, due_on=row.due_on,  # type: ignore[arg-type]
        )  # fmt: skip
        return ObjectiveRecorded(spec=spec, status=row.status)  # type: ignore[arg-type]

    @activity.defn
    async def record_measurement(self, request: MeasurementRequest) -> MeasurementRecorded:
        """Write the reading once per request key; a retry finds the row it wrote."""
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                insert_missing_statement(Measurement.__table__, session.get_bind().dialect.name),
                {
                    "account_id": request.account_id, "name": request.name,
                    "value": request.value, "at": request.at,
                    "recorded_by": request.recorded_by, "key": request.key,
                    "fingerprint": request.fingerprint,
                },
            )  # fmt: skip
            row = await session.scalar(select(Measurement).where(Measurement.key == request.key))
        if row is None or (row.fingerprint, row.account_id) != (
            request.fingerprint,
            request.account_id,
        ):
            raise _reused_key(f"measurement {row.id if row else '?'}", request.key)
        return MeasurementRecorded(
            measurement_id=row.id, reading=Measured(name=row.name, value=row.value, at=row.at)
        )

    @activity.defn
    async def decide_objective(self, decision: Decision) -> bool:
        """Mark an open objective achieved or missed; false when it was decided already."""
        async with self._deps.session_factory() as session, session.begin():
            result = await session.execute(
                update(Objective)
                .where(Objective.id == decision.objective_id, Objective.status == "open")
                .values(
                    status=decision.status, decided_at=decision.at, achieved_value=decision.value
                )
            )
        return bool(result.rowcount)

    @activity.defn
    async def remind_objective_owner(self, objective_id: int) -> list[str]:
        """Tell the owner (and the success manager) that an objective's date is near, once."""
        async with self._deps.session_factory() as session:
            objective = await session.get(Objective, objective_id)
            if objective is None or objective.status != "open":
                return []
            account = await session.get(Account, objective.account_id)
            sent = set(
                await session.scalars(
                    select(Notification.recipient).where(
                        Notification.event_id == f"objective:{objective_id}:reminder"
                    )
                )
            )
        assert account is not None
        recipients = [objective.owner_email, account.success_manager_email]
        addresses = [a for a in dict.fromkeys(recipients) if a and a not in sent]
        for address in addresses:
            key = f"objective:{objective_id}:reminder:email:{address}"
            subject, body = objective_reminder_mail(
                objective, account, to_owner=address == objective.owner_email,
                organisation=self._deps.settings.organisation_name,
            )  # fmt: skip
            message = self._deps.mailer.compose(
                address,
                subject,
                body,
                message_key=key,
            )
            await asyncio.to_thread(self._deps.mailer.send, message)
            async with self._deps.session_factory() as session, session.begin():
                await insert_once(
                    session, Notification, id=key, event_id=f"objective:{objective_id}:reminder",
                    channel="email", recipient=address, role="objective_owner",
                    kind="objective_reminder", sent_at=utcnow(),
                )  # fmt: skip
        return addresses

    @activity.defn
    async def make_plan(self, request: PlanRequest) -> int:
        """Turn the decided objectives into the account management plan, once per run."""
        async with self._deps.session_factory() as session, session.begin():
            objectives = list(
                await session.scalars(
                    select(Objective)
                    .where(
                        Objective.account_id == request.account_id,
                        Objective.plan_id.is_(None),
                        *(
                            [Objective.id.in_(request.objective_ids)]
                            if request.objective_ids is not None
                            else []
                        ),
                    )
                    .order_by(Objective.due_on, Objective.id)
                )
            )
            summary = {
                "objectives": [
                    {
                        "id": o.id, "name": o.name, "metric": o.metric, "target": o.target,
                        "direction": o.direction, "due_on": o.due_on.isoformat(),
                        "owner": o.owner_name, "status": o.status,
                        "achieved_value": o.achieved_value,
                    }
                    for o in objectives
                ],
                "achieved": sum(o.status == "achieved" for o in objectives),
                "missed": sum(o.status == "missed" for o in objectives),
            }  # fmt: skip
            dialect = session.get_bind().dialect.name
            await session.execute(
                insert_missing_statement(AccountPlan.__table__, dialect),
                {
                    "account_id": request.account_id,
                    "key": request.key,
                    "created_at": utcnow(),
                    "summary": summary,
                },
            )
            plan_id = await session.scalar(
                select(AccountPlan.id).where(AccountPlan.key == request.key)
            )
            assert plan_id is not None
            await session.execute(
                update(Objective)
                .where(Objective.id.in_([o.id for o in objectives]))
                .values(plan_id=plan_id)
            )
        return plan_id


def objective_reminder_mail(
    objective: Objective, account: Account, *, to_owner: bool, organisation: str
) -> tuple[str, str]:
    """The subject and text reminding an objective's owner (or the success manager) of it."""
    word = "at least" if objective.direction == "at_least" else "at most"
    manager = account.success_manager_name
    name = objective.owner_name if to_owner else manager
    due = long_date(objective.due_on)
    return (
        f"Objective due {due}: {objective.name} ({account.name})",
        (f"Hello {name},\n\n" if name else "Hello,\n\n")
        + f"The onboarding objective \u201c{objective.name}\u201d for {account.name} is due "
        f"by {due}: {objective.metric.replace('_', ' ')} {word} {objective.target:g}.\n\n"
        f"Owner: {objective.owner_name}\n\n"
        + (f"{manager}\n{organisation}\n" if manager else f"{organisation}\n"),
    )
