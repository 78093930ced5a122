"""Setting a webhook: internal addresses refused with 422, a signing secret shown once,
rotation, and customers seeing neither. Names are answered by a stand-in for DNS (no name
server is asked: it is not on loopback); nothing here is called except a loopback receiver."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.exceptions import ApplicationError

from activities.webhooks import post_event
from api.app import create_app
from api.deps import get_session
from api.routes.accounts import name_resolver
from db.models import Account, Role
from settings import Settings
from tests.conftest import bearer
from tests.workflows.tickets import WebhookSink, serve_webhooks

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
PUBLIC = "https://93.184.215.14/pledge"  # validated, never called
DNS = {
    "hooks.customer.invalid": ["93.184.215.14"],
    "internal.customer.invalid": ["93.184.215.14", "10.20.30.40"],
    "metadata.customer.invalid": ["169.254.169.254"],
    "localhost": ["127.0.0.1"],
}


class StandInDns:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[Address]:
        self.asked.append(host)
        if host not in DNS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in DNS[host]]


@asynccontextmanager
async def api(settings: Settings, session: AsyncSession, dns: StandInDns) -> AsyncIterator[
    httpx.AsyncClient
]:  # fmt: skip
    """The app with these settings, the test's rolled-back session and the stand-in DNS."""
    app: FastAPI = create_app(settings)

    async def shared_session() -> AsyncIterator[AsyncSession]:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise

    app.dependency_overrides[get_session] = shared_session
    app.dependency_overrides[name_resolver] = lambda: dns
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as http:
            yield http


@pytest.fixture
def dns() -> StandInDns:
    return StandInDns()


@pytest.fixture
async def http(
    settings: Settings, session: AsyncSession, dns: StandInDns
) -> AsyncIterator[httpx.AsyncClient]:
    async with api(settings, session, dns) as client:
        yield client


@pytest.fixture
async def manager(session: AsyncSession) -> dict[str, str]:
    return await bearer(session, Role.SUCCESS_MANAGER)


async def create(
    http: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> httpx.Response:
    return await http.post(
        "/accounts", json={"name": "Hooked Ltd", "policy": "spotler", **body}, headers=headers
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://10.0.0.1/hook", "10.0.0.1 is a private address"),
        ("https://[::ffff:127.0.0.1]/hook", "embeds 127.0.0.1, which is a loopback address"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://100.64.1.1/hook", "carrier-grade NAT"),
        ("https://224.0.0.251/hook", "multicast"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://metadata.google.internal/v1", "cloud metadata"),
        ("https://metadata.customer.invalid/x", "169.254.169.254, which is a cloud metadata"),
        ("https://internal.customer.invalid/x", "10.20.30.40, which is a private address"),
        ("https://hooks.invalid/x", "host hooks.invalid does not resolve"),
        ("http://93.184.215.14/hook", "must use https"),
    ],
)
async def test_internal_or_unresolvable_webhooks_are_422_when_set(
    http: httpx.AsyncClient, manager: dict[str, str], url: str, words: str
) -> None:
    created = await create(http, manager, webhook_url=url)
    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["field"] == "body.webhook_url"
    assert words in created.json()["detail"]

    account = (await create(http, manager, name="Patched Ltd", webhook_url=PUBLIC)).json()
    patched = await http.patch(
        f"/accounts/{account['id']}", json={"webhook_url": url}, headers=manager
    )
    assert patched.status_code == 422, patched.text
    assert words in patched.json()["detail"]
    kept = await http.get(f"/accounts/{account['id']}", headers=manager)
    assert kept.json()["webhook_url"] == PUBLIC  # nothing stored by the refused request


async def test_the_secret_is_shown_once_and_customers_see_no_webhook(
    http: httpx.AsyncClient, manager: dict[str, str], session: AsyncSession, dns: StandInDns
) -> None:
    created = await create(http, manager, webhook_url="https://hooks.customer.invalid/in")
    assert created.status_code == 201, created.text
    account = created.json()
    secret = account["webhook_secret"]
    assert secret.startswith("whsec_") and len(secret) == 6 + 64
    assert account["webhooks_enabled"] is True
    assert dns.asked == ["hooks.customer.invalid"]
    stored = await session.get(Account, account["id"])
    assert stored is not None and stored.webhook_secret == secret

    again = (await http.get(f"/accounts/{account['id']}", headers=manager)).json()
    assert again["webhook_url"] == "https://hooks.customer.invalid/in"
    assert "webhook_secret" not in again

    customer = await bearer(session, Role.CUSTOMER, account["id"])
    seen = await http.get(f"/accounts/{account['id']}", headers=customer)
    assert seen.status_code == 200, seen.text
    assert seen.json()["webhook_url"] is None and "webhook_secret" not in seen.json()
    listed = (await http.get("/accounts", headers=customer)).json()
    assert [(a["id"], a["webhook_url"]) for a in listed] == [(account["id"], None)]
    assert secret not in seen.text + str(listed)
    rotate = await http.post(f"/accounts/{account['id']}/webhook-secret", headers=customer)
    assert rotate.status_code == 403

    # Changing the URL keeps the secret (and does not show it); clearing it drops it.
    moved = await http.patch(
        f"/accounts/{account['id']}", json={"webhook_url": PUBLIC}, headers=manager
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["webhook_secret"] is None
    await session.refresh(stored)
    assert stored.webhook_secret == secret
    cleared = await http.patch(
        f"/accounts/{account['id']}", json={"webhook_url": None}, headers=manager
    )
    assert cleared.json()["webhook_url"] is None
    await session.refresh(stored)
    assert stored.webhook_secret is None
    no_hook = await http.post(f"/accounts/{account['id']}/webhook-secret", headers=manager)
    assert no_hook.status_code == 409 and "no webhook URL" in no_hook.json()["detail"]
    renewed = await http.patch(
        f"/accounts/{account['id']}", json={"webhook_url": PUBLIC}, headers=manager
    )
    fresh = renewed.json()["webhook_secret"]
    assert fresh.startswith("whsec_") and fresh != secret


async def test_rotating_issues_a_new_secret_and_retires_the_old(
    http: httpx.AsyncClient, manager: dict[str, str], session: AsyncSession
) -> None:
    account = (await create(http, manager, webhook_url=PUBLIC)).json()
    rotated = await http.post(f"/accounts/{account['id']}/webhook-secret", headers=manager)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["webhook_secret"] != account["webhook_secret"]
    assert (body["account_id"], body["webhook_url"], body["signature_header"]) == (
        account["id"],
        PUBLIC,
        "Pledge-Signature",
    )
    stored = await session.get(Account, account["id"])
    assert stored is not None and stored.webhook_secret == body["webhook_secret"]
    agent = await bearer(session, Role.AGENT)
    refused = await http.post(f"/accounts/{account['id']}/webhook-secret", headers=agent)
    assert refused.status_code == 403


async def test_with_webhooks_off_no_name_is_looked_up_and_the_answer_says_so(
    settings: Settings, session: AsyncSession, dns: StandInDns, manager: dict[str, str]
) -> None:
    off = settings.model_copy(update={"webhooks_enabled": False})
    async with api(off, session, dns) as http:
        created = await create(http, manager, webhook_url="https://hooks.elsewhere.invalid/x")
        assert created.status_code == 201, created.text
        assert created.json()["webhooks_enabled"] is False
        assert dns.asked == []
        # What the URL shows on its face is still refused.
        refused = await create(http, manager, name="Other", webhook_url="https://10.0.0.1/x")
        assert refused.status_code == 422 and "private" in refused.json()["detail"]


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    yield from serve_webhooks()


async def test_allowed_when_set_but_refused_when_sent_is_not_called(
    settings: Settings,
    session: AsyncSession,
    dns: StandInDns,
    manager: dict[str, str],
    sink: WebhookSink,
    tmp_path: Path,
) -> None:
    port = sink.url.rsplit(":", 1)[1].split("/", 1)[0]
    url = f"https://localhost:{port}/hooks"
    at_set_time = settings.model_copy(update={"webhook_allowed_hosts": "localhost"})
    async with api(at_set_time, session, dns) as http:
        created = await create(http, manager, webhook_url=url)
    assert created.status_code == 201, created.text
    stored = await session.get(Account, created.json()["id"])
    assert stored is not None and stored.webhook_url == url
    # The worker's allow-list no longer names localhost: it resolves to loopback and is refused.
    with pytest.raises(ApplicationError, match="localhost resolves to .* loopback"):
        await post_event(settings, stored.webhook_url, stored.webhook_secret, "e-1", {"a": 1})
    assert sink.raw == []
