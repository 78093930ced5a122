"""GET /console: the queue, tickets by their next deadline, for the people who work them.

Views (mine, unassigned, breached, waiting on the customer, all) and filters (account, policy,
priority, state) are plain query parameters of a GET form, so a view is a link one can keep;
the table's body refreshes itself from /console/queue/rows every 20 seconds (htmx), and the
countdowns tick in the browser. Without JavaScript the page is the same table, as of its
loading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

import sla
from api.auth import Principal
from api.deps import Session
from api.errors import FieldProblem, InvalidInput
from db.models import Role
from reports.customer_words import priority_label
from services import tickets
from services.tickets import Queue, TicketQuery
from web.console.clocks import (
    clock_name,
    countdown_text,
    iso,
    next_clock,
    utc_text,
)
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
VIEWS = {
    "all": "All",
    "mine": "Mine",
    "unassigned": "Unassigned",
    "breached": "Breached",
    "waiting": "Waiting on the customer",
}
STATES = {
    "active": "Open, waiting or delayed",
    "open": "Open",
    "waiting": "Waiting",
    "delayed": "Delayed",
    "resolved": "Resolved",
    "closed": "Closed",
    "any": "Any state",
}
ACTIVE = ("open", "waiting", "delayed")
STATUS_WORDS = {
    "open": "Open",
    "waiting": "Waiting on the customer",
    "delayed": "Delayed",
    "resolved": "Resolved",
    "closed": "Closed",
}

Viewer = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER)]


@dataclass(frozen=True)
class Filters:
    """The queue's query as typed: kept as strings, so a refused one is shown back."""

    view: str = "all"
    account: str = ""
    policy: str = ""
    priority: str = ""
    state: str = "active"
    page: str = "1"

    def link(self, **changes: str) -> str:
        values = {**self.__dict__, **changes}
        kept = {k: v for k, v in values.items() if v and v != Filters.__dict__.get(k)}
        return "/console" + (f"?{urlencode(kept)}" if kept else "")

    def rows_link(self) -> str:
        kept = {k: v for k, v in self.__dict__.items() if v and v != Filters.__dict__.get(k)}
        return "/console/queue/rows" + (f"?{urlencode(kept)}" if kept else "")


def _query(filters: Filters) -> tuple[TicketQuery, dict[str, str]]:
    """The service's query from the form, and what is wrong with it, field by field."""
    errors: dict[str, str] = {}
    if filters.view not in VIEWS:
        errors["view"] = f"no view {filters.view!r}; one of {', '.join(VIEWS)}"
    if filters.state not in STATES:
        errors["state"] = f"no state {filters.state!r}; one of {', '.join(STATES)}"
    account_id = None
    if filters.account:
        if filters.account.isdigit() and len(filters.account) < 10:
            account_id = int(filters.account)
        else:
            errors["account"] = f"{filters.account!r} is not an account"
    if filters.policy and filters.policy not in sla.policy_keys():
        errors["policy"] = f"no policy {filters.policy!r}"
    page_number = 1
    if filters.page.isdigit() and 0 < int(filters.page) < 100_000:
        page_number = int(filters.page)
    else:
        errors["page"] = f"{filters.page!r} is not a page number"
    if errors:
        return TicketQuery(limit=PAGE_SIZE), errors

    states = ACTIVE if filters.state == "active" else ()
    if filters.state not in ("active", "any"):
        states = (filters.state,)
    if filters.view == "waiting":
        waiting = ("waiting", "delayed")
        states = tuple(s for s in states if s in waiting) if states else waiting
        if not states:
            states = ("none",)  # waiting and resolved at once: nothing, honestly
    return (
        TicketQuery(
            account_id=account_id,
            statuses=states,
            policy=filters.policy or None,
            priority=filters.priority or None,
            breached=True if filters.view == "breached" else None,
            mine=filters.view == "mine",
            unassigned=filters.view == "unassigned",
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
        ),
        errors,
    )


@dataclass(frozen=True)
class Row:
    reference: str
    subject: str
    account: str
    priority: str
    status: str
    assignee: str
    clock: str
    due_iso: str
    due_text: str
    warn_iso: str
    countdown: str
    tone: str
    paused: bool


def _rows(found: Queue, now: datetime) -> list[Row]:
    rows = []
    for item in found.rows:
        ticket = item.ticket
        upcoming = next_clock(ticket, item.clocks)
        rows.append(
            Row(
                reference=ticket.reference,
                subject=ticket.subject,
                account=item.account_name,
                priority=priority_label(ticket.policy, ticket.priority),
                status=STATUS_WORDS.get(ticket.status, ticket.status),
                assignee=ticket.assignee_name or "",
                clock=clock_name(upcoming.name) if upcoming else "",
                due_iso=iso(upcoming.due) if upcoming else "",
                due_text=utc_text(upcoming.due) if upcoming else "",
                warn_iso=iso(upcoming.warn) if upcoming and upcoming.warn else "",
                countdown=(
                    "paused"
                    if upcoming and upcoming.paused
                    else countdown_text(upcoming.due, now)
                    if upcoming
                    else ""
                ),
                tone=("paused" if upcoming.paused else upcoming.tone(now)) if upcoming else "none",
                paused=bool(upcoming and upcoming.paused),
            )
        )
    return rows


async def _choices(session: Session) -> dict[str, object]:
    policies = {key: sla.get_policy(key).name for key in sla.policy_keys()}
    priorities: dict[str, list[str]] = {}
    for key in sla.policy_keys():
        for level, priority in sla.get_policy(key).priorities.items():
            priorities.setdefault(level, []).append(f"{priority.name} ({key})")
    return {
        "accounts": await tickets.account_names(session),
        "policies": policies,
        "priorities": {level: "; ".join(names) for level, names in priorities.items()},
        "views": VIEWS,
        "states": STATES,
    }


async def _answer(
    session: Session, viewer: Principal, filters: Filters, template: str
) -> HTMLResponse:
    query, errors = _query(filters)
    status = 200
    if errors:
        found, status = Queue(rows=[], total=0, query=query), 422
    else:
        try:
            found = await tickets.queue(session, viewer, query)
        except InvalidInput as exc:
            problems = exc.errors or [FieldProblem(field="query", message=exc.detail)]
            errors = {p.field.rpartition(".")[2]: p.message for p in problems}
            found, status = Queue(rows=[], total=0, query=query), exc.status_code
    now = datetime.now(UTC)
    page_number = query.offset // PAGE_SIZE + 1
    pages = max(1, -(-found.total // PAGE_SIZE))
    return page(
        template,
        status_code=status,
        filters=filters,
        errors=errors,
        rows=_rows(found, now),
        total=found.total,
        page_number=page_number,
        pages=pages,
        previous=filters.link(page=str(page_number - 1)) if page_number > 1 else "",
        next=filters.link(page=str(page_number + 1)) if page_number < pages else "",
        viewer=viewer,
        **(await _choices(session) if template.endswith("queue.html") else {}),
    )


def _filters(
    view: str, account: str, policy: str, priority: str, state: str, page_: str
) -> Filters:
    return Filters(
        view=view, account=account, policy=policy, priority=priority, state=state, page=page_
    )


Text = Annotated[str, Query(max_length=64)]


@router.get("/console", response_class=HTMLResponse)
async def queue_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    view: Text = "all",
    account: Text = "",
    policy: Text = "",
    priority: Text = "",
    state: Text = "active",
    page: Annotated[str, Query(max_length=8)] = "1",
) -> HTMLResponse:
    filters = _filters(view, account, policy, priority, state, page)
    return await _answer(session, viewer, filters, "console/queue/queue.html")


@router.get("/console/queue/rows", response_class=HTMLResponse)
async def queue_rows(
    session: Session,
    viewer: Viewer,
    view: Text = "all",
    account: Text = "",
    policy: Text = "",
    priority: Text = "",
    state: Text = "active",
    page: Annotated[str, Query(max_length=8)] = "1",
) -> HTMLResponse:
    """The table's body alone, for htmx to swap in every so often."""
    filters = _filters(view, account, policy, priority, state, page)
    return await _answer(session, viewer, filters, "console/queue/rows.html")
