"""/console/inbox through HTTP against the real app: the waiting mail with why it waits, and
its forms refusing beside the field, in the API's words."""

from __future__ import annotations

import secrets

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role
from tests.conftest import bearer
from tests.web.inbox_data import mailbox_row, waiting_mail
from tests.web.portal_people import make_customer
from tests.web.test_team_pages import text

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_the_inbox_lists_unmatched_and_held_mail_and_refuses_beside_the_field(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    box = mailbox_row()
    session.add(box)
    await session.flush()
    tag = secrets.token_hex(3)
    unmatched = waiting_mail(box, "unmatched", f"Newsletter late {tag}", "sam@elsewhere.example")
    held = waiting_mail(box, "held", f"Again {tag}", "flood@elsewhere.example")
    session.add_all([unmatched, held])
    await session.commit()
    agent = await bearer(session, Role.AGENT)

    page = await client.get("/console/inbox", headers=agent)
    assert page.status_code == 200, page.text
    words = text(page.text)
    assert f"Newsletter late {tag}" in words and f"Again {tag}" in words
    assert "No account yet: the sender is not a contact at any account" in words
    assert "Held for review: flood@elsewhere.example opened 5 or more" in words
    assert f'action="/console/inbox/{unmatched.id}/assign"' in page.text
    assert f'action="/console/inbox/{held.id}/release"' in page.text

    # No account chosen: refused beside the select, the page otherwise as it was.
    refused = await client.post(
        f"/console/inbox/{unmatched.id}/assign", content="account_id=", headers=agent | FORM
    )
    assert refused.status_code == 422
    assert "Choose the account this mail is from." in text(refused.text)
    assert f'id="assign-{unmatched.id}-account_id-error"' in refused.text
    # An account that does not exist: the API's words.
    missing = await client.post(
        f"/console/inbox/{unmatched.id}/assign",
        content="account_id=999999&add_contact=yes",
        headers=agent | FORM,
    )
    assert missing.status_code == 422 and "no account with id 999999" in text(missing.text)
    # Releasing a mail that is not held says what it is.
    wrong = await client.post(f"/console/inbox/{unmatched.id}/release", headers=agent)
    assert wrong.status_code == 409 and "is not held" in text(wrong.text)
    # Either may be discarded; a reason past its length is refused beside its field, kept.
    assert f'action="/console/inbox/{unmatched.id}/discard"' in page.text
    assert f'action="/console/inbox/{held.id}/discard"' in page.text
    long = "spam " * 101
    too_long = await client.post(
        f"/console/inbox/{held.id}/discard", content=f"reason={long}", headers=agent | FORM
    )
    assert too_long.status_code == 422, too_long.text
    assert f'id="discard-{held.id}-reason-error"' in too_long.text
    assert "Keep the reason to 500 characters or fewer." in text(too_long.text)
    assert f'value="{long}"' in too_long.text  # what was typed, still there

    account, _ = await make_customer(session, "e-shot")
    # Not adding a sender who is no contact: nobody would hear of the ticket, so refused.
    unheard = await client.post(
        f"/console/inbox/{unmatched.id}/assign",
        content=f"account_id={account.id}",
        headers=agent | FORM,
    )
    assert unheard.status_code == 422, unheard.text
    assert "nobody would be sent the confirmation or the replies" in text(unheard.text)
    customer = await bearer(session, Role.CUSTOMER, account.id)
    assert (await client.get("/console/inbox", headers=customer)).status_code == 403
