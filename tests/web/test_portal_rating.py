"""The portal's "How did we do?" on the ticket's page: its contact, signed in through a real
mailed link, answers on a button press; a colleague at the account reads the answer and cannot
give one; a ticket not yet asked shows no question."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TicketRating
from tests.conftest import Inbox
from tests.ratings import answer, resolved_ticket
from tests.web.portal_people import portal_sign_in


def _section(html: str) -> str:
    found = re.search(r'<section class="rating".*?</section>', html, re.S)
    return found.group(0) if found else ""


async def test_the_contact_answers_on_the_tickets_page_with_a_press(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    made = await resolved_ticket(session, subject="Images missing in Outlook")
    assert (await portal_sign_in(client, inbox, made.contact.email)).status_code == 303
    page_path = f"/portal/tickets/{made.ticket.reference}"
    action = f"{page_path}/rating"

    page = await client.get(page_path)
    assert page.status_code == 200
    asked = _section(page.text)
    assert "How did we do?" in asked and f'action="{action}"' in asked
    assert 'value="good"' in asked and 'value="bad"' in asked
    assert '<link rel="stylesheet" href="/static/pages/rating.css">' in page.text
    assert await session.get(TicketRating, made.ticket.id) is None  # opening records nothing

    refused = await client.post(action, data={"rating": "splendid", "comment": "Typed"})
    assert refused.status_code == 422
    section = _section(refused.text)
    assert 'id="rating-rating-error"' in section and "Typed</textarea>" in section
    assert await session.get(TicketRating, made.ticket.id) is None

    pressed = await client.post(action, data={"rating": "good", "comment": "Thanks, all fine"})
    assert pressed.status_code == 303
    assert pressed.headers["location"] == f"{page_path}?done=rated#news"
    recorded = await session.get(TicketRating, made.ticket.id, populate_existing=True)
    assert recorded is not None
    assert (recorded.rating, recorded.comment, recorded.rated_by) == (
        "good", "Thanks, all fine", made.contact.name,
    )  # fmt: skip
    thanks = await client.get(pressed.headers["location"])
    assert "Thank you for telling us how we did." in thanks.text
    said = _section(thanks.text)
    assert "Thank you for your answer" in said and ">Good</strong>" in said
    assert "You can change your answer until we close the request" in said


async def test_a_colleague_reads_the_answer_but_is_not_asked(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    made = await resolved_ticket(session)
    colleague = await resolved_ticket(session, account=made.account)  # another contact of it
    page_path = f"/portal/tickets/{made.ticket.reference}"
    assert (await portal_sign_in(client, inbox, colleague.contact.email)).status_code == 303

    before = _section((await client.get(page_path)).text)
    assert f"We asked {made.contact.name} how it went; there is no answer yet." in before
    assert 'name="rating"' not in before
    refused = await client.post(f"{page_path}/rating", data={"rating": "bad"})
    assert refused.status_code == 403
    assert "you did not raise this one" in _section(refused.text)
    assert refused.text.count("you did not raise this one") == 1  # said once, in its section
    assert await session.get(TicketRating, made.ticket.id) is None

    await answer(session, made, "bad", "Took too long")
    after = _section((await client.get(page_path)).text)
    assert f"{made.contact.name} told us our help was" in after and ">Bad</strong>" in after
    assert "Took too long</blockquote>" in after and 'name="rating"' not in after


async def test_a_ticket_not_asked_yet_shows_no_question_and_takes_no_answer(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    made = await resolved_ticket(session, asked=False, status="open")
    assert (await portal_sign_in(client, inbox, made.contact.email)).status_code == 303
    page_path = f"/portal/tickets/{made.ticket.reference}"
    assert _section((await client.get(page_path)).text) == ""
    refused = await client.post(f"{page_path}/rating", data={"rating": "good"})
    assert refused.status_code == 409 and "we have not resolved this one yet" in refused.text
    assert await session.get(TicketRating, made.ticket.id) is None
