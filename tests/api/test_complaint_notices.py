"""What the complaints manager is told of a missed deadline reads as a person would say it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from tests.api.conftest import Live
from tests.conftest import Inbox


async def test_a_missed_deadline_names_the_procedure_and_the_day(live: Live, inbox: Inbox) -> None:
    complainant = f"kwame-{secrets.token_hex(3)}@example.com"
    received = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    logged = await live.complain(
        complainant={"name": "Kwame Mensah", "email": complainant},
        regime="housing-stage-1",
        received_at=received,
    )
    assert logged.status_code == 201, logged.text
    reference = logged.json()["reference"]
    [mail] = await inbox.wait_for(
        lambda m: (
            "complaints-manager@pledge.example.com" in m["X-Envelope-To"]
            and f"[{reference}] Deadline missed: acknowledgement" == str(m["Subject"])
        )
    )
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Procedure: Housing Ombudsman Complaint Handling Code, stage 1" in body
    assert "housing-stage-1" not in body  # the regime's key is not a word people use
    assert "by the end of " in body and "23:59" not in body


async def test_the_handler_signs_the_mail_that_carries_their_letter(
    live: Live, inbox: Inbox
) -> None:
    complainant = f"ruth-{secrets.token_hex(3)}@example.com"
    logged = await live.complain(
        complainant={"name": "Ruth Ellis", "email": complainant},
        handler={"name": "Hana Handler", "job_title": "Complaints Officer"},
    )
    assert logged.status_code == 201, logged.text
    reference = logged.json()["reference"]
    handler = live.as_("complaints_handler")
    acknowledged = await live.http.post(f"/complaints/{reference}/acknowledge", headers=handler)
    assert acknowledged.status_code == 200, acknowledged.text
    [mail] = await inbox.wait_for(lambda m: m["To"] == complainant)
    body = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert body.endswith("\n\nHana Handler\nComplaints Officer\ne-shot\n"), body
    assert "Complaints team" not in body
