"""What a ticket's customer receives, read back from a real SMTP listener, policy by policy.

Each seed policy's ticket is walked from opening to closure through the API, with a worker on
the dev server; after every step the customer's mail is awaited and read: threaded under the
confirmation, the reference and subject in its subject line, the words a person reads, and a
link that opens their tracking page (the public conversation, never the support team's notes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest

from outbound.ticket_links import link_secret, ticket_of, track_url
from settings import Settings
from tests.api.conftest import Live
from tests.conftest import Inbox
from tests.waiting import eventually

SUBJECT = "Newsletter images missing in Outlook"
NOTE = "internal: customer is on the legacy template, check with Priya"
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
TRACK_LINK = re.compile(r"https?://\S+/track/\S+")
PORTAL_LINK = re.compile(r"https?://\S+/portal/tickets/\S+")
RATE_LINK = re.compile(r"https?://\S+/rate/\S+")


@dataclass(frozen=True)
class Walk:
    policy: str
    priority: str
    label: str  # the policy's name for the level, as the customer reads it
    waiting_words: str  # what the waiting mail says about the clocks
    calendar: str | None = None
    representatives: bool = False  # tickets raised, closed and followed by representatives
    zone: str = r"\(UK time\)"  # how times are labelled (a pattern): the calendar's zone


WALKS = [
    Walk("e-shot", "p2", "High", "the clock on our target times is paused"),
    Walk("spotler", "high", "High", "re-graded it to Medium priority and marked it Delayed"),
    Walk("web-agency", "bug-fix", "Bug fix", "the clock on our target times is paused"),
    Walk("electric-putty", "critical", "Critical", "the clock on our target times is paused"),
    Walk(
        "essensys",
        "p3",
        "P3 - Medium",
        "the clock on our target times is paused",
        calendar="us-pacific",
        representatives=True,
        zone=r"\(US Pacific time\)",
    ),
]


def body(message: EmailMessage) -> str:
    return str(message.get_content()).replace("\r\n", "\n")


async def mails(inbox: Inbox, address: str, reference: str, count: int) -> list[EmailMessage]:
    """The first `count` mails about the ticket to `address`, in the order they arrived."""

    async def arrived() -> list[EmailMessage]:
        found = [
            m
            for m in inbox.messages
            if m["X-Pledge-Ticket"] == reference and address in m["X-Envelope-To"]
        ]
        return found if len(found) >= count else []

    return (await eventually(arrived, 30, what=f"{count} mails to {address}"))[:count]


def check_reads_right(message: EmailMessage, reference: str, walk: Walk) -> None:
    text = body(message)
    assert message["Subject"] == f"[{reference}] {SUBJECT}"
    assert text.count("Dear ") == 1 and not text.startswith(" ")
    assert not ISO_INSTANT.search(text), text
    # Representatives may use the portal (essensys gives them access): their link is the
    # ticket's page there; everyone else's is the signed tracking page.
    link, other = (PORTAL_LINK, TRACK_LINK) if walk.representatives else (TRACK_LINK, PORTAL_LINK)
    assert len(link.findall(text)) == 1 and not other.search(text), text
    words = link.sub("", text)
    for jargon in ("pledge", "/tickets/", "line 1", "line 2", f"{reference}:", NOTE):
        assert jargon.lower() not in words.lower(), (jargon, text)
    assert f" {walk.priority} " not in text and f"{walk.priority}." not in text


@pytest.mark.parametrize("walk", WALKS, ids=[w.policy for w in WALKS])
async def test_the_customer_hears_of_each_step_in_one_thread(
    live: Live, inbox: Inbox, settings: Settings, walk: Walk
) -> None:
    extra = {"calendar": walk.calendar} if walk.calendar else {}
    account = await live.account(walk.policy, **extra)
    contact = await live.contact(
        account["id"], name="Casey Contact", is_representative=walk.representatives
    )
    other_rep = (
        await live.contact(account["id"], name="Robin Representative", is_representative=True)
        if walk.representatives
        else None
    )
    bystander = await live.contact(account["id"], name="Pat Bystander")
    opened = await live.open(
        account_id=account["id"],
        contact_id=contact["id"],
        priority=walk.priority,
        subject=SUBJECT,
    )
    assert opened.status_code == 201, opened.text
    ref, agent = opened.json()["reference"], live.as_("agent")

    async def act(action: str, payload: dict | None = None) -> dict:
        response = await live.http.post(f"/tickets/{ref}/{action}", json=payload, headers=agent)
        assert response.status_code == 200, response.text
        return response.json()

    steps: list[str] = ["confirmation"]
    await mails(inbox, contact["email"], ref, len(steps))
    await act("responses", {"body": "Could you send us the campaign's name?\nThank you."})
    steps.append("reply")
    await mails(inbox, contact["email"], ref, len(steps))
    waiting = await act(
        "wait", {"note": NOTE, "message": "The name of the campaign, and a screenshot."}
    )
    assert waiting["status"] == ("delayed" if walk.policy == "spotler" else "waiting")
    steps.append("waiting")
    await mails(inbox, contact["email"], ref, len(steps))
    await act("responses", {"author": "customer", "body": "It is the Spring sale campaign."})
    await act("resolve", {"note": NOTE})
    steps.append("resolved")
    await mails(inbox, contact["email"], ref, len(steps))
    close = {"agreed_by_contact_id": contact["id"]} if walk.representatives else {}
    await act("close", close)
    steps.append("closed")
    got = await mails(inbox, contact["email"], ref, len(steps))

    # Each mail, once and in order, threaded under the confirmation.
    assert [m["X-Pledge-Notice"] for m in got] == steps
    root = got[0]["Message-ID"]
    ids = [m["Message-ID"] for m in got]
    assert len(set(ids)) == len(ids)
    assert got[0]["In-Reply-To"] is None
    for message in got[1:]:
        assert message["In-Reply-To"] == root and message["References"] == root
    secret = link_secret(settings)
    assert {ticket_of(secret, mid) for mid in ids} == {ref}
    assert ticket_of(secret, root.replace(ref, "T-0000-0000")) is None
    for message in got:
        check_reads_right(message, ref, walk)

    confirmation, reply, wait, resolved, closed = (body(m) for m in got)
    assert "Dear Casey Contact," in confirmation
    assert f"Priority: {walk.label}\n" in confirmation
    assert re.search(
        r"We will reply by \d\d:\d\d on \w+day \d+ \w+( \d{4})? " + walk.zone,
        confirmation,
    )
    assert "    Could you send us the campaign's name?\n    Thank you." in reply
    assert "The name of the campaign, and a screenshot." in wait
    assert walk.waiting_words in " ".join(wait.split())
    # The resolution asks the contact, once, how it went: a link to press Good or Bad on.
    assert "How did we do?" in resolved and RATE_LINK.search(resolved), resolved
    for other in (confirmation, reply, wait, closed):
        assert "How did we do?" not in other and "/rate/" not in other
    if walk.representatives:
        assert "authorised representatives agrees" in resolved
        assert "We have closed your request with your agreement." in closed
    else:
        assert "we will reopen it" in resolved
        assert "We have closed your request." in closed

    # The representatives hear too where the policy says so; other contacts never do.
    if other_rep is not None:
        theirs = await mails(inbox, other_rep["email"], ref, len(steps))
        assert [m["X-Pledge-Notice"] for m in theirs] == steps
        assert "Dear Robin Representative," in body(theirs[0])
        assert "authorised representative of" in body(theirs[0])
        assert theirs[0]["Message-ID"] != root
        assert "with the agreement of Casey Contact." in body(theirs[-1])
        assert not any("/rate/" in body(m) for m in theirs)  # only the contact is asked
        assert {m["In-Reply-To"] for m in theirs[1:]} == {theirs[0]["Message-ID"]}
    assert not [m for m in inbox.messages if bystander["email"] in m["X-Envelope-To"]]

    # The tracking link opens the customer's page: the public conversation, not the team's
    # notes. (A representative's mail links to the portal instead: tests/web/test_portal_*.)
    tracked = (
        track_url(settings, secret, ref)
        if walk.representatives
        else TRACK_LINK.search(closed).group(0)  # type: ignore[union-attr]
    )
    link = urlsplit(tracked)
    page = await live.http.get(f"{link.path}?{link.query}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"] == "noindex"
    html = page.text
    for words in (ref, SUBJECT, "Closed", "Could you send us the campaign", "Spring sale"):
        assert words in html, words
    assert "The name of the campaign, and a screenshot." in html
    for secret_words in ("legacy template", "Priya", "breach", "line 2", walk.priority + "<"):
        assert secret_words not in html, secret_words
    assert ("with the agreement of Casey Contact" in html) is walk.representatives
    assert re.search(walk.zone, html)

    # The rating link: opening it records nothing; pressing Good does, as the contact's.
    rate = urlsplit(RATE_LINK.search(resolved).group(0))  # type: ignore[union-attr]
    opened = await live.http.get(f"{rate.path}?{rate.query}")
    assert opened.status_code == 200 and SUBJECT in opened.text
    staff = live.as_("agent")
    asked = (await live.http.get(f"/tickets/{ref}", headers=staff)).json()["satisfaction"]
    assert asked["rating"] is None
    pressed = await live.http.post(
        f"{rate.path}?{rate.query}", data={"rating": "good", "comment": "Sorted, thanks"}
    )
    assert pressed.status_code == 303, pressed.text
    said = (await live.http.get(f"/tickets/{ref}", headers=staff)).json()["satisfaction"]
    assert (said["rating"], said["comment"], said["rated_by"]) == (
        "good", "Sorted, thanks", "Casey Contact",
    )  # fmt: skip


async def test_a_wrong_or_missing_token_is_the_same_404_page_as_an_unknown_ticket(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account("electric-putty")
    contact = await live.contact(account["id"])
    ref = (
        await live.open(account_id=account["id"], contact_id=contact["id"], priority="low")
    ).json()["reference"]
    [confirmation] = await mails(inbox, contact["email"], ref, 1)
    link = urlsplit(TRACK_LINK.search(body(confirmation)).group(0))  # type: ignore[union-attr]
    assert (await live.http.get(f"{link.path}?{link.query}")).status_code == 200
    token = link.query.removeprefix("token=")
    other = "0" if token[0] != "0" else "1"
    answers = [
        await live.http.get(f"/track/{ref}"),
        await live.http.get(f"/track/{ref}?token="),
        await live.http.get(f"/track/{ref}?token={other}{token[1:]}"),
        await live.http.get(f"/track/{ref}?token={token}extra"),
        await live.http.get(f"/track/T-0000-0000?token={token}"),
    ]
    assert {a.status_code for a in answers} == {404}
    assert {a.headers["content-type"] for a in answers} == {"text/html; charset=utf-8"}
    assert len({a.text for a in answers}) == 1
    assert ref not in answers[0].text and "We could not find that page" in answers[0].text


async def test_a_ticket_logged_after_the_fact_promises_no_time_already_past(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account("electric-putty")
    contact = await live.contact(account["id"])
    received = (datetime.now(UTC) - timedelta(days=20)).isoformat()
    ref = (
        await live.open(
            account_id=account["id"],
            contact_id=contact["id"],
            priority="critical",
            received_at=received,
        )
    ).json()["reference"]
    [confirmation] = await mails(inbox, contact["email"], ref, 1)
    text = body(confirmation)
    assert "We will reply by" not in text
    assert "We are working on it and will reply as soon as possible." in text
    link = urlsplit(TRACK_LINK.search(text).group(0))  # type: ignore[union-attr]
    page = (await live.http.get(f"{link.path}?{link.query}")).text
    assert "We will reply by" not in page and "as soon as possible" in page
