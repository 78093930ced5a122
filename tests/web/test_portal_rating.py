"""The portal's "How did we do?": the ticket's contact, signed in through a real mailed link,
answers on a button press; a colleague at the account reads the answer and cannot give one."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TicketRating
from tests.conftest import Inbox
from tests.ratings import answer, resolved_ticket
from tests.web.portal_people import portal_sign_in


async def test_the_contact_answers_in_the_portal_on_a_press(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    made = await resolved_ticket(session, subject="Images missing in Outlook")
    assert (await portal_sign_in(client, inbox, made.contact.email)).status_code == 303
    path = f"/portal/tickets/{made.ticket.reference}/rating"

    page = await client.get(path)
    assert page.status_code == 200
    assert "Images missing in Outlook" in page.text and made.contact.name in page.text
    assert f'action="{path}"' in page.text and 'value="good"' in page.text
    assert await session.get(TicketRating, made.ticket.id) is None  # opening records nothing

    refused = await client.post(path, data={"rating": "splendid"})
    assert refused.status_code == 422 and 'id="rating-rating-error"' in refused.text
    assert await session.get(TicketRating, made.ticket.id) is None

    pressed = await client.post(path, data={"rating": "good", "comment": "Thanks, all fine"})
    assert pressed.status_code == 303 and pressed.headers["location"] == path
    recorded = await session.get(TicketRating, made.ticket.id, populate_existing=True)
    assert recorded is not None
    assert (recorded.rating, recorded.comment, recorded.rated_by) == (
        "good", "Thanks, all fine", made.contact.name,
    )  # fmt: skip
    thanks = (await client.get(path)).text
    assert "Thank you for your answer" in thanks and ">Good</strong>" in thanks


async def test_a_colleague_reads_the_answer_but_is_not_asked(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    made = await resolved_ticket(session)
    colleague = await resolved_ticket(session, account=made.account)  # another contact of it
    path = f"/portal/tickets/{made.ticket.reference}/rating"
    assert (await portal_sign_in(client, inbox, colleague.contact.email)).status_code == 303

    before = (await client.get(path)).text
    assert f"We asked {made.contact.name} how it went; there is no answer yet." in before
    assert 'name="rating"' not in before
    refused = await client.post(path, data={"rating": "bad"})
    assert refused.status_code == 403 and "you did not raise this one" in refused.text
    assert await session.get(TicketRating, made.ticket.id) is None

    await answer(session, made, "bad", "Took too long")
    after = (await client.get(path)).text
    assert f"{made.contact.name} told us our help was" in after and ">Bad</strong>" in after
    assert "Took too long</blockquote>" in after and 'name="rating"' not in after
