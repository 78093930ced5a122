"""The policies pages through HTTP against the real app: staff read, admins save versions from
the forms (refused beside the field, nothing saved), the preview without JavaScript, and
calendars edited by hand and from an iCalendar file.

Every policy saved here is a copy under a key of the test's own: the presets are shared by
every test in the session.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from html.parser import HTMLParser

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role
from tests.conftest import bearer
from tests.web.portal_people import make_customer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def text_of(page: str) -> str:
    body = page.split("<body>", 1)[-1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


class _Fields(HTMLParser):
    """The fields a browser would send from one form (checked boxes, chosen options)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, {}
        self._select: str | None = None
        self._area: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "name" not in a and tag != "option":
            return
        if tag == "input" and a.get("type") not in ("submit", "file"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value") or "on"
            else:
                self.fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a["name"]
            self.fields.setdefault(a["name"], "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._area = a["name"]
            self.fields[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._area = None

    def handle_data(self, data: str) -> None:
        if self._area:
            self.fields[self._area] += data


def fields_of(page: str, form_id: str = "form-terms") -> dict[str, str]:
    parser = _Fields(form_id)
    parser.feed(page)
    assert parser.fields, f"no form {form_id}"
    return parser.fields


def error_beside(page: str, field: str) -> str:
    """The message shown beside the field named `field` ('' when none)."""
    field_id = "f-" + field.replace(".", "-").replace("_", "-")
    found = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


async def _copy(
    client: httpx.AsyncClient, admin: dict, source: str = "spotler"
) -> tuple[str, dict]:
    """A copy of `source` saved through the console's copy form; its key and the form sent."""
    page = await client.get(f"/console/policies/{source}/copy", headers=admin)
    assert page.status_code == 200, page.text[:500]
    form = fields_of(page.text)
    key = f"{source[:5]}-{secrets.token_hex(3)}"
    form["key"] = key
    form["action"] = "save"
    made = await client.post("/console/policies/new", data=form, headers=admin | FORM)
    assert made.status_code == 303, made.text[:3000]
    assert made.headers["location"] == f"/console/policies/{key}?done=created&v=1"
    return key, form


async def test_staff_read_the_terms_in_words_and_only_admins_change_them(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    agent = await bearer(session, Role.AGENT)
    listed = await client.get("/console/policies", headers=agent)
    assert listed.status_code == 200
    text = text_of(listed.text)
    assert "Spotler" in text and "Electric Putty" in text
    assert "Calendars" in text and "Standard complaints procedure" in text
    assert 'href="/console/policies"' in listed.text  # the nav names the section
    page = await client.get("/console/policies/spotler", headers=agent)
    assert page.status_code == 200
    text = text_of(page.text)
    for words in (
        "High",
        "within 8 working hours",
        "Monday to Friday 08:30 to 18:00",
        "Saturday and Sunday closed",
        "United Kingdom: England, Wales",
        "Resolution met for 95% of tickets",
        "re-grades High to Medium and marks it Delayed",
        "the account manager, then the customer services manager",
    ):
        assert words in text, words
    assert "Edit: save a new version" not in text and "Delete version" not in text
    putty = text_of((await client.get("/console/policies/electric-putty", headers=agent)).text)
    assert "24 December to 1 January every year" in putty
    assert (await client.get("/console/policies/spotler/edit", headers=agent)).status_code == 403
    refused = await client.post(
        "/console/policies/spotler/edit", data={"json": "{}"}, headers=agent | FORM
    )
    assert refused.status_code == 403
    assert (await client.get("/console/calendars/e-shot-support", headers=agent)).status_code == 200
    regime = await client.get("/console/regimes/standard", headers=agent)
    assert regime.status_code == 200 and "Full reply" in text_of(regime.text)
    account, _ = await make_customer(session, "e-shot")
    customer = await bearer(session, Role.CUSTOMER, account.id)
    assert (await client.get("/console/policies", headers=customer)).status_code == 403

    admin = await bearer(session, Role.ADMIN)
    text = text_of((await client.get("/console/policies/spotler", headers=admin)).text)
    assert "Edit: save a new version" in text and "Copy to a new policy" in text
    assert "Shipped with Pledge: kept" in text  # version 1 of a preset cannot be deleted


async def test_a_copy_and_its_next_version_are_saved_from_the_form(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer(session, Role.ADMIN)
    key, _ = await _copy(client, admin)
    edit = await client.get(f"/console/policies/{key}/edit", headers=admin)
    assert edit.status_code == 200
    form = fields_of(edit.text)
    assert form["priorities.high.targets.resolution.amount"] == "8"
    assert form["priorities.high.targets.resolution.unit"] == "business_hours"
    assert form["calendars.support-line.hours.fri"] == "08:30-18:00"
    form["priorities.high.name"] = "High (campaign within 24 hours)"
    form["priorities.high.targets.resolution.amount"] = "6"
    form["calendars.support-line.hours.fri"] = "08:30-12:00, 13:00-16:00"
    form["calendars.support-line.closures.0.name"] = "Stocktake"
    form["calendars.support-line.closures.0.start"] = "07-02"
    form["calendars.support-line.timezone"] = "Europe/Dublin"
    form["action"] = "save"
    saved = await client.post(f"/console/policies/{key}/edit", data=form, headers=admin | FORM)
    assert saved.status_code == 303, saved.text[:3000]
    assert saved.headers["location"] == f"/console/policies/{key}?done=saved&v=2"
    body = (await client.get(f"/policies/{key}", headers=admin)).json()
    assert body["version"] == 2
    high = body["priorities"]["high"]
    assert high["name"] == "High (campaign within 24 hours)"
    assert high["targets"]["resolution"] == {**high["targets"]["resolution"], "amount": 6}
    calendar = body["calendars"]["support-line"]
    assert calendar["hours"]["fri"] == ["08:30-12:00", "13:00-16:00"]
    assert calendar["timezone"] == "Europe/Dublin"
    assert [c["name"] for c in calendar["closures"]] == ["Stocktake"]
    page = text_of(
        (await client.get(f"/console/policies/{key}?done=saved&v=2", headers=admin)).text
    )
    assert "Saved as version 2" in page and "Friday 08:30 to 12:00, 13:00 to 16:00" in page
    # The same form again saves nothing: version 2 stands.
    again = await client.post(f"/console/policies/{key}/edit", data=form, headers=admin | FORM)
    assert again.status_code == 409  # it was read at version 1: someone (this test) saved since
    assert "version 2 is the newest" in text_of(again.text)
    versions = (await client.get(f"/policies/{key}/versions", headers=admin)).json()
    assert [v["version"] for v in versions] == [1, 2]


async def test_a_refusal_is_shown_beside_its_field_and_nothing_is_saved(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer(session, Role.ADMIN)
    key, _ = await _copy(client, admin)
    form = fields_of((await client.get(f"/console/policies/{key}/edit", headers=admin)).text)
    form["calendars.support-line.hours.mon"] = "18:00-09:00"
    form["priorities.medium.targets.resolution.amount"] = "0"
    form["calendars.support-line.holidays.0.subdivisions"] = "ENG, NARNIA"
    form["action"] = "save"
    refused = await client.post(f"/console/policies/{key}/edit", data=form, headers=admin | FORM)
    assert refused.status_code == 422
    page = refused.text
    assert "ends before it starts" in error_beside(page, "calendars.support-line.hours.mon")
    assert error_beside(page, "priorities.medium.targets.resolution.amount")
    summary = text_of(page)
    assert "Not saved" in summary and "Calendar Support Line: Monday hours" in summary
    assert 'value="18:00-09:00"' in page  # what was typed is kept
    versions = (await client.get(f"/policies/{key}/versions", headers=admin)).json()
    assert [v["version"] for v in versions] == [1]

    # A subdivision the holidays package does not know, on its own.
    form["calendars.support-line.hours.mon"] = "08:30-18:00"
    form["priorities.medium.targets.resolution.amount"] = "16"
    refused = await client.post(f"/console/policies/{key}/edit", data=form, headers=admin | FORM)
    assert refused.status_code == 422
    assert "NARNIA" in error_beside(refused.text, "calendars.support-line.holidays.0.subdivisions")

    # JSON that cannot be read is refused beside the JSON, and the fields keep what was typed.
    form["json"] = '{"key": '
    refused = await client.post(f"/console/policies/{key}/edit", data=form, headers=admin | FORM)
    assert refused.status_code == 422
    assert "This is not JSON" in error_beside(refused.text, "json")
    # A goal outside 0 to 100% has no field of its own: the JSON carries its problem.
    body = (await client.get(f"/policies/{key}", headers=admin)).json()
    body["attainment_goals"] = {"first_response": 85}

    form["json"] = json.dumps(body)
    form["calendars.support-line.holidays.0.subdivisions"] = "ENG, WLS"
    refused = await client.post(f"/console/policies/{key}/edit", data=form, headers=admin | FORM)
    assert refused.status_code == 422
    assert "attainment_goals.first_response" in error_beside(refused.text, "json")
    versions = (await client.get(f"/policies/{key}/versions", headers=admin)).json()
    assert [v["version"] for v in versions] == [1]


async def test_the_preview_shows_the_forms_deadlines_without_javascript_or_saving(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer(session, Role.ADMIN)
    key, _ = await _copy(client, admin)
    form = fields_of((await client.get(f"/console/policies/{key}/edit", headers=admin)).text)
    # High: 8 business hours from Thu 19 Nov 2026 17:00 UK time is due Fri 20 Nov 15:30.
    form.update({
        "action": "preview", "preview.received_at": "2026-11-19T17:00",
        "preview.priority": "high", "preview.calendar": "support-line",
    })  # fmt: skip
    shown = await client.post(f"/console/policies/{key}/edit", data=form, headers=admin | FORM)
    assert shown.status_code == 200
    text = text_of(shown.text)
    assert "A ticket received Thu 19 Nov 2026, 17:00" in text
    assert "Resolution within 8 working hours Fri 20 Nov 2026, 15:30" in text
    # The form as changed, unsaved: 9 working hours is due an hour later.
    form["priorities.high.targets.resolution.amount"] = "9"
    shown = await client.post(f"/console/policies/{key}/edit", data=form, headers=admin | FORM)
    assert "Resolution within 9 working hours Fri 20 Nov 2026, 16:30" in text_of(shown.text)
    assert 'value="9"' in shown.text
    # What the page's script asks for on each change: the same answer, as a fragment.
    live = await client.post("/console/policies/preview", data=form, headers=admin | FORM)
    assert live.status_code == 200 and "<html" not in live.text
    assert "Resolution within 9 working hours Fri 20 Nov 2026, 16:30" in text_of(
        "<body>" + live.text
    )
    versions = (await client.get(f"/policies/{key}/versions", headers=admin)).json()
    assert [v["version"] for v in versions] == [1]
    agent = await bearer(session, Role.AGENT)
    assert (
        await client.post("/console/policies/preview", data=form, headers=agent | FORM)
    ).status_code == 403


async def test_a_copy_needs_a_key_of_its_own(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer(session, Role.ADMIN)
    page = await client.get("/console/policies/electric-putty/copy", headers=admin)
    form = fields_of(page.text)
    form["action"] = "save"
    form["key"] = "Not A Key"
    refused = await client.post("/console/policies/new", data=form, headers=admin | FORM)
    assert refused.status_code == 422
    assert "lower-case letters" in error_beside(refused.text, "key")
    form["key"] = "spotler"
    taken = await client.post("/console/policies/new", data=form, headers=admin | FORM)
    assert taken.status_code == 409
    assert "exists already" in error_beside(taken.text, "key")


async def test_a_calendar_is_edited_by_hand_and_from_an_icalendar_file(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer(session, Role.ADMIN)
    key = f"desk-{secrets.token_hex(3)}"
    made = await client.post(
        "/calendars",
        json={"key": key, "name": "Acme US desk", "timezone": "America/New_York",
              "hours": {"mon-fri": ["08:00-17:00"]}, "holidays": [{"country": "US"}]},
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    page = await client.get(f"/console/calendars/{key}", headers=admin)
    text = text_of(page.text)
    assert "Monday to Friday 08:00 to 17:00" in text and "New York time" in text
    assert "United States (national holidays)" in text
    form = fields_of((await client.get(f"/console/calendars/{key}/edit", headers=admin)).text)
    form["hours.fri"] = "08:00-15:00"
    form["closures.0.name"] = "Stocktake"
    form["closures.0.start"] = "2026-07-02"
    form["closures.1.name"] = "Broken"
    form["closures.1.start"] = "2026-13-01"
    form["action"] = "save"
    refused = await client.post(f"/console/calendars/{key}/edit", data=form, headers=admin | FORM)
    assert refused.status_code == 422
    assert error_beside(refused.text, "closures.1.start")
    form["closures.1.name"] = form["closures.1.start"] = ""
    saved = await client.post(f"/console/calendars/{key}/edit", data=form, headers=admin | FORM)
    assert saved.status_code == 303, saved.text[:2000]
    body = (await client.get(f"/calendars/{key}", headers=admin)).json()
    assert body["version"] == 2 and body["hours"]["fri"] == ["08:00-15:00"]
    assert body["closures"][0]["start"] == body["closures"][0]["end"] == "2026-07-02"

    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Acme//EN\r\nBEGIN:VEVENT\r\n"
        "UID:1@acme.invalid\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261224\r\n"
        "DTEND;VALUE=DATE:20270102\r\nSUMMARY:Winter shutdown\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    imported = await client.post(
        f"/console/calendars/{key}/closures.ics",
        files={"file": ("acme.ics", ics.encode(), "text/calendar")},
        headers=admin,
    )
    assert imported.status_code == 303, imported.text[:2000]
    page = text_of((await client.get(imported.headers["location"], headers=admin)).text)
    assert "Winter shutdown: 24 December 2026 to 1 January 2027" in page
    timed = ics.replace("DTSTART;VALUE=DATE:20261224", "DTSTART:20261224T090000Z").replace(
        "DTEND;VALUE=DATE:20270102", "DTEND:20261224T170000Z"
    )
    refused = await client.post(
        f"/console/calendars/{key}/closures.ics",
        files={"file": ("timed.ics", timed.encode(), "text/calendar")},
        headers=admin,
    )
    assert refused.status_code == 422
    assert "is not an all-day event" in error_beside(refused.text, "ics")
    versions = (await client.get(f"/calendars/{key}/versions", headers=admin)).json()
    assert [v["version"] for v in versions] == [1, 2, 3]


async def test_a_regime_is_saved_from_its_json(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer(session, Role.ADMIN)
    key = f"regime-{secrets.token_hex(3)}"
    body = (await client.get("/regimes/standard", headers=admin)).json()
    made = await client.post("/regimes", json={**body, "key": key}, headers=admin)
    assert made.status_code == 201, made.text
    form = fields_of((await client.get(f"/console/regimes/{key}/edit", headers=admin)).text)
    form["json"] = form["json"].replace('"amount": 20', '"amount": 0')
    form["action"] = "save"
    refused = await client.post(f"/console/regimes/{key}/edit", data=form, headers=admin | FORM)
    assert refused.status_code == 422
    assert "reply.amount" in error_beside(refused.text, "json")
    form["json"] = form["json"].replace('"amount": 0', '"amount": 15')
    saved = await client.post(f"/console/regimes/{key}/edit", data=form, headers=admin | FORM)
    assert saved.status_code == 303, saved.text[:2000]
    assert (await client.get(f"/regimes/{key}", headers=admin)).json()["reply"]["amount"] == 15
