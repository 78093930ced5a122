"""/mailboxes: what an admin may set up, what is refused without connecting, and that the
password is never said back."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import Live
from tests.waiting import eventually

GOOD = {"host": "imap.mail.invalid", "username": "support", "password": "s3cret-Word"}


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("127.0.0.1", "loopback"),
        ("localhost", "loopback"),
        ("10.1.2.3", "private"),
        ("169.254.169.254", "metadata"),
        ("metadata.google.internal", "metadata"),
        ("::1", "loopback"),
        ("imap mail", "host name or an IP address"),
        ("imap.mail.invalid/x", "host name or an IP address"),
    ],
)
async def test_refused_hosts_are_422_naming_the_field_without_connecting(
    client: httpx.AsyncClient, admin_headers: dict[str, str], host: str, words: str
) -> None:
    response = await client.post("/mailboxes", json={**GOOD, "host": host}, headers=admin_headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == "body.host"
    assert words in problem["errors"][0]["message"]
    assert GOOD["password"] not in response.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"moved_to": "INBOX"}, "body.moved_to"),
        ({"port": 0}, "body.port"),
        ({"creates": "letters"}, "body.creates"),
        ({"password": ""}, "body.password"),
        ({"folder": "In\nbox"}, "body.folder"),
        ({"username": "support\r\nA1 DELETE INBOX"}, "body.username"),
    ],
)
async def test_bad_settings_are_422_naming_the_field(
    client: httpx.AsyncClient, admin_headers: dict[str, str], change: dict, field: str
) -> None:
    response = await client.post("/mailboxes", json={**GOOD, **change}, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_only_admins_set_up_mailboxes(
    client: httpx.AsyncClient, agent_headers: dict[str, str]
) -> None:
    response = await client.post("/mailboxes", json=GOOD, headers=agent_headers)
    assert response.status_code == 403
    assert (await client.get("/mailboxes", headers=agent_headers)).status_code == 403
    # Agents work the inbox, though.
    assert (await client.get("/inbox", headers=agent_headers)).status_code == 200


async def test_an_unknown_mailbox_or_mail_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    assert (await client.get("/mailboxes/B-0000-0000", headers=admin_headers)).status_code == 404
    patched = await client.patch(
        "/mailboxes/B-0000-0000", json={"paused": True}, headers=admin_headers
    )
    assert patched.status_code == 404
    assert (await client.post("/inbox/nope/release", headers=admin_headers)).status_code == 404


async def test_a_mailbox_at_a_host_that_does_not_resolve_says_so_and_never_shows_its_password(
    live: Live,
) -> None:
    created = await live.http.post("/mailboxes", json=GOOD, headers=live.as_("admin"))
    assert created.status_code == 201, created.text
    box = created.json()
    assert box["name"] == "support at imap.mail.invalid" and box["creates"] == "tickets"
    assert GOOD["password"] not in created.text and "password" not in box

    async def error() -> str | None:
        shown = await live.http.get(f"/mailboxes/{box['id']}", headers=live.as_("admin"))
        return shown.json()["last_error"]

    assert "does not resolve" in await eventually(error, 30)
    # /health names it: mail that never becomes tickets must not go unnoticed.
    health = (await live.http.get("/health")).json()
    assert any(
        w.startswith(f"mailbox {box['name']} cannot be read") and "does not resolve" in w
        for w in health["warnings"]
    ), health["warnings"]
    assert GOOD["password"] not in str(health)

    changed = await live.http.patch(
        f"/mailboxes/{box['id']}",
        json={"password": "an0ther-Word", "paused": True},
        headers=live.as_("admin"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["paused"] is True and "an0ther-Word" not in changed.text
    listed = await live.http.get("/mailboxes", headers=live.as_("admin"))
    assert box["id"] in [m["id"] for m in listed.json()]
    assert "s3cret" not in listed.text and "an0ther" not in listed.text

    removed = await live.http.delete(f"/mailboxes/{box['id']}", headers=live.as_("admin"))
    assert removed.status_code == 200 and removed.json()["deleted"] is True
    again = await live.http.patch(
        f"/mailboxes/{box['id']}", json={"paused": False}, headers=live.as_("admin")
    )
    assert again.status_code == 409
