"""Letters as complainants get them, end to end: signed by the person behind the key, and for
someone with only a postal address, sent to the handler to print and post."""

from __future__ import annotations

import io
import secrets
from datetime import datetime, timedelta

from pypdf import PdfReader

from tests.api.conftest import Live
from tests.conftest import Inbox
from tests.reports.letter_pdfs import DL_WINDOW, first_page_runs


def words(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


async def handler_key(live: Live, **person: str) -> tuple[int, dict[str, str]]:
    created = await live.http.post(
        "/keys",
        json={"name": f"laptop {secrets.token_hex(2)}", "role": "complaints_handler", **person},
        headers=live.as_("admin"),
    )
    assert created.status_code == 201, created.text
    return created.json()["id"], {"Authorization": f"Bearer {created.json()['secret']}"}


async def test_a_key_names_the_person_who_signs_and_they_can_change_it(live: Live) -> None:
    key_id, headers = await handler_key(live, full_name="Priya Shah")
    me = (await live.http.get("/me", headers=headers)).json()
    assert (me["full_name"], me["job_title"]) == ("Priya Shah", None)

    titled = await live.http.patch(
        "/me", json={"job_title": "Customer Relations Manager"}, headers=headers
    )
    assert titled.status_code == 200, titled.text
    assert (titled.json()["full_name"], titled.json()["job_title"]) == (
        "Priya Shah",
        "Customer Relations Manager",
    )
    renamed = await live.http.patch(
        f"/keys/{key_id}", json={"full_name": "Priya Shah-Jones"}, headers=live.as_("admin")
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["job_title"] == "Customer Relations Manager"  # untouched
    listed = (await live.http.get("/keys", headers=live.as_("admin"))).json()
    [mine] = [k for k in listed if k["id"] == key_id]
    assert (mine["full_name"], mine["job_title"]) == (
        "Priya Shah-Jones",
        "Customer Relations Manager",
    )

    blank = await live.http.patch("/me", json={"full_name": ""}, headers=headers)
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "body.full_name"
    others = await live.http.patch(f"/keys/{key_id}", json={}, headers=headers)
    assert others.status_code == 403  # only an admin names other keys
    missing = await live.http.patch(
        "/keys/999999", json={"full_name": "x"}, headers=live.as_("admin")
    )
    assert missing.status_code == 404


async def test_the_letter_is_signed_by_the_handler_who_sent_it(live: Live, inbox: Inbox) -> None:
    _, headers = await handler_key(live, full_name="Priya Shah", job_title="Complaints Officer")
    complainant = f"jo-{secrets.token_hex(3)}@example.com"
    logged = await live.http.post(
        "/complaints",
        json={
            "complainant": {"name": "Jo Bloggs", "email": complainant},
            "summary": "Charged twice",
            "channel": "email",
        },
        headers=headers,
    )
    assert logged.status_code == 201, logged.text
    complaint = logged.json()
    # Logged by a key that names a person, the complaint is theirs.
    assert complaint["handler"] == {
        "name": "Priya Shah",
        "email": None,
        "job_title": "Complaints Officer",
    }
    reference = complaint["reference"]
    acknowledged = await live.http.post(f"/complaints/{reference}/acknowledge", headers=headers)
    assert acknowledged.status_code == 200, acknowledged.text

    [mail] = await inbox.wait_for(lambda m: m["To"] == complainant and reference in m["Subject"])
    [attachment] = list(mail.iter_attachments())
    letter = words(attachment.get_content())
    assert "Yours sincerely, Priya Shah Complaints Officer e-shot" in letter
    assert "laptop" not in letter  # never the key's name
    detail = (await live.http.get(f"/complaints/{reference}", headers=headers)).json()
    assert [(x["kind"], x["delivery"]) for x in detail["letters"]] == [("acknowledgement", "email")]

    # Given to someone else, they sign what goes out from then on.
    await live.http.post(
        f"/complaints/{reference}/assign",
        json={"name": "Sam Patel", "email": "sam@pledge.example.com", "job_title": "Team Lead"},
        headers=headers,
    )
    replied = await live.http.post(
        f"/complaints/{reference}/reply", json={"body": "We have refunded you."}, headers=headers
    )
    assert replied.status_code == 200, replied.text
    [reply] = await inbox.wait_for(
        lambda m: m["To"] == complainant and "Our reply" in str(m["Subject"])
    )
    [attachment] = list(reply.iter_attachments())
    assert "Yours sincerely, Sam Patel Team Lead e-shot" in words(attachment.get_content())


async def test_a_key_that_names_no_one_leaves_the_team_to_sign(live: Live, inbox: Inbox) -> None:
    complainant = f"al-{secrets.token_hex(3)}@example.com"
    complaint = (await live.complain(complainant={"name": "Al Green", "email": complainant})).json()
    assert complaint["handler"] is None
    reference = complaint["reference"]
    handler = live.as_("complaints_handler")
    await live.http.post(f"/complaints/{reference}/acknowledge", headers=handler)
    [mail] = await inbox.wait_for(lambda m: m["To"] == complainant and reference in m["Subject"])
    [attachment] = list(mail.iter_attachments())
    letter = words(attachment.get_content())
    assert "Yours sincerely, Complaints team e-shot" in letter
    assert "complaints_handler" not in letter


async def test_a_complaint_by_post_is_logged_and_its_letters_go_to_be_posted(
    live: Live, inbox: Inbox
) -> None:
    _, headers = await handler_key(live, full_name="Priya Shah", job_title="Complaints Officer")
    handler_mail = f"priya-{secrets.token_hex(3)}@pledge.example.com"
    logged = await live.http.post(
        "/complaints",
        json={
            "complainant": {
                "name": "Edith Clarke",
                "postal_address": "7 Church Row\nHebden Bridge\nHX7 8AA",
            },
            "summary": "My letter about the bill was ignored",
            "channel": "letter",
            "handler": {"name": "Priya Shah", "email": handler_mail, "job_title": "Officer"},
        },
        headers=headers,
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["complainant"]["email"] is None
    reference = logged.json()["reference"]

    acknowledged = await live.http.post(f"/complaints/{reference}/acknowledge", headers=headers)
    assert acknowledged.status_code == 200, acknowledged.text
    [mail] = await inbox.wait_for(lambda m: handler_mail in m["X-Envelope-To"])
    assert str(mail["Subject"]) == (
        f"[{reference}] Please print and post: acknowledgement to Edith Clarke"
    )
    body = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "Please print and post this letter to Edith Clarke" in body
    assert "Edith Clarke\n7 Church Row\nHebden Bridge\nHX7 8AA" in body
    assert "DL envelope" in body
    [attachment] = list(mail.iter_attachments())
    pdf = attachment.get_content()
    assert "Yours sincerely, Priya Shah Officer e-shot" in words(pdf)
    left, top, right, bottom = DL_WINDOW
    shown = [
        r.text
        for r in first_page_runs(pdf)
        if left <= r.left_mm <= right and top <= r.top_mm <= bottom
    ]
    assert shown == ["Edith Clarke", "7 Church Row", "Hebden Bridge", "HX7 8AA"]
    # Nothing went to a complainant's mailbox, and the letter says how it went.
    assert [m for m in inbox.messages if reference in str(m["Subject"])] == [mail]
    detail = (await live.http.get(f"/complaints/{reference}", headers=headers)).json()
    assert [(x["kind"], x["delivery"]) for x in detail["letters"]] == [("acknowledgement", "post")]
    assert acknowledged.json()["letters"][0]["delivery"] == "post"


async def test_a_complainant_needs_some_address(live: Live) -> None:
    refused = await live.complain(complainant={"name": "Nobody"})
    assert refused.status_code == 422
    assert "e-mail address or a postal address" in refused.text
    too_long = await live.complain(
        complainant={"name": "Long", "postal_address": "\n".join(f"line {i}" for i in range(8))}
    )
    assert too_long.status_code == 422
    assert "at most 6 lines" in too_long.text


async def test_the_fca_eight_week_letter_leaves_the_deadline(live: Live, inbox: Inbox) -> None:
    complainant = f"fi-{secrets.token_hex(3)}@example.com"
    complaint = (
        await live.complain(regime="fca", complainant={"name": "Fi Nance", "email": complainant})
    ).json()
    reference, handler = complaint["reference"], live.as_("complaints_handler")
    eight_weeks = datetime.fromisoformat(complaint["reply_due"])
    expected = (eight_weeks + timedelta(days=14)).date()
    held = await live.http.post(
        f"/complaints/{reference}/extend",
        json={"reason": "We are waiting for the insurer", "new_reply_by": expected.isoformat()},
        headers=handler,
    )
    assert held.status_code == 200, held.text
    assert datetime.fromisoformat(held.json()["reply_due"]) == eight_weeks
    [mail] = await inbox.wait_for(lambda m: m["To"] == complainant and reference in m["Subject"])
    [attachment] = list(mail.iter_attachments())
    letter = words(attachment.get_content())
    assert f"our final response by {expected:%A} {expected.day} {expected:%B %Y}" in letter
    assert "Financial Ombudsman Service" in letter and "financial-ombudsman.org.uk" in letter
