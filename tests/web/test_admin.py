"""/console/admin over HTTP: roles changed, people removed, keys made and revoked."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role
from tests.web.people import make_user, sign_in


async def test_roles_change_and_a_removed_person_is_signed_out_at_once(
    client: httpx.AsyncClient, session: AsyncSession, settings
) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user(session, Role.ADMIN, full_name="Ada Lovelace")
    sam = await make_user(session, Role.AGENT, full_name="Sam Lee")
    admin_email, sam_id, sam_email = admin.email, sam.id, sam.email
    admin_id = admin.id

    # Sam signs in (their own browser: a second client on the same app).
    transport = client._transport  # noqa: SLF001 - the same app, another cookie jar
    async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as theirs:
        assert (await sign_in(theirs, sam_email)).status_code == 303
        assert (await theirs.get("/console/admin")).status_code == 403

        await sign_in(client, admin_email)
        page = await client.get("/console/admin")
        assert "Sam Lee" in page.text and f'id="user-{sam_id}"' in page.text
        # No remove button for oneself.
        assert f"/console/admin/users/{admin_id}/remove" not in page.text

        made_admin = await client.post(
            f"/console/admin/users/{sam_id}/roles", data={"roles": ["agent", "admin"]}
        )
        assert made_admin.status_code == 303
        assert made_admin.headers["location"] == "/console/admin?notice=roles"
        # At once, without signing in again: the session is resolved on every request.
        assert (await theirs.get("/console/admin")).status_code == 200

        none = await client.post(f"/console/admin/users/{sam_id}/roles", data={})
        assert none.status_code == 422 and "choose at least one role" in none.text
        own = await client.post(f"/console/admin/users/{admin_id}/roles", data={"roles": "agent"})
        assert own.status_code == 409 and "your own admin role" in own.text
        self_removal = await client.post(f"/console/admin/users/{admin_id}/remove")
        assert self_removal.status_code == 409

        removed = await client.post(f"/console/admin/users/{sam_id}/remove")
        assert removed.status_code == 303
        assert (await theirs.get("/console/admin")).status_code == 303
        assert (await sign_in(theirs, sam_email)).status_code == 401
        listed = await client.get("/console/admin")
        assert f'id="user-{sam_id}"' not in listed.text
        gone = await client.post(f"/console/admin/users/{sam_id}/remove")
        assert gone.status_code == 404


async def test_a_key_is_shown_once_and_revoked_from_the_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, Role.ADMIN)
    await sign_in(client, admin.email)
    bad = await client.post("/console/admin/keys", data={"name": "", "role": "wizard"})
    assert bad.status_code == 422
    assert 'id="name-error"' in bad.text and 'id="role-error"' in bad.text
    unbound = await client.post("/console/admin/keys", data={"name": "Portal", "role": "customer"})
    assert unbound.status_code == 422 and "bound to an account" in unbound.text
    assert 'value="Portal"' in unbound.text

    made = await client.post(
        "/console/admin/keys", data={"name": "Nightly export", "role": "agent"}
    )
    assert made.status_code == 200
    secret = made.text.split('id="new-key-secret">')[1].split("<")[0]
    assert secret.startswith("pledge_")
    me = await client.get("/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["name"] == "Nightly export"
    # Never again: the list shows the fingerprint only.
    listed = await client.get("/console/admin")
    assert secret not in listed.text and "Nightly export" in listed.text
    key_id = me.json()["key_id"]
    revoked = await client.post(f"/console/admin/keys/{key_id}/revoke")
    assert revoked.status_code == 303
    assert (
        await client.get("/me", headers={"Authorization": f"Bearer {secret}"})
    ).status_code == 401


async def test_the_json_keys_routes_and_the_page_share_one_service(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    # The API's own rule, now in services/keys.py: not the key you are using.
    me = (await client.get("/me", headers=admin_headers)).json()
    refused = await client.post(f"/keys/{me['key_id']}/revoke", headers=admin_headers)
    assert refused.status_code == 409


async def test_a_user_without_admin_gets_a_page_saying_so(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    agent = await make_user(session, Role.AGENT, Role.COMPLAINTS_HANDLER)
    await sign_in(client, agent.email)
    refused = await client.get("/console/admin")
    assert refused.status_code == 403
    assert "Not part of your role" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    forged = await client.post("/console/admin/keys", data={"name": "x", "role": "admin"})
    assert forged.status_code == 403
