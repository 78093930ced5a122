"""Moving open tickets to a version from the console: the preview page says what would move
and by how much, the confirmation does it, and a version in use is kept with the reason beside
its button. HTTP -> services -> Temporal dev server -> worker -> database, on a copy of the web
agency's policy saved under a key of the test's own."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from tests.api.conftest import Live, live  # noqa: F401 (the fixture)
from tests.web.test_policy_pages import FORM, fields_of, text_of

__all__ = ["live"]


async def test_the_move_preview_says_what_moves_and_the_confirmation_does_it(live: Live) -> None:
    admin = live.as_("admin")
    body = (await live.http.get("/policies/web-agency", headers=admin)).json()
    key = f"agency-{secrets.token_hex(3)}"
    made = await live.http.post("/policies", json={**body, "key": key}, headers=admin)
    assert made.status_code == 201, made.text
    account = await live.account(key)
    opened = await live.open(account_id=account["id"], priority="mission-critical")
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert ticket["policy_version"] == 1

    # Version 2 from the edit form: mission critical resolved within 6 hours, not 4.
    form = fields_of((await live.http.get(f"/console/policies/{key}/edit", headers=admin)).text)
    assert form["priorities.mission-critical.targets.resolution.amount"] == "4"
    form["priorities.mission-critical.targets.resolution.amount"] = "6"
    form["action"] = "save"
    saved = await live.http.post(f"/console/policies/{key}/edit", data=form, headers=admin | FORM)
    assert saved.status_code == 303, saved.text[:2000]
    page = text_of((await live.http.get(f"/console/policies/{key}", headers=admin)).text)
    assert "1 on version 1" in page and "Move open tickets to version 2" in page

    # Asked: nothing changes yet.
    agent = live.as_("agent")
    assert (
        await live.http.get(f"/console/policies/{key}/versions/2/move", headers=agent)
    ).status_code == 403
    asked = await live.http.get(f"/console/policies/{key}/versions/2/move", headers=admin)
    assert asked.status_code == 200, asked.text[:2000]
    preview = text_of(asked.text)
    assert "1 ticket would move, and 1 deadline would change, each 2 hours later" in preview
    assert ticket["reference"] in preview and "Resolution" in preview
    assert "Move 1 ticket to version 2" in preview
    still = (await live.http.get(f"/tickets/{ticket['reference']}", headers=agent)).json()
    assert still["policy_version"] == 1 and still["resolution_due"] == ticket["resolution_due"]

    done = await live.http.post(f"/console/policies/{key}/versions/2/move", headers=admin)
    assert done.status_code == 200, done.text[:2000]
    assert "1 ticket now runs under version 2" in text_of(done.text)
    moved = (await live.http.get(f"/tickets/{ticket['reference']}", headers=agent)).json()
    assert moved["policy_version"] == 2
    received = datetime.fromisoformat(ticket["received_at"])
    assert datetime.fromisoformat(moved["resolution_due"]) - received == timedelta(hours=6)
    assert any(e["kind"] == "terms_moved" for e in moved["events"])

    # Version 2 carries the ticket: kept, with the reason beside its button. Version 1 now
    # carries nothing, and can go.
    kept = await live.http.post(f"/console/policies/{key}/versions/2/delete", headers=admin)
    assert kept.status_code == 409
    beside = re.search(r'id="delete-2-error"[^>]*>(.*?)</p>', kept.text, re.S)
    assert beside is not None and "1 ticket run under it" in text_of("<body>" + beside.group(1))
    gone = await live.http.post(f"/console/policies/{key}/versions/1/delete", headers=admin)
    assert gone.status_code == 303
    versions = (await live.http.get(f"/policies/{key}/versions", headers=admin)).json()
    assert [v["version"] for v in versions] == [2]
