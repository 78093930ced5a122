"""A ticket keeps the version of its policy; an admin moves open tickets to a new one.

HTTP -> Temporal dev server -> worker -> database -> HTTP, on a copy of the web agency's
policy (saved under a key of the test's own, so no other test's tickets see its versions).
"""

from __future__ import annotations

import copy
import secrets
from datetime import UTC, datetime, timedelta

from tests.api.conftest import Live
from tests.conftest import Inbox


async def _policy_copy(live: Live) -> str:
    """A new policy copied from web-agency's; its key."""
    admin = live.as_("admin")
    body = (await live.http.get("/policies/web-agency", headers=admin)).json()
    key = f"agency-{secrets.token_hex(3)}"
    made = await live.http.post("/policies", json={**body, "key": key}, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 1
    return key


async def _new_version(live: Live, key: str, resolution_hours: int) -> dict:
    admin = live.as_("admin")
    body = copy.deepcopy((await live.http.get(f"/policies/{key}", headers=admin)).json())
    body["priorities"]["mission-critical"]["targets"]["resolution"]["amount"] = resolution_hours
    saved = await live.http.put(f"/policies/{key}", json=body, headers=admin)
    assert saved.status_code == 200, saved.text
    return saved.json()


async def _ticket(live: Live, reference: str) -> dict:
    response = await live.http.get(f"/tickets/{reference}", headers=live.as_("agent"))
    assert response.status_code == 200, response.text
    return response.json()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_a_ticket_keeps_its_version_and_a_move_does_what_its_preview_said(
    live: Live,
) -> None:
    key = await _policy_copy(live)
    account = await live.account(key)
    assert account["policy"] == key
    first = await live.open(account_id=account["id"], priority="mission-critical")
    assert first.status_code == 201, first.text
    old = first.json()
    assert old["policy"] == key and old["policy_version"] == 1
    assert _at(old["resolution_due"]) - _at(old["received_at"]) == timedelta(hours=4)

    saved = await _new_version(live, key, resolution_hours=6)
    assert saved["version"] == 2
    new = (await live.open(account_id=account["id"], priority="mission-critical")).json()
    assert new["policy_version"] == 2
    assert _at(new["resolution_due"]) - _at(new["received_at"]) == timedelta(hours=6)
    # Saving version 2 moved nothing already open.
    kept = await _ticket(live, old["reference"])
    assert kept["policy_version"] == 1 and kept["resolution_due"] == old["resolution_due"]

    admin = live.as_("admin")
    refused = await live.http.post(
        f"/policies/{key}/move", json={"to_version": 2}, headers=live.as_("agent")
    )
    assert refused.status_code == 403
    asked = await live.http.post(f"/policies/{key}/move", json={"to_version": 2}, headers=admin)
    assert asked.status_code == 200, asked.text
    preview = asked.json()
    assert preview["confirmed"] is False
    assert [m["reference"] for m in preview["moves"]] == [old["reference"]]
    assert preview["tickets"] == 1 and preview["deadlines_moving"] == 1
    (change,) = preview["moves"][0]["changes"]
    assert change["clock"] == "resolution" and change["shift_seconds"] == 2 * 3600
    assert preview["earliest_shift_seconds"] == preview["latest_shift_seconds"] == 7200
    # Asking changed nothing.
    assert (await _ticket(live, old["reference"]))["policy_version"] == 1

    done = await live.http.post(
        f"/policies/{key}/move", json={"to_version": 2, "confirm": True}, headers=admin
    )
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["confirmed"] is True
    assert {k: v for k, v in result.items() if k != "confirmed"} == {
        k: v for k, v in preview.items() if k != "confirmed"
    }
    moved = await _ticket(live, old["reference"])
    assert moved["policy_version"] == 2
    assert moved["resolution_due"] == change["after"]
    assert _at(moved["resolution_due"]) - _at(old["received_at"]) == timedelta(hours=6)
    assert moved["first_response_due"] == old["first_response_due"]
    line = [e for e in moved["events"] if e["kind"] == "terms_moved"]
    assert len(line) == 1 and "version 1 to version 2" in line[0]["summary"]
    assert line[0]["data"]["after"]["resolution"] == change["after"]

    # Nothing is left to move; moving again is a preview of nothing.
    again = await live.http.post(
        f"/policies/{key}/move", json={"to_version": 2, "confirm": True}, headers=admin
    )
    assert again.json()["tickets"] == 0 and again.json()["moves"] == []


async def test_a_version_in_use_is_kept_and_an_unused_one_can_go(live: Live) -> None:
    key = await _policy_copy(live)
    admin = live.as_("admin")
    account = await live.account(key)
    opened = (await live.open(account_id=account["id"], priority="bug-fix")).json()
    assert opened["policy_version"] == 1
    await _new_version(live, key, resolution_hours=5)
    await _new_version(live, key, resolution_hours=7)

    in_use = await live.http.delete(f"/policies/{key}/versions/1", headers=admin)
    assert in_use.status_code == 409
    assert "1 ticket run under it" in in_use.json()["detail"]
    newest = await live.http.delete(f"/policies/{key}/versions/3", headers=admin)
    assert newest.status_code == 409 and "account" in newest.json()["detail"]
    assert (
        await live.http.delete(f"/policies/{key}/versions/2", headers=live.as_("agent"))
    ).status_code == 403
    gone = await live.http.delete(f"/policies/{key}/versions/2", headers=admin)
    assert gone.status_code == 204, gone.text
    versions = (await live.http.get(f"/policies/{key}/versions", headers=admin)).json()
    assert [v["version"] for v in versions] == [1, 3]
    missing = await live.http.get(f"/policies/{key}/versions/2", headers=admin)
    assert missing.status_code == 404
    assert "has no version 2 (it has versions 1 and 3)" in missing.json()["detail"]
    huge = await live.http.post(f"/policies/{key}/move", json={"to_version": 10**22}, headers=admin)
    assert huge.status_code == 422 and huge.json()["errors"][0]["field"] == "body.to_version"
    assert (await live.http.get(f"/policies/{key}/versions/2", headers=admin)).status_code == 404
    shipped = await live.http.delete("/policies/web-agency/versions/1", headers=admin)
    assert shipped.status_code == 409 and "ships with" in shipped.json()["detail"]
    # The ticket still runs, on version 1.
    assert (await _ticket(live, opened["reference"]))["policy_version"] == 1


async def test_a_complaint_keeps_the_version_of_its_regime(live: Live) -> None:
    admin = live.as_("admin")
    standard = (await live.http.get("/regimes/standard", headers=admin)).json()
    key = f"quick-{secrets.token_hex(3)}"
    made = await live.http.post(
        "/regimes",
        json={**standard, "key": key, "reply": {**standard["reply"], "amount": 15}},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    received = "2026-11-02T10:00:00+00:00"  # a Monday, no bank holiday near
    usual = (await live.complain(received_at=received)).json()
    first = await live.complain(received_at=received, regime=key)
    assert first.status_code == 201, first.text
    quick = first.json()
    assert quick["regime"] == key and quick["regime_version"] == 1
    assert usual["regime_version"] == 1
    # 15 working days where the standard regime gives 20: one working week sooner.
    assert _at(usual["reply_due"]) - _at(quick["reply_due"]) == timedelta(days=7)

    body = (await live.http.get(f"/regimes/{key}", headers=admin)).json()
    body["reply"]["amount"] = 10
    assert (await live.http.put(f"/regimes/{key}", json=body, headers=admin)).status_code == 200
    quicker = (await live.complain(received_at=received, regime=key)).json()
    assert quicker["regime_version"] == 2
    assert _at(quick["reply_due"]) - _at(quicker["reply_due"]) == timedelta(days=7)
    kept = await live.http.get(
        f"/complaints/{quick['reference']}", headers=live.as_("complaints_handler")
    )
    assert kept.json()["regime_version"] == 1
    assert kept.json()["reply_due"] == quick["reply_due"]
    in_use = await live.http.delete(f"/regimes/{key}/versions/1", headers=admin)
    assert in_use.status_code == 409 and "1 complaint run under it" in in_use.json()["detail"]


async def test_a_breach_reaches_the_escalation_contact_a_contract_names(
    live: Live, inbox: Inbox
) -> None:
    director = f"dana-{secrets.token_hex(3)}@agency.example.com"
    account = await live.account(
        "e-shot", escalation_name="Dana Director", escalation_email=director
    )
    assert (account["escalation_name"], account["escalation_email"]) == ("Dana Director", director)
    received = (datetime.now(UTC) - timedelta(days=20)).isoformat()
    opened = await live.open(account_id=account["id"], priority="p1", received_at=received)
    assert opened.status_code == 201, opened.text
    assert opened.json()["breached"] is True
    mail = await inbox.wait_for(lambda m: m["To"] == director, timeout=30)
    assert opened.json()["reference"] in str(mail[0]["Subject"])

    nameless = await live.http.post(
        "/accounts",
        json={"name": f"No address {secrets.token_hex(3)}", "policy": "e-shot",
              "escalation_name": "Dana Director"},
        headers=live.as_("success_manager"),
    )  # fmt: skip
    assert nameless.status_code == 422
    assert nameless.json()["errors"][0]["field"] == "body.escalation_email"
    cleared = await live.http.patch(
        f"/accounts/{account['id']}",
        json={"escalation_name": None, "escalation_email": None},
        headers=live.as_("success_manager"),
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["escalation_email"] is None


async def test_a_priority_change_recomputes_under_the_tickets_own_version(live: Live) -> None:
    key = await _policy_copy(live)
    account = await live.account(key)
    opened = (await live.open(account_id=account["id"], priority="bug-fix")).json()
    await _new_version(live, key, resolution_hours=9)
    changed = await live.http.post(
        f"/tickets/{opened['reference']}/priority",
        json={"priority": "mission-critical"},
        headers=live.as_("agent"),
    )
    assert changed.status_code == 200, changed.text
    ticket = changed.json()
    assert ticket["policy_version"] == 1
    # Version 1's 4 hours, not version 2's 9, counted from receipt.
    assert _at(ticket["resolution_due"]) - _at(opened["received_at"]) == timedelta(hours=4)


async def test_an_account_moves_to_its_own_policy_and_its_open_tickets_keep_theirs(
    live: Live,
) -> None:
    key = await _policy_copy(live)
    account = await live.account("web-agency")
    before = (await live.open(account_id=account["id"], priority="mission-critical")).json()
    manager = live.as_("success_manager")
    moved = await live.http.patch(
        f"/accounts/{account['id']}", json={"policy": key}, headers=manager
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["policy"], moved.json()["calendar"]) == (key, None)
    after = (await live.open(account_id=account["id"], priority="mission-critical")).json()
    assert (after["policy"], after["policy_version"]) == (key, 1)
    assert (await _ticket(live, before["reference"]))["policy"] == "web-agency"

    for body, field in (
        ({"policy": "no-such-policy"}, "body.policy"),
        ({"calendar": "moon-base"}, "body.calendar"),
        ({"policy": None}, "body.policy"),
    ):
        refused = await live.http.patch(f"/accounts/{account['id']}", json=body, headers=manager)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
    kept = await live.http.get(f"/accounts/{account['id']}", headers=manager)
    assert kept.json()["policy"] == key


async def test_an_account_counts_in_a_calendar_kept_on_its_own(live: Live) -> None:
    admin = live.as_("admin")
    key = f"round-{secrets.token_hex(3)}"
    made = await live.http.post(
        "/calendars",
        json={
            "key": key,
            "name": "Round the clock",
            "timezone": "Europe/London",
            "hours": {"mon-sun": ["00:00-24:00"]},
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    account = await live.account("spotler", calendar=key)
    assert account["calendar"] == key
    # Saturday 10:00: Spotler's office is shut, but this account's calendar never is.
    opened = await live.open(
        account_id=account["id"], priority="high", received_at="2026-11-28T10:00:00Z"
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert (ticket["policy"], ticket["policy_version"], ticket["calendar"]) == ("spotler", 1, key)
    assert ticket["first_response_due"] == "2026-11-28T11:00:00+00:00"
    shown = await live.http.get(f"/tickets/{ticket['reference']}", headers=live.as_("agent"))
    assert shown.status_code == 200 and shown.json()["calendar"] == key
    page = await live.http.get(f"/accounts/{account['id']}", headers=admin)
    assert page.status_code == 200, page.text
    for url in (f"/console/accounts/{account['id']}", f"/console/tickets/{ticket['reference']}"):
        shown_page = await live.http.get(url, headers=admin)
        assert shown_page.status_code == 200, (url, shown_page.text[-2000:])
    console = await live.http.get(f"/console/accounts/{account['id']}", headers=admin)
    assert "Round the clock" in console.text
    in_use = await live.http.delete(f"/calendars/{key}/versions/1", headers=admin)
    assert in_use.status_code == 409, in_use.text
    assert "1 account counts in it" in in_use.json()["detail"]


async def test_a_calendar_with_holidays_no_preset_uses_counts_inside_the_workflow(
    live: Live,
) -> None:
    # A walkthrough found French or New York holidays failing the ticket's workflow: the
    # holidays package read its translations inside the sandbox.
    admin = live.as_("admin")
    body = (await live.http.get("/policies/web-agency", headers=admin)).json()
    key = f"agency-fr-{secrets.token_hex(3)}"
    body["calendars"]["office"]["holidays"] = [
        {"country": "FR"},
        {"country": "US", "subdivisions": ["NY"]},
    ]
    made = await live.http.post("/policies", json={**body, "key": key}, headers=admin)
    assert made.status_code == 201, made.text
    account = await live.account(key)
    # Thursday 12 November 2026, 16:00 Paris time: Armistice Day was the day before.
    opened = await live.open(
        account_id=account["id"], priority="bug-fix", received_at="2026-11-12T15:00:00Z"
    )
    assert opened.status_code == 201, opened.text
    # 1 working day: Friday 13 November, the same time (11 November is behind it).
    assert opened.json()["first_response_due"] == "2026-11-13T15:00:00+00:00"


async def test_a_breach_stays_one_breach_when_the_ticket_moves(live: Live) -> None:
    # A walkthrough saw a breached ticket breach again (and escalate a line) once moved.
    key = await _policy_copy(live)
    account = await live.account(key)
    received = (datetime.now(UTC) - timedelta(hours=20)).isoformat()
    opened = await live.open(
        account_id=account["id"], priority="mission-critical", received_at=received
    )
    assert opened.status_code == 201, opened.text
    before = await _ticket(live, opened.json()["reference"])
    assert before["breached"] is True
    breaches = [e for e in before["events"] if "breach" in e["kind"]]
    assert breaches
    await _new_version(live, key, resolution_hours=6)
    done = await live.http.post(
        f"/policies/{key}/move", json={"to_version": 2, "confirm": True}, headers=live.as_("admin")
    )
    assert done.status_code == 200 and done.json()["tickets"] == 1, done.text
    after = await _ticket(live, before["reference"])
    assert after["policy_version"] == 2
    assert after["line"] == before["line"]
    assert [e for e in after["events"] if "breach" in e["kind"]] == breaches
    assert after["breached"] is True
    assert after["clocks"]["resolution"]["state"] == "breached"
    assert _at(after["resolution_due"]) - _at(before["received_at"]) == timedelta(hours=6)
