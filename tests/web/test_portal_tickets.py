"""Customers follow their tickets in the portal: the list, a ticket's page, replying, agreeing
to closure, saying it is not fixed, and the links in their mails.

End to end: the real app, a worker on the Temporal dev server, a customer signed in through a
mailed link, agents acting through the JSON API; what the portal did is read back through the
API as staff see it.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from settings import Settings
from tests import files
from tests.api.conftest import Live, live  # noqa: F401 (the fixture)
from tests.api.test_customer_mails import body as mail_text
from tests.api.test_customer_mails import mails
from tests.conftest import Inbox
from tests.web.portal_people import ask_for_link, link_token

__all__ = ["live"]

ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
WHEN = r"\d\d:\d\d (?:today|tomorrow|on \w+day \d+ \w+(?: \d{4})?) \(UK time\)"


@asynccontextmanager
async def signed_in(live: Live, inbox: Inbox, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """The customer's own browser: a client of its own, signed in through a mailed link."""
    http = httpx.AsyncClient(transport=live.http._transport, base_url=str(live.http.base_url))
    async with http:
        token = await ask_for_link(http, inbox, email)
        pressed = await http.post(f"/portal/link/{token}")
        assert pressed.status_code == 303, pressed.text
        yield http


async def _act(live: Live, reference: str, action: str, payload: dict | None = None) -> dict:
    answer = await live.http.post(
        f"/tickets/{reference}/{action}", json=payload or {}, headers=live.as_("agent")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _detail(live: Live, reference: str) -> dict:
    answer = await live.http.get(f"/tickets/{reference}", headers=live.as_("agent"))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _open(live: Live, account: dict, contact: dict | None, **extra: Any) -> str:
    extra.setdefault("priority", "p2")
    if contact is not None:
        extra["contact_id"] = contact["id"]
    opened = await live.open(account_id=account["id"], **extra)
    assert opened.status_code == 201, opened.text
    return str(opened.json()["reference"])


def _text(answer: httpx.Response) -> str:
    """The page's words as read: tags dropped, entities and spaces undone."""
    words = re.sub(r"<[^>]+>", " ", answer.text)
    return " ".join(html.unescape(words).split())


async def test_the_list_shows_the_account_s_own_tickets_in_plain_words(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account("e-shot")
    jordan = await live.contact(account["id"], name="Jordan Reed", portal_access=True)
    sam = await live.contact(account["id"], name="Sam Colleague")
    other_account = await live.account("e-shot")
    async with signed_in(live, inbox, jordan["email"]) as http:
        plain = await _open(live, account, jordan, subject="Images missing in Outlook")
        waiting = await _open(live, account, sam, subject="Campaign stuck in draft")
        late = await _open(
            live, account, jordan, subject="Logged after the call",
            received_at=(datetime.now(UTC) - timedelta(days=20)).isoformat(),
        )  # fmt: skip
        done = await _open(live, account, jordan, subject="Bounce report empty")
        theirs = await _open(live, other_account, None, subject="Another account's trouble")
        await _act(live, waiting, "wait", {"message": "Which campaign is it?"})
        await _act(live, done, "resolve")

        page = await http.get("/portal")
        assert page.status_code == 200
        text = _text(page)
        for ref in (plain, waiting, late, done):
            assert ref in page.text, ref
        assert theirs not in page.text and "Another account's trouble" not in text
        # Open ones first, the one waiting on the customer at the top, marked so.
        assert page.text.index(waiting) < page.text.index(plain) < page.text.index(done)
        assert "Waiting for your answer" in text and "Resolved" in text
        assert "Priority High" in text and "p2" not in text
        assert "Raised by You" in text and "Raised by Sam Colleague" in text
        # The next promise in words, in the customer's time zone; none already past.
        assert re.search(rf"We will reply by {WHEN}\.", text), text
        assert "We will reply as soon as possible." in text
        assert "Our clock is paused until you answer." in text
        assert not ISO_INSTANT.search(text)

        only_open = await http.get("/portal", params={"show": "open"})
        assert only_open.status_code == 200
        assert plain in only_open.text and done not in only_open.text
        for wrong in ({"show": "everything"}, {"page": "0"}, {"page": "two"}):
            refused = await http.get("/portal", params=wrong)
            assert refused.status_code == 422
            assert next(iter(wrong)) + ":" in _text(refused)


async def test_a_ticket_our_monitoring_opened_is_not_said_to_be_raised_by_the_customer(
    live: Live, inbox: Inbox
) -> None:
    # As activities/monitors.py opens one: the `monitor` channel, the account's contact named
    # to be written to. The walkthrough's portal said "Raised by You" to that contact.
    account = await live.account("web-agency")
    jordan = await live.contact(account["id"], name="Jordan Reed", portal_access=True)
    async with signed_in(live, inbox, jordan["email"]) as http:
        reference = await _open(
            live, account, jordan, channel="monitor", priority="mission-critical",
            subject="shop.wren.invalid is not answering",
        )  # fmt: skip
        home = _text(await http.get("/portal"))
        assert "Raised by Our monitoring of your website" in home
        assert "Raised by You" not in home
        page = _text(await http.get(f"/portal/tickets/{reference}"))
        assert "Raised by Our monitoring of your website" in page
        assert "Raised by You" not in page and "You raised" not in page
        assert "Our monitoring noticed the problem." in page


async def test_the_ticket_page_shows_the_public_conversation_and_never_a_note(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account("e-shot")
    jordan = await live.contact(account["id"], name="Jordan Reed", portal_access=True)
    other_account = await live.account("e-shot")
    other_contact = await live.contact(other_account["id"], name="Olive Other")
    async with signed_in(live, inbox, jordan["email"]) as http:
        asked = f"Images show as red crosses in Outlook 2019 ({secrets.token_hex(3)})"
        ref = await _open(
            live, account, jordan, subject="Images missing in Outlook", description=asked
        )
        theirs = await _open(live, other_account, other_contact, subject="Their own trouble")
        note = f"internal {secrets.token_hex(4)}: customer is on the legacy template"
        await _act(live, ref, "responses", {"body": "We are looking at it now."})
        await _act(live, ref, "notes", {"body": note})
        await _act(live, ref, "assign", {"name": "Priya Agent"})
        await _act(live, ref, "escalate", {"note": "needs the second line"})

        page = await http.get(f"/portal/tickets/{ref}")
        assert page.status_code == 200
        text = _text(page)
        shown = (ref, "Images missing in Outlook", "We are working on it", "High", "We replied:")
        for words in (
            *shown,
            "We are looking at it now.",
            f"You raised this request by phone: {asked}",
        ):
            assert words in text, words
        assert re.search(rf"We first replied at {WHEN}\.", text), text
        for secret in (note, "legacy template", "Priya", "second line", "escalat", "p2"):
            assert secret not in page.text, secret
        assert not ISO_INSTANT.search(text)
        assert '<label for="body">' in page.text  # the reply box

        # Another account's reference: the same page as one that does not exist.
        unknown = await http.get("/portal/tickets/T-0000-0000")
        other = await http.get(f"/portal/tickets/{theirs}")
        assert unknown.status_code == other.status_code == 404
        assert unknown.text == other.text and theirs not in other.text
        assert "We could not find that" in other.text
        # And acting on it changes nothing.
        poked = await http.post(f"/portal/tickets/{theirs}/reply", data={"body": "Hello?"})
        assert poked.status_code == 404 and poked.text == unknown.text
        for action in ("close", "not-fixed"):
            assert (await http.post(f"/portal/tickets/{theirs}/{action}")).status_code == 404
        events = (await _detail(live, theirs))["events"]
        assert not [e for e in events if e["kind"] == "response"]


async def test_a_reply_resumes_a_ticket_waiting_on_the_customer(live: Live, inbox: Inbox) -> None:
    account = await live.account("e-shot")
    jordan = await live.contact(account["id"], name="Jordan Reed", portal_access=True)
    async with signed_in(live, inbox, jordan["email"]) as http:
        ref = await _open(live, account, jordan)
        ask = "Which campaign is it, and when was it sent?"
        assert (await _act(live, ref, "wait", {"message": ask}))["status"] == "waiting"

        page = await http.get(f"/portal/tickets/{ref}")
        text = _text(page)
        assert "What we need from you" in text and ask in text
        assert "Waiting for your answer" in text
        assert "the clock on our target times is paused" in text

        empty = await http.post(f"/portal/tickets/{ref}/reply", data={"body": "  \n "})
        assert empty.status_code == 422 and "Write your reply" in _text(empty)
        assert (await _detail(live, ref))["status"] == "waiting"

        answer = "The Spring sale campaign, sent on Monday."
        sent = await http.post(f"/portal/tickets/{ref}/reply", data={"body": answer})
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/portal/tickets/{ref}?done=resumed#news"
        detail = await _detail(live, ref)
        assert detail["status"] == "open"
        assert detail["clocks"]["resolution"]["state"] == "running"
        replies = [e for e in detail["events"] if e["kind"] == "response"]
        assert replies[-1]["data"] == {"author": "customer", "body": answer}
        assert replies[-1]["actor"] == "Jordan Reed"
        assert detail["events"][-1]["kind"] == "resumed"

        after = _text(await http.get(sent.headers["location"]))
        assert "we have your answer and are working on your request again" in after
        assert "You wrote: " + answer in after and "What we need from you" not in after


async def test_on_essensys_a_representative_s_agreement_closes_it_and_no_one_else_s(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account("essensys", edition="enterprise")
    robin = await live.contact(account["id"], name="Robin Representative", is_representative=True)
    pat = await live.contact(account["id"], name="Pat Colleague", portal_access=True)
    async with (
        signed_in(live, inbox, robin["email"]) as robin_http,
        signed_in(live, inbox, pat["email"]) as pat_http,
    ):
        ref = await _open(live, account, robin, priority="p3")
        await _act(live, ref, "resolve")

        seen = await pat_http.get(f"/portal/tickets/{ref}")
        text = _text(seen)
        assert "Is it fixed?" in text and "Raised by Robin Representative" in text
        assert "only when an authorised representative" in text and "Robin Representative." in text
        assert "It is fixed, close it" not in text
        refused = await pat_http.post(f"/portal/tickets/{ref}/close")
        assert refused.status_code == 403
        assert "Only an authorised representative" in _text(refused)
        assert "Robin Representative" in _text(refused)
        assert (await _detail(live, ref))["status"] == "resolved"

        offered = _text(await robin_http.get(f"/portal/tickets/{ref}"))
        assert "It is fixed, close it" in offered and "as an authorised representative" in offered
        agreed = await robin_http.post(f"/portal/tickets/{ref}/close")
        assert agreed.status_code == 303, agreed.text
        detail = await _detail(live, ref)
        assert detail["status"] == "closed"
        [closed] = [e for e in detail["events"] if e["kind"] == "closed"]
        assert closed["data"]["representative"] == "Robin Representative"
        assert closed["actor"] == "Robin Representative"

        closed_page = await robin_http.get(f"/portal/tickets/{ref}")
        mine = _text(closed_page)
        assert "We closed your request with your agreement." in mine
        assert "This request is closed" in mine
        # No reply box once closed (the one box left is "How did we do?", asked at the
        # resolution, which Robin, who raised it, may still answer once).
        assert 'id="body"' not in closed_page.text and f"{ref}/reply" not in closed_page.text
        theirs = _text(await pat_http.get(f"/portal/tickets/{ref}"))
        assert "with the agreement of Robin Representative" in theirs


async def test_not_fixed_reopens_it_until_it_is_closed(live: Live, inbox: Inbox) -> None:
    account = await live.account("e-shot")
    jordan = await live.contact(account["id"], name="Jordan Reed", portal_access=True)
    async with signed_in(live, inbox, jordan["email"]) as http:
        ref = await _open(live, account, jordan)
        # Not resolved yet: nothing to agree to or reopen.
        early = await http.post(f"/portal/tickets/{ref}/close")
        assert early.status_code == 409 and "not resolved yet" in _text(early)
        await _act(live, ref, "resolve")

        page = _text(await http.get(f"/portal/tickets/{ref}"))
        assert "It is fixed, close it" in page and "It is not fixed" in page
        empty = await http.post(f"/portal/tickets/{ref}/not-fixed", data={"what": " "})
        assert empty.status_code == 422 and "Tell us what is still wrong" in _text(empty)
        assert (await _detail(live, ref))["status"] == "resolved"

        still = "The images are still missing in Outlook 2019."
        reopened = await http.post(f"/portal/tickets/{ref}/not-fixed", data={"what": still})
        assert reopened.status_code == 303, reopened.text
        detail = await _detail(live, ref)
        assert detail["status"] == "open" and detail["clocks"]["resolution"]["state"] != "met"
        kinds = [e["kind"] for e in detail["events"]]
        assert kinds[-2:] == ["reopened", "response"]
        assert detail["events"][-1]["data"] == {"author": "customer", "body": still}
        assert reopened.headers["location"] == f"/portal/tickets/{ref}?done=reopened#news"
        after = _text(await http.get(reopened.headers["location"]))
        assert "We have reopened your request" in after and "You wrote: " + still in after

        # Resolved again, the customer agrees it is fixed (e-shot needs no representative).
        await _act(live, ref, "resolve")
        assert (await http.post(f"/portal/tickets/{ref}/close")).status_code == 303
        detail = await _detail(live, ref)
        assert detail["status"] == "closed"
        assert detail["events"][-1]["data"]["representative"] == "Jordan Reed"
        # Closed: no reopening, and the page says what to do instead.
        late = await http.post(f"/portal/tickets/{ref}/not-fixed", data={"what": still})
        assert late.status_code == 409
        assert "closed, so it can no longer be reopened" in _text(late)
        assert f"raise a new request and mention {ref}" in _text(late)
        assert (await _detail(live, ref))["status"] == "closed"


async def test_mails_link_portal_users_to_the_portal_and_others_to_their_tracking_page(
    live: Live, inbox: Inbox, settings: Settings
) -> None:
    account = await live.account("e-shot")
    jordan = await live.contact(account["id"], name="Jordan Reed", portal_access=True)
    casey = await live.contact(account["id"], name="Casey Contact", portal_access=False)
    mine = await _open(live, account, jordan)
    theirs = await _open(live, account, casey)
    await _act(live, mine, "responses", {"body": "We are on it."})
    await _act(live, theirs, "responses", {"body": "We are on it."})
    got = await mails(inbox, jordan["email"], mine, 2) + await mails(
        inbox, casey["email"], theirs, 2
    )
    portal = re.compile(r"https?://\S+/portal/tickets/\S+")
    track = re.compile(r"https?://\S+/track/\S+")
    for message in got[:2]:
        text = mail_text(message)
        assert portal.findall(text) == [f"{settings.effective_public_url}/portal/tickets/{mine}"]
        assert not track.search(text) and "support portal" in text
    for message in got[2:]:
        text = mail_text(message)
        assert not portal.search(text) and len(track.findall(text)) == 1, text
    tracked = urlsplit(track.search(mail_text(got[-1])).group(0))  # type: ignore[union-attr]

    # Opening the portal link before signing in comes back to it after.
    http = httpx.AsyncClient(transport=live.http._transport, base_url=str(live.http.base_url))
    async with http:
        first = await http.get(f"/portal/tickets/{mine}")
        assert first.status_code == 303
        assert first.headers["location"] == f"/portal/login?next=/portal/tickets/{mine}"
        before = len(inbox.to(jordan["email"]))
        asked = await http.post(
            "/portal/login", data={"email": jordan["email"], "next": f"/portal/tickets/{mine}"}
        )
        assert asked.status_code == 200
        [link] = await inbox.wait_for(
            lambda m: jordan["email"] in m["X-Envelope-To"] and "/portal/link/" in mail_text(m)
        )
        assert len(inbox.to(jordan["email"])) > before
        pressed = await http.post(f"/portal/link/{link_token(link)}")
        assert pressed.headers["location"] == f"/portal/tickets/{mine}"
        assert (await http.get(f"/portal/tickets/{mine}")).status_code == 200

    # The tracking page tells a reader with portal access where to sign in.
    page = await live.http.get(f"{tracked.path}?{tracked.query}")
    assert page.status_code == 200
    assert f'href="/portal/login?next=/portal/tickets/{theirs}"' in page.text
    assert "support portal" in _text(page)


async def _attach(live: Live, reference: str, name: str, data: bytes, public: bool) -> str:
    answer = await live.http.post(
        f"/tickets/{reference}/attachments",
        files=[("file", (name, data, "application/octet-stream"))],
        data={"public": "true" if public else "false"},
        headers=live.as_("agent"),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()[0]["id"])


async def test_files_go_both_ways_and_the_internal_ones_never_reach_the_customer(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account("e-shot")
    jordan = await live.contact(account["id"], name="Jordan Reed", portal_access=True)
    other_account = await live.account("e-shot")
    async with signed_in(live, inbox, jordan["email"]) as http:
        ref = await _open(live, account, jordan)
        theirs = await _open(live, other_account, None)
        await _act(live, ref, "wait", {"message": "Please send us a screenshot."})
        shown = await _attach(live, ref, "fix-steps.pdf", files.pdf("Steps"), public=True)
        hidden = await _attach(live, ref, "legacy-notes.pdf", files.pdf("Internal"), public=False)
        elsewhere = await _attach(live, theirs, "their.pdf", files.pdf("Theirs"), public=True)

        page = await http.get(f"/portal/tickets/{ref}")
        assert "fix-steps.pdf" in page.text and "We sent you fix-steps.pdf." in _text(page)
        assert f'href="/portal/tickets/{ref}/attachments/{shown}"' in page.text
        assert "legacy-notes.pdf" not in page.text and hidden not in page.text
        assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
        download = await http.get(f"/portal/tickets/{ref}/attachments/{shown}")
        assert download.status_code == 200 and download.content == files.pdf("Steps")
        assert download.headers["content-disposition"].startswith("attachment;")
        # Internal, another account's, or none at all: the one 404 page.
        unknown = await http.get(f"/portal/tickets/{ref}/attachments/{'0' * 32}")
        assert unknown.status_code == 404 and "We could not find that" in unknown.text
        for path in (f"{ref}/attachments/{hidden}", f"{theirs}/attachments/{elsewhere}",
                     f"{ref}/attachments/{elsewhere}"):  # fmt: skip
            answer = await http.get(f"/portal/tickets/{path}")
            assert (answer.status_code, answer.text) == (404, unknown.text), path

        # A file of a type not taken: refused beside the field, the reply not sent, the words
        # kept; the ticket still waits.
        words = "Here is the screenshot you asked for."
        refused = await http.post(
            f"/portal/tickets/{ref}/reply",
            data={"body": words},
            files=[("file", ("setup.exe", files.exe(), "application/octet-stream"))],
        )
        assert refused.status_code == 422, refused.text
        assert 'id="reply-files-error"' in refused.text and "setup.exe" in _text(refused)
        assert words in refused.text
        assert (await _detail(live, ref))["status"] == "waiting"

        # A screenshot with the answer: both recorded, and the ticket carries on.
        sent = await http.post(
            f"/portal/tickets/{ref}/reply",
            data={"body": words},
            files=[("file", ("screenshot.png", files.png(), "image/png"))],
        )
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"].endswith("?done=resumed#news")
        detail = await _detail(live, ref)
        assert detail["status"] == "open"
        [mine] = [e for e in detail["events"] if e["data"].get("filename") == "screenshot.png"]
        assert mine["kind"] == "attached" and mine["data"]["author"] == "customer"
        after = await http.get(f"/portal/tickets/{ref}")
        assert "You sent us screenshot.png." in _text(after) and "You wrote: " + words in _text(
            after
        )
        link = re.search(
            rf'href="(/portal/tickets/{ref}/attachments/\w+)"[^>]*>screenshot.png', after.text
        )
        assert link, after.text
        assert (await http.get(link.group(1))).content == files.png()

        # A file alone, without words, is fine too; while we wait on them it answers us.
        await _act(live, ref, "wait", {"message": "And the campaign's PDF proof, please."})
        proof = await http.post(
            f"/portal/tickets/{ref}/reply",
            files=[("file", ("proof.pdf", files.pdf("Proof"), "application/pdf"))],
        )
        assert proof.headers["location"].endswith("?done=resumed#news")
        detail = await _detail(live, ref)
        assert detail["status"] == "open"
        assert detail["events"][-2]["data"]["body"] == "Files sent: proof.pdf."
        alone = await http.post(
            f"/portal/tickets/{ref}/reply",
            files=[("file", ("more.pdf", files.pdf("More"), "application/pdf"))],
        )
        assert alone.status_code == 303 and alone.headers["location"].endswith(
            "?done=attached#news"
        )
        nothing = await http.post(
            f"/portal/tickets/{ref}/reply", files=[("file", ("", b"", "application/octet-stream"))]
        )
        assert nothing.status_code == 422 and "Write your reply, or choose a file" in _text(nothing)
