"""Side effects of quarterly reviews: the row, the invitations, the pack."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

import sla
from activities.deps import ActivityDeps
from activities.reports import account_timezone, cover_context, month_charts
from db.account_figures import account_month
from db.contacts import report_recipients
from db.idempotent import insert_once
from db.models import (
    Account,
    Measurement,
    Notification,
    Objective,
    Report,
    Review,
    ReviewAction,
)
from db.projection import insert_missing_statement
from db.types import utcnow
from reports.dates import long_date, long_instant
from reports.filenames import file_slug
from reports.invite import Person, review_invite, review_uid
from reports.render import Renderer
from reports.words import possessive
from services import terms
from sla.periods import quarter_bounds, quarter_label
from workflows.report_messages import (
    PackContent,
    ProposeReview,
    ReportRequest,
    ReviewStart,
    ReviewView,
    TrackedAction,
)
from workflows.review_messages import NewReview, Proposed, RecordOutcome, ReviewProposal


async def attendees(session: AsyncSession, account: Account) -> list[Person]:
    """The report recipients, then the success manager."""
    people = [Person(name, email) for name, email in await report_recipients(session, account.id)]
    if account.success_manager_email:
        people.append(Person(account.success_manager_name or "", account.success_manager_email))
    return list({p.email: p for p in people}.values())


def organiser(account: Account, organisation: str, mail_from: str) -> Person:
    if account.success_manager_email:
        return Person(account.success_manager_name or organisation, account.success_manager_email)
    address = mail_from.rpartition("<")[2].rstrip(">") or mail_from
    return Person(organisation, address)


async def invite_for(
    session: AsyncSession, review: Review, organisation: str, mail_from: str
) -> tuple[bytes, list[Person], Account]:
    """The invitation as it stands: REQUEST, or CANCEL once cancelled."""
    account = await session.get(Account, review.account_id)
    assert account is not None
    people = await attendees(session, account)
    timezone = account_timezone(account)
    ics = review_invite(
        uid=review_uid(review.key),
        sequence=review.sequence,
        cancelled=review.status == "cancelled",
        starts_at=review.starts_at,
        duration_minutes=review.duration_minutes,
        summary=f"Quarterly business review: {account.name} and {organisation}",
        description=(
            f"Our review of {quarter_label(review.quarter)} with {account.name}: support "
            f"activity, SLA performance, objectives and what comes next. "
            f"{long_instant(review.starts_at, timezone)}."
        ),
        organiser=organiser(account, organisation, mail_from),
        attendees=people,
    )
    return ics, people, account


def shortened(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word and marked so, never mid-word."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip(" ,;:.") + "…"


def sign_off(account: Account, organisation: str) -> str:
    """The success manager by name where the account has one, then the organisation."""
    manager = account.success_manager_name
    return f"{manager}\n{organisation}" if manager else organisation


def invite_subject(account_name: str, when: str, *, cancelled: bool, moved: bool) -> str:
    """A moved review says so: 'Invitation' again would read as a second meeting."""
    what = "Cancelled" if cancelled else "Moved" if moved else "Invitation"
    return f"{what}: quarterly business review, {account_name}, {when}"


def invite_text(
    name: str, *, cancelled: bool, when: str, quarter: str, signature: str, moved: bool = False
) -> str:
    hello = f"Hello {name}," if name.strip() else "Hello,"
    if cancelled:
        said = f"The quarterly business review on {when} is cancelled."
    elif moved:
        said = (
            f"We have moved our quarterly business review, where we look back on "
            f"{quarter_label(quarter)} together, to {when}. This invitation replaces the "
            "earlier one in your calendar."
        )
    else:
        said = (
            f"You are invited to our quarterly business review on {when}, where we look back "
            f"on {quarter_label(quarter)} together. The review pack will follow a few working "
            "days before."
        )
    return f"{hello}\n\n{said}\n\n{signature}\n"


class ReviewActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_review(self, review: NewReview) -> int:
        """Write the review's row, once whatever retries (its key is the workflow id)."""
        now = utcnow()
        async with self._deps.session_factory() as session, session.begin():
            dialect = session.get_bind().dialect.name
            await session.execute(
                insert_missing_statement(Review.__table__, dialect),
                {
                    "account_id": review.account_id, "key": review.key,
                    "quarter": review.quarter, "starts_at": review.starts_at,
                    "duration_minutes": review.duration_minutes, "status": "scheduled",
                    "sequence": 0, "recommendations": "", "invited": [],
                    "created_by": review.created_by, "created_at": now, "updated_at": now,
                },
            )  # fmt: skip
            review_id = await session.scalar(select(Review.id).where(Review.key == review.key))
        assert review_id is not None
        return int(review_id)

    @activity.defn
    async def propose_review(self, proposal: ProposeReview) -> int:
        """Start the quarter's review on its business key, once whatever retries; its id.

        The review's workflow records the row (`proposed` answers once it has): this writes
        nothing itself, so the review has one writer. Not a child of the account workflow:
        an abandoned child stalls the time-skipping test server.
        """
        client = activity.client()
        async with self._deps.session_factory() as session:
            account = await session.get(Account, proposal.account_id)
        assert account is not None
        start = ReviewStart(
            review_id=None, account_id=account.id, policy=account.policy,
            calendar=account.calendar, starts_at=proposal.starts_at,
            terms=proposal.terms or _account_terms(account),
            duration_minutes=proposal.duration_minutes,
            proposal=ReviewProposal(
                quarter=proposal.quarter, created_by="Pledge (quarterly schedule)"
            ),
        )  # fmt: skip
        operation = WithStartWorkflowOperation(
            "ReviewWorkflow",
            start,
            id=proposal.key,
            task_queue=activity.info().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        with contextlib.suppress(WorkflowAlreadyStartedError):  # over already: it has its row
            view = await client.execute_update_with_start_workflow(
                "proposed", Proposed(), start_workflow_operation=operation, result_type=ReviewView
            )
            if view.review_id is not None:
                return view.review_id
        async with self._deps.session_factory() as session:
            review_id = await session.scalar(select(Review.id).where(Review.key == proposal.key))
        assert review_id is not None
        return int(review_id)

    @activity.defn
    async def set_recommendations(self, review_id: int, text: str) -> None:
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(Review)
                .where(Review.id == review_id)
                .values(recommendations=text, updated_at=utcnow())
            )

    @activity.defn
    async def send_invite(self, review_id: int) -> list[str]:
        """E-mail the invitation as it stands to every attendee, once per SEQUENCE."""
        settings = self._deps.settings
        async with self._deps.session_factory() as session:
            review = await session.get(Review, review_id)
            assert review is not None
            ics, people, account = await invite_for(
                session, review, settings.organisation_name, settings.mail_from
            )
            event = f"review:{review_id}:{review.sequence}:{review.status}"
            sent = set(
                await session.scalars(
                    select(Notification.recipient).where(Notification.event_id == event)
                )
            )
        cancelled = review.status == "cancelled"
        moved = review.sequence > 0  # SEQUENCE rises on every move (and on a cancellation)
        method = "CANCEL" if cancelled else "REQUEST"
        when = long_instant(review.starts_at, account_timezone(account))
        signature = sign_off(account, settings.organisation_name)
        for person in people:
            if person.email in sent:
                continue
            key = f"{event}:email:{person.email}"
            message = self._deps.mailer.compose(
                person.email,
                invite_subject(account.name, when, cancelled=cancelled, moved=moved),
                invite_text(
                    person.name,
                    cancelled=cancelled,
                    when=when,
                    quarter=review.quarter,
                    # The success manager's own copy is not signed by them to themselves.
                    signature=settings.organisation_name
                    if person.email == account.success_manager_email
                    else signature,
                    moved=moved,
                ),
                attachments=[("invite.ics", ics, f"text/calendar; method={method}")],
                message_key=key,
            )
            await asyncio.to_thread(self._deps.mailer.send, message)
            async with self._deps.session_factory() as session, session.begin():
                await insert_once(
                    session, Notification, id=key, event_id=event, channel="email",
                    recipient=person.email, role="attendee", kind=f"review_{method.lower()}",
                    sent_at=utcnow(),
                )  # fmt: skip
            activity.heartbeat(person.email)
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(Review)
                .where(Review.id == review_id)
                .values(invited=[p.email for p in people])
            )
        return [p.email for p in people]

    @activity.defn
    async def reschedule_review(self, review_id: int, starts_at: datetime) -> int:
        """Move the meeting and raise its SEQUENCE (once, whatever retries)."""
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(Review)
                .where(
                    Review.id == review_id,
                    Review.status == "scheduled",
                    Review.starts_at != starts_at,
                )
                .values(starts_at=starts_at, sequence=Review.sequence + 1, updated_at=utcnow())
            )
            return int(await session.scalar(select(Review.sequence).where(Review.id == review_id)))

    @activity.defn
    async def set_review_status(self, review_id: int, status: str) -> None:
        """Cancelled (SEQUENCE raised, so the CANCEL wins) or held."""
        values: dict[str, object] = {"status": status, "updated_at": utcnow()}
        if status == "cancelled":
            values["sequence"] = Review.sequence + 1
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(Review)
                .where(Review.id == review_id, Review.status == "scheduled")
                .values(**values)
            )

    @activity.defn
    async def gather_pack(self, review_id: int) -> PackContent:
        """The quarter under review: its figures, objectives, metric trends, the advice."""
        async with self._deps.session_factory() as session:
            review = await session.get(Review, review_id)
            assert review is not None
            account = await session.get(Account, review.account_id)
            assert account is not None
            timezone = account_timezone(account)
            start, end = quarter_bounds(review.quarter, timezone)
            figures = await account_month(
                session, account_id=account.id, policy=account.policy, start=start, end=end
            )
            objectives = [
                {
                    "name": o.name, "metric": o.metric, "target": o.target,
                    "direction": o.direction, "due_on": o.due_on.isoformat(),
                    "owner": o.owner_name, "status": o.status, "value": o.achieved_value,
                }
                for o in await session.scalars(
                    select(Objective)
                    .where(Objective.account_id == account.id)
                    .order_by(Objective.due_on)
                )
            ]  # fmt: skip
            metrics: dict[str, list[tuple[datetime, float]]] = {}
            for name, value, at in (
                await session.execute(
                    select(Measurement.name, Measurement.value, Measurement.at)
                    .where(Measurement.account_id == account.id, Measurement.at < end)
                    .order_by(Measurement.name, Measurement.at)
                )
            ).all():
                metrics.setdefault(name, []).append((at, value))
            people = await attendees(session, account)
        return PackContent(
            review_id=review.id,
            account_id=account.id,
            account_name=account.name,
            policy=account.policy,
            edition=account.edition.value,
            success_manager_name=account.success_manager_name,
            timezone=timezone,
            quarter=review.quarter,
            starts_at=review.starts_at,
            gathered_at=datetime.now(UTC),
            quarter_figures=figures,
            objectives=objectives,
            metrics={name: points[-12:] for name, points in metrics.items()},
            recommendations=review.recommendations,
            recipients=[p.email for p in people],
        )

    @activity.defn
    def render_pack(self, request: ReportRequest, content: PackContent) -> int:
        """Render the review pack and keep it as the review's pack (thread pool)."""
        with self._deps.sync_session_factory() as session:
            kept = session.scalar(select(Report.id).where(Report.key == request.key))
        if kept is None:
            title, pdf = pack_document(
                self._deps.renderer, self._deps.settings.organisation_name, content
            )
            slug = file_slug(content.account_name)
            with self._deps.sync_session_factory() as session, session.begin():
                session.execute(
                    insert_missing_statement(Report.__table__, session.get_bind().dialect.name),
                    {
                        "key": request.key, "account_id": content.account_id,
                        "kind": "review_pack", "period": content.quarter, "title": title,
                        "filename": f"{slug}-review-pack-{content.quarter}.pdf", "content": pdf,
                        "figures": content.model_dump(mode="json", exclude={"recipients"}),
                        "requested_by": request.requested_by, "created_at": utcnow(),
                        "emailed_to": [],
                    },
                )  # fmt: skip
                kept = session.scalar(select(Report.id).where(Report.key == request.key))
        assert kept is not None
        with self._deps.sync_session_factory() as session, session.begin():
            session.execute(
                update(Review).where(Review.id == content.review_id).values(pack_report_id=kept)
            )
        return kept


def pack_document(renderer: Renderer, organisation: str, content: PackContent) -> tuple[str, bytes]:
    """The review pack's title and PDF, from its gathered content alone."""
    policy = sla.get_policy(content.policy)
    names = {key: p.name for key, p in policy.priorities.items()}
    title = f"Quarterly business review, {quarter_label(content.quarter)}"
    pdf = renderer.pdf(
        "reports/review_pack.html",
        title=title,
        **cover_context(organisation, content),
        cover_label="Meeting",
        span_label=quarter_label(content.quarter),
        period_label=long_instant(content.starts_at, content.timezone),
        prepared_on=content.gathered_at.astimezone(ZoneInfo(content.timezone)).date(),
        timezone=content.timezone,
        period=content.quarter,
        quarter=content.quarter,
        month=content.quarter_figures,
        partial=False,
        priority_names=names,
        charts=month_charts(content.quarter_figures, names),
        objectives=content.objectives,
        metrics=content.metrics,
        recommendations=content.recommendations,
    )
    return title, pdf


def action_chase_mail(
    action: ReviewAction, account: Account, *, kind: str, to_owner: bool, organisation: str
) -> tuple[str, str]:
    """The subject and text telling an action's owner (or the success manager) it is due
    today ('due') or overdue."""
    what = "is due today" if kind == "due" else "is overdue"
    manager = account.success_manager_name
    name = action.owner_name if to_owner else manager
    hello = f"Hello {name}," if name else "Hello,"
    whose = "The action you agreed" if to_owner else "The action agreed"
    return (
        f"Review action {what}: {shortened(action.description, 60)} ({account.name})",
        f"{hello}\n\n{whose} at {possessive(account.name)} quarterly business review {what} "
        f"({long_date(action.due_on)}):\n\n{action.description}\n\n"
        f"Owner: {action.owner_name}\n\n{sign_off(account, organisation)}\n",
    )


class ReviewActionActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def record_outcome(self, request: RecordOutcome) -> list[TrackedAction]:
        """Write the review's outcome and its actions in one transaction, once: a retry
        finds the outcome there and answers the actions it wrote."""
        async with self._deps.session_factory() as session, session.begin():
            review = await session.get(Review, request.review_id)
            assert review is not None
            if review.outcome is None:
                now = utcnow()
                review.outcome = request.outcome.outcome
                review.updated_at = now
                session.add_all(
                    ReviewAction(
                        review_id=review.id,
                        account_id=review.account_id,
                        description=a.description,
                        owner_name=a.owner_name,
                        owner_email=a.owner_email,
                        due_on=a.due_on,
                        status="open",
                        created_at=now,
                    )  # fmt: skip
                    for a in request.outcome.actions
                )
                await session.flush()
            rows = list(
                await session.scalars(
                    select(ReviewAction)
                    .where(ReviewAction.review_id == review.id)
                    .order_by(ReviewAction.id)
                )
            )
        return [
            TrackedAction(action_id=r.id, due_on=r.due_on, done=r.status == "done") for r in rows
        ]

    @activity.defn
    async def mark_action_done(self, action_id: int, actor: str, at: datetime) -> None:
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(ReviewAction)
                .where(ReviewAction.id == action_id, ReviewAction.status != "done")
                .values(status="done", done_at=at, done_by=actor)
            )

    @activity.defn
    async def chase_action(self, action_id: int, kind: str) -> list[str]:
        """Tell an action's owner it is due today ('due') or overdue ('overdue', the success
        manager too, and the action marked so), once each; nothing once it is done."""
        async with self._deps.session_factory() as session, session.begin():
            action = await session.get(ReviewAction, action_id)
            if action is None or action.status == "done":
                return []
            account = await session.get(Account, action.account_id)
            assert account is not None
            if kind == "overdue":
                action.status = "overdue"
            event = f"review-action:{action_id}:{kind}"
            sent = set(
                await session.scalars(
                    select(Notification.recipient).where(Notification.event_id == event)
                )
            )
        recipients = [action.owner_email] + (
            [account.success_manager_email] if kind == "overdue" else []
        )
        addresses = [a for a in dict.fromkeys(recipients) if a and a not in sent]
        for address in addresses:
            key = f"{event}:email:{address}"
            subject, body = action_chase_mail(
                action, account, kind=kind, to_owner=address == action.owner_email,
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
                    session, Notification, id=key, event_id=event, channel="email",
                    recipient=address, role="action_owner", kind=f"review_action_{kind}",
                    sent_at=utcnow(),
                )  # fmt: skip
        return addresses


def _account_terms(account: Account) -> sla.PolicySnapshot:
    return sla.PolicySnapshot.of(terms.account_policy(account.policy, account.calendar))
