"""Side effects of reporting: gathering an account's figures, rendering PDFs, e-mailing them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

import sla
from activities.deps import ActivityDeps
from db import ticket_reads
from db.account_figures import AccountMonth, account_month
from db.contacts import report_recipients
from db.idempotent import insert_once
from db.models import Account, Contact, Notification, Report, Review
from db.projection import insert_missing_statement
from db.types import utcnow
from reports.charts import Pair, Share, attainment_bars, paired_bars
from reports.dates import long_instant
from reports.filenames import file_slug
from reports.render import Renderer
from reports.timeline import customer_timeline
from services import terms
from sla.periods import month_bounds, month_label, quarter_label
from workflows.report_messages import (
    AccountServicesView,
    IncidentClock,
    IncidentContent,
    IncidentRequest,
    MonthlyContent,
    ReportRequest,
    TimelineEntry,
)


def account_timezone(account: Account) -> str:
    return sla.get_policy(account.policy).calendar(account.calendar).timezone


class ReportActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def account_services(self, account_id: int) -> AccountServicesView | None:
        """The account's edition and what it is entitled to now; None once it is gone."""
        async with self._deps.session_factory() as session:
            account = await session.get(Account, account_id)
        if account is None:
            return None
        services = sla.get_policy(account.policy).entitlements(account.edition.value)
        return AccountServicesView(
            account_id=account.id,
            policy=account.policy,
            calendar=account.calendar,
            edition=account.edition.value,
            monthly_reporting=services.monthly_reporting,
            quarterly_business_review=services.quarterly_business_review,
            terms=sla.PolicySnapshot.of(terms.account_policy(account.policy, account.calendar)),
        )

    @activity.defn
    async def gather_monthly(self, request: ReportRequest) -> MonthlyContent | None:
        """The month's figures for the account, and who the report goes to."""
        async with self._deps.session_factory() as session:
            account = await session.get(Account, request.account_id)
            if account is None:
                return None
            timezone = account_timezone(account)
            start, end = month_bounds(request.period, timezone)
            month = await account_month(
                session, account_id=account.id, policy=account.policy, start=start, end=end
            )
            recipients = await _recipients(session, account)
        now = datetime.now(UTC)
        return MonthlyContent(
            account_id=account.id,
            account_name=account.name,
            policy=account.policy,
            edition=account.edition.value,
            success_manager_name=account.success_manager_name,
            timezone=timezone,
            period=request.period,
            partial=now < end,
            gathered_at=now,
            month=month,
            recipients=recipients,
        )

    @activity.defn
    def render_monthly(self, request: ReportRequest, content: MonthlyContent) -> int:
        """Render the monthly report to PDF and keep it under the request's key; on the
        worker's thread pool (WeasyPrint is CPU-bound). A retry finds it kept."""
        kept = self._kept(request.key)
        if kept is not None:
            return kept
        title, pdf = monthly_document(
            self._deps.renderer, self._deps.settings.organisation_name, content
        )
        slug = file_slug(content.account_name)
        return self._keep(
            key=request.key,
            account_id=content.account_id,
            kind="monthly",
            period=content.period,
            title=title,
            filename=f"{slug}-monthly-report-{content.period}.pdf",
            content=pdf,
            figures=content.month.model_dump(mode="json"),
            requested_by=request.requested_by,
        )

    def _kept(self, key: str) -> int | None:
        with self._deps.sync_session_factory() as session:
            return session.scalar(select(Report.id).where(Report.key == key))

    def _keep(self, **values: Any) -> int:
        """Store a rendered report once under its key; the id of whichever copy is kept."""
        with self._deps.sync_session_factory() as session, session.begin():
            # Writes first (see render_letter); a concurrent retry's copy wins.
            session.execute(
                insert_missing_statement(Report.__table__, session.get_bind().dialect.name),
                {**values, "created_at": utcnow(), "emailed_to": []},
            )
            report_id = session.scalar(select(Report.id).where(Report.key == values["key"]))
        assert report_id is not None
        return report_id

    @activity.defn
    async def gather_incident(self, request: IncidentRequest) -> IncidentContent | None:
        """The resolved ticket, its clocks and history; None unless the account's edition
        includes incident reporting."""
        async with self._deps.session_factory() as session:
            ticket = await ticket_reads.by_reference(session, request.reference)
            if ticket is None:
                raise RuntimeError(f"ticket {request.reference} is not recorded yet")
            account = await session.get(Account, ticket.account_id)
            assert account is not None
            policy = sla.get_policy(account.policy)
            if not policy.entitlements(account.edition.value).incident_reporting:
                return None
            clocks = (await ticket_reads.clocks_of(session, [ticket.id])).get(ticket.id, [])
            events = await ticket_reads.events_of(session, ticket.id)
            contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
            recipients = await _recipients(session, account)
        names = {key: p.name for key, p in policy.priorities.items()}
        timeline = customer_timeline(
            events,
            contact=contact.name if contact else None,
            priority_names=names,
            received_at=ticket.received_at,
        )
        priority = policy.priorities.get(ticket.priority)
        return IncidentContent(
            account_id=account.id,
            account_name=account.name,
            policy=account.policy,
            edition=account.edition.value,
            success_manager_name=account.success_manager_name,
            timezone=account_timezone(account),
            reference=ticket.reference,
            subject=ticket.subject,
            description=ticket.description,
            priority=ticket.priority,
            priority_name=priority.name if priority else ticket.priority,
            received_at=ticket.received_at,
            resolved_at=ticket.resolved_at,
            clocks=[
                IncidentClock(
                    name=c.name, target=c.target, due=c.due, state=c.state, met_at=c.met_at
                )
                for c in clocks
            ],
            timeline=[TimelineEntry(at=t.at, actor=t.who, summary=t.sentence) for t in timeline],
            impact=request.impact,
            cause=request.cause,
            actions=request.actions,
            gathered_at=datetime.now(UTC),
            recipients=recipients,
        )

    @activity.defn
    def render_incident(self, request: IncidentRequest, content: IncidentContent) -> int:
        """Render the incident report to PDF and keep it under the request's key."""
        kept = self._kept(request.key)
        if kept is not None:
            return kept
        title, pdf = incident_document(
            self._deps.renderer, self._deps.settings.organisation_name, content
        )
        return self._keep(
            key=request.key,
            account_id=content.account_id,
            kind="incident",
            period=content.reference,
            title=title,
            filename=f"incident-report-{content.reference}.pdf",
            content=pdf,
            figures=content.model_dump(mode="json", exclude={"recipients"}),
            requested_by=request.requested_by,
        )

    @activity.defn
    async def send_report(self, report_id: int, recipients: list[str]) -> list[str]:
        """E-mail the report, as a PDF attachment, to each recipient once."""
        async with self._deps.session_factory() as session:
            report = await session.get(Report, report_id)
            if report is None:
                raise RuntimeError(f"report {report_id} is not kept")
            account = await session.get(Account, report.account_id)
            sent = set(
                await session.scalars(
                    select(Notification.recipient).where(
                        Notification.event_id == f"report:{report_id}"
                    )
                )
            )
            review = await session.scalar(select(Review).where(Review.pack_report_id == report_id))
            readers = await _names(session, account)
        name = account.name if account else "your account"
        organisation = self._deps.settings.organisation_name
        for address in recipients:
            if address in sent:
                continue
            text = report_mail_text(report, account, review, organisation, readers.get(address))
            key = f"report:{report_id}:email:{address}"
            message = self._deps.mailer.compose(
                address,
                f"{report_mail_subject(report)}: {name}",
                text,
                attachments=[(report.filename, report.content, "application/pdf")],
                headers={"X-Pledge-Report": str(report_id)},
                message_key=key,
            )
            await asyncio.to_thread(self._deps.mailer.send, message)
            async with self._deps.session_factory() as session, session.begin():
                await insert_once(
                    session, Notification, id=key, event_id=f"report:{report_id}",
                    channel="email", recipient=address, role="representative",
                    kind="report", sent_at=utcnow(),
                )  # fmt: skip
            activity.heartbeat(address)
        async with self._deps.session_factory() as session, session.begin():
            await session.execute(
                update(Report).where(Report.id == report_id).values(emailed_to=recipients)
            )
        return recipients


async def _names(session: AsyncSession, account: Account | None) -> dict[str, str]:
    """The names of the people a report may go to, by address, to greet them by name."""
    if account is None:
        return {}
    names = {email: name for name, email in await report_recipients(session, account.id)}
    if account.success_manager_email and account.success_manager_name:
        names[account.success_manager_email] = account.success_manager_name
    return names


async def _recipients(session: AsyncSession, account: Account) -> list[str]:
    """Who an account's reports go to: its report recipients, then its success manager."""
    representatives = [email for _, email in await report_recipients(session, account.id)]
    manager = [account.success_manager_email] if account.success_manager_email else []
    return list(dict.fromkeys(representatives + manager))


def month_charts(month: AccountMonth, names: dict[str, str]) -> dict[str, str]:
    """The charts a monthly report or a review pack shows for a period's figures."""
    return {
        "activity": paired_bars(
            [Pair(names.get(r.priority, r.priority), r.opened, r.resolved) for r in month.activity],
            ("opened", "resolved"),
        ),
        "attainment": attainment_bars(
            [
                Share(
                    f"{names.get(row.priority or '', row.priority)} {what}",
                    getattr(row, clock).attainment,
                    getattr(row, clock).goal,
                    getattr(row, clock).met_by_release,
                )
                for row in month.sla.by_priority
                for clock, what in (("first_response", "response"), ("resolution", "resolution"))
            ]
        ),
    }


def cover_context(
    organisation: str, content: MonthlyContent | IncidentContent | Any
) -> dict[str, Any]:
    """What every report's cover and running header show: who from, for whom, which service."""
    return {
        "organisation": {"name": organisation},
        "account": {
            "id": content.account_id,
            "name": content.account_name,
            "edition": content.edition,
            "success_manager_name": content.success_manager_name,
        },
        "policy": {"name": sla.get_policy(content.policy).name},
    }


def monthly_document(
    renderer: Renderer, organisation: str, content: MonthlyContent
) -> tuple[str, bytes]:
    """The monthly report's title and PDF, from its gathered content alone."""
    policy = sla.get_policy(content.policy)
    names = {key: priority.name for key, priority in policy.priorities.items()}
    month = content.month
    label = month_label(content.period)
    title = f"Monthly report, {label}"
    pdf = renderer.pdf(
        "reports/monthly.html",
        title=title,
        **cover_context(organisation, content),
        period=content.period,
        period_label=label,
        span_label=label,
        prepared_on=content.gathered_at.astimezone(ZoneInfo(content.timezone)).date(),
        partial=content.partial,
        figures_until=content.gathered_at,
        timezone=content.timezone,
        month=month,
        priority_names=names,
        charts=month_charts(month, names),
    )  # fmt: skip
    return title, pdf


def incident_document(
    renderer: Renderer, organisation: str, content: IncidentContent
) -> tuple[str, bytes]:
    """The incident report's title and PDF, from its gathered content alone."""
    title = f"Incident report, {content.reference}"
    pdf = renderer.pdf(
        "reports/incident.html",
        title=title,
        **cover_context(organisation, content),
        cover_label="Ticket",
        period_label=f"{content.reference}: {content.subject}",
        prepared_on=content.gathered_at.astimezone(ZoneInfo(content.timezone)).date(),
        timezone=content.timezone,
        incident=content,
    )
    return title, pdf


def report_mail_subject(report: Report) -> str:
    """The report's title, short enough that the subject is not folded: a pack names its
    quarter as "Q4 2026", the months being in the PDF."""
    if report.kind == "review_pack":
        return f"Quarterly business review pack, {report.title.split(', ', 1)[-1].split(' (')[0]}"
    return report.title


def report_mail_text(
    report: Report,
    account: Account | None,
    review: Review | None,
    organisation: str,
    reader: str | None = None,
) -> str:
    """The mail that carries a report: what is attached, in words, signed by the success
    manager where the account has one."""
    name = account.name if account else "your account"
    if report.kind == "monthly":
        what = f"the monthly report for {name}, covering {month_label(report.period)}."
    elif report.kind == "incident":
        subject = (report.figures or {}).get("subject")
        what = f"our report on the incident {report.period}" + (f", {subject}." if subject else ".")
    elif report.kind == "review_pack" and review is not None and account is not None:
        when = long_instant(review.starts_at, account_timezone(account))
        quarter = quarter_label(review.quarter)
        what = (
            f"the pack for our quarterly business review on {when}: how {quarter} went, the "
            "objectives and our recommendations. Please bring your questions to the meeting."
        )
    else:
        what = f"the {report.title[:1].lower()}{report.title[1:]} for {name}."
    manager = account.success_manager_name if account else None
    # The success manager's own copy is not signed by them to themselves.
    signature = f"{manager}\n{organisation}" if manager and manager != reader else organisation
    hello = f"Hello {reader}," if reader else "Hello,"
    return f"{hello}\n\nPlease find attached {what}\n\n{signature}\n"
