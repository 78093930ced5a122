"""Quarterly business reviews: proposed, moved, cancelled, their recommendations, outcome and
actions, for the API and the console alike.

Each review's workflow writes its row, and the actions workflow the outcome and the actions:
these ask them by update (with start, to propose or record an outcome) and read back what was
written. Temporal unreachable is a 503 with nothing stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

import sla
from activities.reviews import invite_for
from api.auth import Principal
from api.errors import Conflict, InvalidInput, NotFound
from api.references import fingerprint, new_reference, reference_for_key
from api.schemas import OutcomeIn, RecommendationsIn, RescheduleRequest, ReviewCreate
from api.workflow_writes import one_off, update_running, update_with_start
from db.models import Account, Report, Review, ReviewAction
from services import terms
from services.accounts import load_account
from services.roles import STAFF_OR_CUSTOMER, SUCCESS_MANAGERS, allow
from settings import Settings
from sla.periods import previous_quarter
from sla.reviews import is_working_day, outside_working_hours
from workflows.report_messages import ActionsStart, Reschedule, ReviewAct, ReviewStart
from workflows.review import ReviewWorkflow
from workflows.review_actions import ReviewActionsWorkflow
from workflows.review_messages import (
    ActionDone,
    AgreedAction,
    Outcome,
    OutcomeAsked,
    Proposed,
    Recommendations,
    ReviewProposal,
)


def check_time(account: Account, starts_at: datetime, minutes: int, field: str) -> None:
    """A review is held in the future, inside the account's working hours (its calendar's
    open hours, and office hours where the calendar is open round the clock): a time outside
    them is refused, not moved, so nobody is invited to a meeting they did not choose."""
    calendar = sla.get_policy(account.policy).calendar(account.calendar)
    if starts_at <= datetime.now(UTC):
        raise InvalidInput.for_field(field, f"{starts_at.isoformat()} is in the past")
    if not is_working_day(calendar, starts_at):
        local = starts_at.astimezone(ZoneInfo(calendar.timezone))
        raise InvalidInput.for_field(
            field, f"{local:%A %d %B %Y} is not a working day in the account's calendar"
        )
    refusal = outside_working_hours(calendar, starts_at, minutes)
    if refusal:
        raise InvalidInput.for_field(field, refusal)


async def load_review(
    session: AsyncSession, review_id: int, principal: Principal
) -> tuple[Review, Account]:
    """The review and its account, for whoever may see the account (404 for anyone else)."""
    review = await session.get(Review, review_id)
    if review is None or not principal.can_see_account(review.account_id):
        raise NotFound(f"No review with id {review_id}")
    account = await session.get(Account, review.account_id)
    assert account is not None
    return review, account


def _still_scheduled(review: Review) -> None:
    if review.status != "scheduled":
        raise Conflict(f"Review {review.id} is {review.status}; it can no longer change")


async def _after(session: AsyncSession, review_id: int) -> Review:
    await session.commit()  # the workflow's activities wrote: read afresh
    review = await session.get(Review, review_id, populate_existing=True)
    assert review is not None
    return review


async def propose_review(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    account_id: int,
    body: ReviewCreate,
    idempotency_key: str | None = None,
) -> Review:
    """Propose a review of the quarter before the meeting, inside the account's working hours
    (422 otherwise); the invitation goes out at once."""
    allow(principal, *SUCCESS_MANAGERS)
    account = await load_account(session, account_id, principal)
    policy = sla.get_policy(account.policy)
    if not policy.entitlements(account.edition.value).quarterly_business_review:
        raise Conflict(
            f"The {account.edition.value} edition under policy {policy.key!r} does not include "
            "quarterly business reviews"
        )
    check_time(account, body.starts_at, body.duration_minutes, "body.starts_at")
    calendar = policy.calendar(account.calendar)
    reference = (
        reference_for_key("R", principal.key_prefix, idempotency_key)
        if idempotency_key
        else new_reference("R")
    )
    digest = one_off(
        fingerprint(body.model_dump(mode="json") | {"by": principal.key_id}), idempotency_key
    )
    # The quarter before the meeting, whenever it is proposed: a meeting on 25 January
    # reviews October to December.
    meeting_day = body.starts_at.astimezone(ZoneInfo(calendar.timezone)).date()
    start = ReviewStart(
        review_id=None,
        account_id=account.id,
        policy=account.policy,
        calendar=account.calendar,
        terms=sla.PolicySnapshot.of(terms.account_policy(account.policy, account.calendar)),
        starts_at=body.starts_at.astimezone(UTC),
        duration_minutes=body.duration_minutes,
        proposal=ReviewProposal(
            quarter=previous_quarter(meeting_day), created_by=principal.name, fingerprint=digest
        ),
    )
    view = await update_with_start(
        client,
        session,
        workflow_id=f"account-{account.id}-review-{reference}",
        run=ReviewWorkflow.run,
        start=start,
        update=ReviewWorkflow.proposed,
        request=Proposed(fingerprint=digest),
        task_queue=settings.temporal_task_queue,
        noun="review",
        finished=f"The Idempotency-Key was used for review {reference}, which is now over",
    )
    return await _after(session, view.review_id)


async def list_reviews(
    session: AsyncSession, principal: Principal, account_id: int
) -> list[Review]:
    """The account's reviews, soonest first."""
    allow(principal, *STAFF_OR_CUSTOMER)
    await load_account(session, account_id, principal)
    return list(
        await session.scalars(
            select(Review).where(Review.account_id == account_id).order_by(Review.starts_at)
        )
    )


async def reschedule_review(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    review_id: int,
    body: RescheduleRequest,
) -> Review:
    """Move the meeting, inside the account's working hours (422 otherwise): the invitation
    goes again with its SEQUENCE raised."""
    allow(principal, *SUCCESS_MANAGERS)
    review, account = await load_review(session, review_id, principal)
    _still_scheduled(review)
    check_time(account, body.starts_at, review.duration_minutes, "body.starts_at")
    await update_running(
        client,
        session,
        workflow_id=review.key,
        update=ReviewWorkflow.reschedule,
        request=Reschedule(actor=principal.name, starts_at=body.starts_at.astimezone(UTC)),
        finished=f"Review {review_id} is over; it can no longer be moved",
        noun="new time",
    )
    return await _after(session, review_id)


async def cancel_review(
    session: AsyncSession, client: Client, principal: Principal, review_id: int
) -> Review:
    """Cancel the meeting: every attendee gets the iCalendar CANCEL."""
    allow(principal, *SUCCESS_MANAGERS)
    review, _ = await load_review(session, review_id, principal)
    _still_scheduled(review)
    await update_running(
        client,
        session,
        workflow_id=review.key,
        update=ReviewWorkflow.cancel,
        request=ReviewAct(actor=principal.name),
        finished=f"Review {review_id} is over; it can no longer be cancelled",
        noun="cancellation",
    )
    return await _after(session, review_id)


async def set_recommendations(
    session: AsyncSession,
    client: Client,
    principal: Principal,
    review_id: int,
    body: RecommendationsIn,
) -> Review:
    """The success manager's recommendations, for the pack (made a few working days before)."""
    allow(principal, *SUCCESS_MANAGERS)
    review, _ = await load_review(session, review_id, principal)
    _still_scheduled(review)
    await update_running(
        client,
        session,
        workflow_id=review.key,
        update=ReviewWorkflow.recommend,
        request=Recommendations(actor=principal.name, text=body.text),
        finished=f"Review {review_id} is over; its recommendations can no longer change",
        noun="recommendations",
    )
    return await _after(session, review_id)


async def review_invite(
    session: AsyncSession, settings: Settings, principal: Principal, review_id: int
) -> tuple[bytes, str]:
    """The invitation as it stands and its iCalendar method (REQUEST, or CANCEL once
    cancelled)."""
    allow(principal, *STAFF_OR_CUSTOMER)
    review, _ = await load_review(session, review_id, principal)
    ics, _, _ = await invite_for(session, review, settings.organisation_name, settings.mail_from)
    return ics, "CANCEL" if review.status == "cancelled" else "REQUEST"


async def review_pack(session: AsyncSession, principal: Principal, review_id: int) -> Report:
    """The review pack (its report, with the PDF), once made."""
    allow(principal, *STAFF_OR_CUSTOMER)
    review, _ = await load_review(session, review_id, principal)
    report = await session.get(Report, review.pack_report_id) if review.pack_report_id else None
    if report is None:
        raise NotFound(f"Review {review_id} has no pack yet: it is made 3 working days before")
    return report


async def record_outcome(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    review_id: int,
    body: OutcomeIn,
    idempotency_key: str | None = None,
) -> list[ReviewAction]:
    """After the meeting: what was agreed, and the actions, each tracked to done."""
    allow(principal, *SUCCESS_MANAGERS)
    review, account = await load_review(session, review_id, principal)
    if review.status != "held":
        raise Conflict(
            f"Review {review_id} is {review.status}; an outcome is recorded once it has been held"
        )
    if review.outcome is not None and idempotency_key is None:
        raise Conflict(f"Review {review_id} already has its outcome")
    digest = one_off(
        fingerprint(body.model_dump(mode="json") | {"by": principal.key_id}), idempotency_key
    )
    outcome = Outcome(
        outcome=body.outcome,
        actions=[
            AgreedAction(
                description=a.description,
                owner_name=a.owner.name,
                owner_email=a.owner.email,
                due_on=a.due_on,
            )  # fmt: skip
            for a in body.actions
        ],
        recorded_by=principal.name,
        fingerprint=digest,
    )
    recorded = await update_with_start(
        client,
        session,
        workflow_id=f"{review.key}-actions",
        run=ReviewActionsWorkflow.run,
        start=ActionsStart(
            review_id=review.id,
            policy=account.policy,
            calendar=account.calendar,
            outcome=outcome,
            terms=sla.PolicySnapshot.of(terms.account_policy(account.policy, account.calendar)),
        ),
        update=ReviewActionsWorkflow.recorded,
        request=OutcomeAsked(fingerprint=digest),
        task_queue=settings.temporal_task_queue,
        noun="outcome",
        finished=f"Review {review_id} already has its outcome",
    )
    await session.commit()  # the workflow's activity wrote: read afresh
    return list(
        await session.scalars(
            select(ReviewAction)
            .where(ReviewAction.id.in_(recorded.action_ids))
            .order_by(ReviewAction.id)
            .execution_options(populate_existing=True)
        )
    )


async def list_actions(
    session: AsyncSession, principal: Principal, review_id: int
) -> list[ReviewAction]:
    """The actions agreed at the review, soonest due first."""
    allow(principal, *STAFF_OR_CUSTOMER)
    await load_review(session, review_id, principal)
    return list(
        await session.scalars(
            select(ReviewAction)
            .where(ReviewAction.review_id == review_id)
            .order_by(ReviewAction.due_on, ReviewAction.id)
        )
    )


async def account_actions(
    session: AsyncSession, principal: Principal, account_id: int
) -> list[ReviewAction]:
    """Every action agreed at the account's reviews, soonest due first."""
    allow(principal, *STAFF_OR_CUSTOMER)
    await load_account(session, account_id, principal)
    return list(
        await session.scalars(
            select(ReviewAction)
            .where(ReviewAction.account_id == account_id)
            .order_by(ReviewAction.due_on, ReviewAction.id)
        )
    )


async def mark_action_done(
    session: AsyncSession, client: Client, principal: Principal, action_id: int
) -> ReviewAction:
    """Mark an agreed action done; the review's tracking ends when all are."""
    allow(principal, *SUCCESS_MANAGERS)
    action = await session.get(ReviewAction, action_id)
    if action is None or not principal.can_see_account(action.account_id):
        raise NotFound(f"No review action with id {action_id}")
    if action.status == "done":
        raise Conflict(f"Action {action_id} is done already")
    review = await session.get(Review, action.review_id)
    assert review is not None
    await update_running(
        client,
        session,
        workflow_id=f"{review.key}-actions",
        update=ReviewActionsWorkflow.mark_done,
        request=ActionDone(action_id=action_id, actor=principal.name),
        finished=f"Action {action_id} is no longer tracked",
        noun="action's completion",
    )
    await session.commit()  # the workflow's activity wrote: read afresh
    done = await session.get(ReviewAction, action_id, populate_existing=True)
    assert done is not None
    return done
