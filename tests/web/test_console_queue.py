"""The console's queue over HTTP: order, views, filters, paging, the rows fragment, who gets in.

The tickets are read-model rows written here directly (the queue only reads them), so every
view is tested against tickets whose deadlines, states and assignees are known exactly.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from api.keys import mint_key
from db.models import Account, Edition, Role, Ticket, TicketClock
from sla.units import Clock
from web.console.queue import PAGE_SIZE


async def _account(session: AsyncSession, policy: str) -> Account:
    account = Account(
        name=f"{policy} {secrets.token_hex(3)}", policy=policy, edition=Edition.STANDARD
    )
    session.add(account)
    await session.flush()
    return account


async def _ticket(
    session: AsyncSession,
    account: Account,
    *,
    due_in: timedelta | None,
    received_ago: timedelta = timedelta(hours=1),
    status: str = "open",
    priority: str | None = None,
    assignee: tuple[str, str | None] | None = None,
    breached: bool = False,
    subject: str = "Campaign will not send",
) -> Ticket:
    policy = sla.get_policy(account.policy)
    # Now, not when the module was imported: a long run would age every deadline made here.
    now = datetime.now(UTC).replace(microsecond=0)
    due = now + due_in if due_in is not None else None
    ticket = Ticket(
        reference=f"T-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
        account_id=account.id,
        contact_id=None,
        subject=subject,
        description="Nothing happens when I press send.",
        channel="phone",
        type="incident",
        policy=account.policy,
        calendar=None,
        priority=priority or next(iter(policy.priorities)),
        status=status,
        line=1,
        assignee_name=assignee[0] if assignee else None,
        assignee_email=assignee[1] if assignee else None,
        received_at=now - received_ago,
        opened_at=now - received_ago,
        opened_by="test",
        first_response_due=due,
        next_due=due,
        breached=breached,
        version=1,
        updated_at=now,
    )
    session.add(ticket)
    await session.flush()
    if due is not None:
        session.add(
            TicketClock(
                ticket_id=ticket.id,
                name="first_response",
                kind="clock",
                clock="elapsed",
                calendar=policy.default_calendar,
                target="2 calendar_hours",
                due=due,
                state="breached" if breached else "paused" if status == "waiting" else "running",
            )
        )
    await session.flush()
    return ticket


def _references(html: str) -> list[str]:
    return re.findall(r'href="/console/tickets/(T-[0-9A-F]{4}-[0-9A-F]{4})"', html)


@pytest.fixture
async def agent(session: AsyncSession) -> tuple[dict[str, str], str]:
    """An agent's key, and the full name of the person behind it."""
    name = f"Alex Agent {secrets.token_hex(2)}"
    minted = await mint_key(session, name="alex's key", role=Role.AGENT, full_name=name)
    await session.commit()
    return {"Authorization": f"Bearer {minted.secret}"}, name


async def test_the_queue_sorts_by_next_deadline_and_each_view_picks_its_tickets(
    client: httpx.AsyncClient, session: AsyncSession, agent: tuple[dict[str, str], str]
) -> None:
    headers, name = agent
    account = await _account(session, "e-shot")
    later = await _ticket(session, account, due_in=timedelta(hours=5))
    soon = await _ticket(session, account, due_in=timedelta(minutes=30), assignee=(name, None))
    late = await _ticket(session, account, due_in=timedelta(hours=-2), breached=True)
    waiting = await _ticket(session, account, due_in=timedelta(hours=3), status="waiting")
    by_mail = await _ticket(
        session, account, due_in=timedelta(hours=4), assignee=("Someone", "alex@x.example.com")
    )
    other = await _ticket(
        session, account, due_in=timedelta(hours=1), assignee=("Robin Other", None)
    )
    done = await _ticket(session, account, due_in=None, status="resolved")
    await session.commit()
    mine = {t.reference for t in (later, soon, late, waiting, by_mail, other, done)}

    async def shown(**params: str) -> list[str]:
        response = await client.get(
            "/console", params={"account": str(account.id), **params}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [r for r in _references(response.text) if r in mine]

    assert await shown() == [
        late.reference,
        soon.reference,
        other.reference,
        waiting.reference,
        by_mail.reference,
        later.reference,
    ]
    assert await shown(view="mine") == [soon.reference]
    assert await shown(view="unassigned") == [late.reference, waiting.reference, later.reference]
    assert await shown(view="breached") == [late.reference]
    assert await shown(view="waiting") == [waiting.reference]
    assert await shown(state="resolved") == [done.reference]
    assert done.reference in await shown(state="any")
    assert await shown(state="open", view="waiting") == []


async def test_mine_matches_the_viewers_e_mail_too(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A signed-in user carries an e-mail (the principal's `email`); keys carry names only."""
    from services.tickets import _who

    @__import__("dataclasses").dataclass(frozen=True)
    class WithEmail:
        name: str = "key"
        full_name: str | None = "Alex Agent"
        email: str = "Alex@Pledge.example.com"

    names, emails = _who(WithEmail())  # type: ignore[arg-type]
    assert names == ("Alex Agent", "key") and emails == ("Alex@Pledge.example.com",)

    from db import ticket_reads

    account = await _account(session, "e-shot")
    assignee = ("A. Agent", "alex@pledge.example.com")
    hers = await _ticket(session, account, due_in=timedelta(hours=1), assignee=assignee)
    await _ticket(session, account, due_in=timedelta(hours=1), assignee=("B", "b@x.example.com"))
    rows, total = await ticket_reads.search(
        session,
        ticket_reads.TicketFilter(
            account_id=account.id, mine=True, assignee_names=names, assignee_emails=emails
        ),
        10,
        0,
    )
    assert [r.reference for r in rows] == [hers.reference] and total == 1


async def test_filters_by_account_policy_priority_and_state(
    client: httpx.AsyncClient, session: AsyncSession, agent_headers: dict[str, str]
) -> None:
    eshot = await _account(session, "e-shot")
    spotler = await _account(session, "spotler")
    p1 = await _ticket(session, eshot, due_in=timedelta(hours=1), priority="p1")
    p3 = await _ticket(session, eshot, due_in=timedelta(hours=2), priority="p3")
    high = await _ticket(session, spotler, due_in=timedelta(hours=3), priority="high")
    await session.commit()
    ours = {p1.reference, p3.reference, high.reference}

    async def shown(**params: str) -> set[str]:
        response = await client.get("/console", params=params, headers=agent_headers)
        assert response.status_code == 200, response.text
        return set(_references(response.text)) & ours

    assert await shown(account=str(eshot.id)) == {p1.reference, p3.reference}
    assert await shown(policy="spotler", account=str(spotler.id)) == {high.reference}
    assert await shown(account=str(eshot.id), priority="p3") == {p3.reference}
    assert await shown(account=str(eshot.id), state="closed") == set()

    refused = await client.get(
        "/console", params={"policy": "nope", "state": "sleeping"}, headers=agent_headers
    )
    assert refused.status_code == 422
    assert "no policy &#39;nope&#39;" in refused.text
    assert "no state &#39;sleeping&#39;" in refused.text
    assert 'aria-invalid="true"' in refused.text


async def test_rows_show_the_clock_its_warning_point_and_its_colour(
    client: httpx.AsyncClient, session: AsyncSession, agent_headers: dict[str, str]
) -> None:
    account = await _account(session, "e-shot")
    # 2 hours' target received 1 hour ago: the warning (75%) is 30 minutes ahead.
    fresh = await _ticket(session, account, due_in=timedelta(hours=1))
    # Received 1 h 45 min ago, due in 15 min: past the warning point.
    warned = await _ticket(
        session, account, due_in=timedelta(minutes=15), received_ago=timedelta(minutes=105)
    )
    over = await _ticket(session, account, due_in=timedelta(minutes=-5), breached=True)
    await session.commit()
    response = await client.get(
        "/console", params={"account": str(account.id)}, headers=agent_headers
    )
    html = response.text
    rows = {ref: html[html.index(ref) - 1200 : html.index(ref)] for ref in _references(html)}
    expected_warn = sla.warn_at(
        sla.get_policy("e-shot").calendar(),
        fresh.received_at,
        fresh.first_response_due,
        0.75,
        Clock.ELAPSED,
    )
    assert f'data-warn="{expected_warn.isoformat()}"' in rows[fresh.reference]
    assert 'class="tone-ok"' in rows[fresh.reference]
    assert 'class="tone-warning"' in rows[warned.reference]
    assert 'class="tone-breached"' in rows[over.reference]
    assert fresh.first_response_due is not None
    due = fresh.first_response_due.isoformat()
    assert f'<time datetime="{due}" title="{due}" data-local>' in rows[fresh.reference]
    assert "overdue by" in rows[over.reference]
    # The countdowns tick from a script of the app's own: no inline script on the page.
    assert '<script src="/static/console/queue.js" defer></script>' in html
    assert "<script>" not in html and "style=" not in html


async def test_the_rows_fragment_is_the_table_body_polling_itself(
    client: httpx.AsyncClient, session: AsyncSession, agent_headers: dict[str, str]
) -> None:
    account = await _account(session, "e-shot")
    ticket = await _ticket(session, account, due_in=timedelta(hours=1))
    await session.commit()
    page = await client.get(
        "/console", params={"account": str(account.id), "view": "unassigned"}, headers=agent_headers
    )
    polled = re.search(r'<tbody id="queue-rows" hx-get="([^"]+)" hx-trigger="every 20s"', page.text)
    assert polled is not None
    link = polled.group(1).replace("&amp;", "&")
    assert link.startswith("/console/queue/rows?") and f"account={account.id}" in link
    fragment = await client.get(link, headers=agent_headers)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<tbody id="queue-rows"')
    assert "<html" not in fragment.text and ticket.reference in fragment.text


async def test_paging_walks_the_queue_in_deadline_order(
    client: httpx.AsyncClient, session: AsyncSession, agent_headers: dict[str, str]
) -> None:
    account = await _account(session, "spotler")
    made = [
        await _ticket(session, account, due_in=timedelta(minutes=10 + i))
        for i in range(PAGE_SIZE + 3)
    ]
    await session.commit()
    first = await client.get("/console", params={"account": str(account.id)}, headers=agent_headers)
    assert f"{PAGE_SIZE + 3} tickets · page 1 of 2" in first.text
    assert _references(first.text) == [t.reference for t in made[:PAGE_SIZE]]
    assert 'rel="next"' in first.text
    second = await client.get(
        "/console", params={"account": str(account.id), "page": "2"}, headers=agent_headers
    )
    assert _references(second.text) == [t.reference for t in made[PAGE_SIZE:]]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


async def test_customers_are_refused_and_nobody_is_sent_to_sign_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account = await _account(session, "e-shot")
    await session.commit()
    customer = await mint_key(session, name="customer", role=Role.CUSTOMER, account_id=account.id)
    handler = await mint_key(session, name="handler", role=Role.COMPLAINTS_HANDLER)
    manager = await mint_key(session, name="manager", role=Role.SUCCESS_MANAGER)
    await session.commit()
    for path in ("/console", "/console/queue/rows"):
        for minted in (customer, handler):
            refused = await client.get(path, headers={"Authorization": f"Bearer {minted.secret}"})
            assert refused.status_code == 403, (path, refused.text)
        let_in = await client.get(path, headers={"Authorization": f"Bearer {manager.secret}"})
        assert let_in.status_code == 200
        anonymous = await client.get(path)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == f"/login?next={path}"
