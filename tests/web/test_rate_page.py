"""/rate/{reference}: opening the page records nothing, pressing a button records the answer.

Over HTTP against the real app, in the test's rolled-back transaction (tests/ratings.py makes
the resolved ticket a workflow would have left).
"""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TicketRating
from outbound.ticket_links import link_secret, rate_path, track_token
from settings import Settings
from tests.ratings import Resolved, answer, resolved_ticket


def _path(settings: Settings, reference: str) -> str:
    return rate_path(link_secret(settings), reference)


async def _rating(session: AsyncSession, made: Resolved) -> TicketRating | None:
    return await session.get(TicketRating, made.ticket.id, populate_existing=True)


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(TicketRating)) or 0)


async def test_opening_the_page_records_nothing_and_shows_the_question(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    made = await resolved_ticket(session, subject="Images missing in Outlook")
    before = await _count(session)
    for _ in range(3):  # a mail scanner, a link preview, then the person
        page = await client.get(_path(settings, made.ticket.reference))
        assert page.status_code == 200
    assert await _count(session) == before
    assert await _rating(session, made) is None
    html = page.text
    assert "Images missing in Outlook" in html and made.ticket.reference in html
    assert '<h2 id="rating-title">How did we do?</h2>' in html
    assert re.search(r'<button type="submit" name="rating" value="good"[^>]*>Good</button>', html)
    assert re.search(r'<button type="submit" name="rating" value="bad"[^>]*>Bad</button>', html)
    assert '<label for="rating-comment">' in html and 'id="rating-comment"' in html
    # The form posts back to the signed address; nothing inline for the CSP to block.
    assert f'action="{_path(settings, made.ticket.reference)}"' in html
    assert "<style" not in html and 'style="' not in html and "<script" not in html
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    sheet = await client.get("/static/pages/rating.css")
    assert sheet.status_code == 200 and ".rating-buttons" in sheet.text


async def test_pressing_a_button_records_the_answer_and_thanks_the_contact(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    made = await resolved_ticket(session)
    path = _path(settings, made.ticket.reference)
    pressed = await client.post(path, data={"rating": "good", "comment": "  Quick, thank you!  "})
    assert pressed.status_code == 303 and pressed.headers["location"] == path
    recorded = await _rating(session, made)
    assert recorded is not None
    assert (recorded.rating, recorded.comment) == ("good", "Quick, thank you!")
    assert (recorded.rated_by, recorded.contact_id) == (made.contact.name, made.contact.id)
    thanks = (await client.get(path)).text
    assert "Thank you for your answer" in thanks and ">Good</strong>" in thanks
    assert "Quick, thank you!</textarea>" in thanks and "(UK time)" in thanks
    assert "You can change your answer until we close the request" in thanks

    # Until the ticket is closed, a later press wins.
    again = await client.post(path, data={"rating": "bad", "comment": ""})
    assert again.status_code == 303
    changed = await _rating(session, made)
    assert changed is not None and (changed.rating, changed.comment) == ("bad", "")
    assert ">Bad</strong>" in (await client.get(path)).text


async def test_a_wrong_token_is_the_same_404_as_an_unknown_reference(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    made = await resolved_ticket(session)
    ref = made.ticket.reference
    token = _path(settings, ref).partition("token=")[2]
    other = ("0" if token[0] != "0" else "1") + token[1:]
    tracking = track_token(link_secret(settings), ref)  # another kind of link: not a key here
    for method in ("GET", "POST"):
        answers = [
            await client.request(method, f"/rate/{ref}", data={"rating": "good"}),
            await client.request(method, f"/rate/{ref}?token=", data={"rating": "good"}),
            await client.request(method, f"/rate/{ref}?token={other}", data={"rating": "good"}),
            await client.request(method, f"/rate/{ref}?token={tracking}", data={"rating": "good"}),
            await client.request(
                method, f"/rate/{ref}?token={token}{'0' * 300}", data={"rating": "good"}
            ),
            await client.request(
                method, f"/rate/T-0000-0000?token={token}", data={"rating": "good"}
            ),
        ]
        assert {a.status_code for a in answers} == {404}, method
        assert len({a.text for a in answers}) == 1
        assert ref not in answers[0].text and "We could not find that page" in answers[0].text
    assert await _rating(session, made) is None


async def test_bad_values_are_refused_naming_the_field_and_record_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    made = await resolved_ticket(session)
    path = _path(settings, made.ticket.reference)
    for form, field in (
        ({"rating": "meh"}, "rating"),
        ({"comment": "No button pressed"}, "rating"),
        ({"rating": "good", "comment": "x" * 2001}, "comment"),
        ({"rating": "bad", "comment": "nul \x00 here"}, "comment"),
    ):
        refused = await client.post(path, data=form)
        assert refused.status_code == 422, form
        assert f'id="rating-{field}-error"' in refused.text, form
        assert 'aria-invalid="true"' in refused.text or field == "rating"
    assert await _rating(session, made) is None
    # A browser's line breaks are CRLF; 2,000 characters as typed fit.
    typed_in_browser = "\r\n".join(["x" * 99] * 20)  # 1,999 characters counted as typed
    fits = await client.post(path, data={"rating": "good", "comment": typed_in_browser})
    assert fits.status_code == 303
    kept = await _rating(session, made)
    assert kept is not None and kept.comment == "\n".join(["x" * 99] * 20)
    typed = await client.post(path, data={"rating": "meh", "comment": "Kept as typed"})
    assert "Kept as typed</textarea>" in typed.text  # what they wrote is not lost


async def test_a_closed_ticket_keeps_its_answer_but_takes_a_first_one(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    answered = await resolved_ticket(session, status="closed")
    await answer(session, answered, "good", "Great")
    path = _path(settings, answered.ticket.reference)
    refused = await client.post(path, data={"rating": "bad"})
    assert refused.status_code == 409
    assert "can no longer be changed" in refused.text
    kept = await _rating(session, answered)
    assert kept is not None and (kept.rating, kept.comment) == ("good", "Great")
    page = (await client.get(path)).text
    assert "your answer stays as you gave it" in page and 'name="rating"' not in page
    assert '<blockquote class="rating-comment">Great</blockquote>' in page

    # Closed minutes after the resolution, before the contact read the mail: still asked.
    late = await resolved_ticket(session, status="closed")
    taken = await client.post(_path(settings, late.ticket.reference), data={"rating": "bad"})
    assert taken.status_code == 303
    recorded = await _rating(session, late)
    assert recorded is not None and recorded.rating == "bad"


async def test_a_ticket_not_asked_yet_shows_no_form_and_takes_no_answer(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    made = await resolved_ticket(session, asked=False, status="open")
    path = _path(settings, made.ticket.reference)
    page = await client.get(path)
    assert page.status_code == 200
    assert "We will ask how it went once we have resolved your request." in page.text
    assert 'name="rating"' not in page.text
    refused = await client.post(path, data={"rating": "good"})
    assert refused.status_code == 409
    assert await _rating(session, made) is None
