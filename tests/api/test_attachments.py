"""A ticket's files through the API: HTTP (multipart) -> the bytes stored -> Temporal -> worker
-> the record and its event -> listed and downloaded, on PostgreSQL and SQLite."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.app import create_app
from api.auth import Principal
from db.models import AttachmentContent, Role, TicketAttachment
from outbound.ticket_links import link_secret, track_token
from services import attachments
from settings import Settings
from tests import files
from tests.api.conftest import Live, customer_key
from tests.conftest import free_port

PDF_TYPE = "application/pdf"


async def _ticket(live: Live, policy: str = "e-shot") -> tuple[dict[str, Any], str]:
    account = await live.account(policy)
    opened = await live.open(account_id=account["id"], priority="p3")
    assert opened.status_code == 201, opened.text
    return account, opened.json()["reference"]


async def _attach(
    http: httpx.AsyncClient,
    reference: str,
    headers: dict[str, str],
    *sent: tuple[str, bytes],
    public: bool | None = None,
) -> httpx.Response:
    data = {} if public is None else {"public": "true" if public else "false"}
    return await http.post(
        f"/tickets/{reference}/attachments",
        files=[("file", (name, body, "application/octet-stream")) for name, body in sent],
        data=data,
        headers=headers,
    )


async def _stored(engine: AsyncEngine) -> tuple[int, int]:
    """How many attachment records and how many stored contents there are."""
    async with AsyncSession(engine) as session:
        records = await session.scalar(select(func.count()).select_from(TicketAttachment))
        contents = await session.scalar(select(func.count()).select_from(AttachmentContent))
    return int(records or 0), int(contents or 0)


def _problem(response: httpx.Response, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field], problem
    return str(problem["detail"])


async def test_files_round_trip_with_their_type_name_and_digest(
    live: Live, engine: AsyncEngine
) -> None:
    _account, reference = await _ticket(live)
    report, screen = files.pdf("Invoice 4711"), files.png()
    added = await _attach(
        live.http,
        reference,
        live.as_("agent"),
        ("C:\\Users\\ann\\report.pdf", report),
        ("screen shot.png", screen),
    )
    assert added.status_code == 201, added.text
    made = added.json()
    assert [(a["filename"], a["content_type"], a["size"]) for a in made] == [
        ("report.pdf", PDF_TYPE, len(report)),
        ("screen shot.png", "image/png", len(screen)),
    ]
    assert made[0]["sha256"] == hashlib.sha256(report).hexdigest()
    assert made[0]["public"] is False and made[0]["added_by_customer"] is False  # staff: internal
    assert made[0]["url"] == f"/tickets/{reference}/attachments/{made[0]['id']}"

    listed = await live.http.get(f"/tickets/{reference}/attachments", headers=live.as_("agent"))
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == [a["id"] for a in made]

    for item, sent in zip(made, (report, screen), strict=True):
        download = await live.http.get(item["url"], headers=live.as_("success_manager"))
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == item["sha256"]
        assert download.content == sent
        assert download.headers["content-type"] == item["content_type"]
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-disposition"].startswith("attachment;")
        assert "sandbox" in download.headers["content-security-policy"]
    disposition = (await live.http.get(made[1]["url"], headers=live.as_("agent"))).headers[
        "content-disposition"
    ]
    assert disposition == (
        "attachment; filename=\"screen-shot.png\"; filename*=UTF-8''screen%20shot.png"
    )

    # The conversation says who attached what; the record is the workflow's, from that event.
    detail = (await live.http.get(f"/tickets/{reference}", headers=live.as_("agent"))).json()
    lines = [e for e in detail["events"] if e["kind"] == "attached_internal"]
    assert [e["summary"] for e in lines] == [
        f"{e['data']['by']} attached {name}"
        for e, name in zip(lines, ("report.pdf", "screen shot.png"), strict=True)
    ]
    assert lines[0]["data"]["attachment_id"] == made[0]["id"]
    assert await _stored(engine) >= (2, 2)


async def test_listing_reads_no_file_contents(live: Live, engine: AsyncEngine) -> None:
    _account, reference = await _ticket(live)
    big = b"x" * 500_000
    assert (
        await _attach(live.http, reference, live.as_("agent"), ("big.log", big))
    ).status_code == 201
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    principal = Principal(key_id=None, name="Reader", role=Role.AGENT, account_id=None)
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with AsyncSession(engine) as session:
            listed = await attachments.list_attachments(session, principal, reference)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert [a.size for a in listed] == [len(big)]
    assert statements and not [s for s in statements if "attachment_contents" in s]


async def test_customers_add_and_read_their_own_accounts_public_files_only(
    live: Live, engine: AsyncEngine, settings: Settings
) -> None:
    account, reference = await _ticket(live)
    other_account, _ = await _ticket(live)
    customer = await customer_key(engine, account["id"])
    stranger = await customer_key(engine, other_account["id"])

    theirs = await _attach(live.http, reference, customer, ("log.txt", b"error 42\n"), public=False)
    assert theirs.status_code == 201, theirs.text
    [mine] = theirs.json()
    assert mine["public"] is True and mine["added_by_customer"] is True  # always, whatever sent
    internal = (
        await _attach(live.http, reference, live.as_("agent"), ("notes.txt", b"x\n"))
    ).json()
    shown = (
        await _attach(
            live.http, reference, live.as_("agent"), ("fix.pdf", files.pdf()), public=True
        )
    ).json()

    staff_list = await live.http.get(f"/tickets/{reference}/attachments", headers=live.as_("agent"))
    assert len(staff_list.json()) == 3
    seen = (await live.http.get(f"/tickets/{reference}/attachments", headers=customer)).json()
    assert [(a["filename"], a["added_by"]) for a in seen] == [
        ("log.txt", mine["added_by"]),
        ("fix.pdf", "Support team"),
    ]
    assert (await live.http.get(shown[0]["url"], headers=customer)).content == files.pdf()
    hidden = await live.http.get(internal[0]["url"], headers=customer)
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == f"No attachment {internal[0]['id']} on ticket {reference}"

    # The customer's history shows the public files, never the internal one, nor staff names.
    history = (await live.http.get(f"/tickets/{reference}", headers=customer)).json()["events"]
    attached = [(e["actor"], e["summary"]) for e in history if e["kind"].startswith("attached")]
    # (their own name for what they did, as for replies)
    assert attached == [(mine["added_by"], "Attached log.txt"), ("support", "Attached fix.pdf")]

    # The tracking page names the public files (no link: it is read-only), never the internal.
    track = await live.http.get(
        f"/track/{reference}", params={"token": track_token(link_secret(settings), reference)}
    )
    assert track.status_code == 200
    assert "We sent you fix.pdf." in track.text and "You sent us log.txt." in track.text
    assert "notes.txt" not in track.text

    # Another account's customer: the same 404 as for a ticket that does not exist.
    unknown = await live.http.get("/tickets/T-0000-0000/attachments", headers=stranger)
    for response in (
        await live.http.get(f"/tickets/{reference}/attachments", headers=stranger),
        await live.http.get(shown[0]["url"], headers=stranger),
        await _attach(live.http, reference, stranger, ("x.txt", b"x")),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == unknown.json()["detail"].replace(
            "T-0000-0000", reference
        )
    handler = await live.http.get(
        f"/tickets/{reference}/attachments", headers=live.as_("complaints_handler")
    )
    assert handler.status_code == 403


async def test_a_file_of_another_ticket_is_not_found_under_this_one(live: Live) -> None:
    _account, first = await _ticket(live)
    _account, second = await _ticket(live)
    [other] = (
        await _attach(live.http, second, live.as_("agent"), ("a.txt", b"a\n"), public=True)
    ).json()
    wrong = await live.http.get(
        f"/tickets/{first}/attachments/{other['id']}", headers=live.as_("admin")
    )
    assert wrong.status_code == 404
    assert (await live.http.get(other["url"], headers=live.as_("admin"))).status_code == 200


async def test_what_the_rules_refuse_is_refused_naming_the_field_and_nothing_is_kept(
    live: Live, engine: AsyncEngine
) -> None:
    _account, reference = await _ticket(live)
    agent = live.as_("agent")
    before = await _stored(engine)

    exe = _problem(
        await _attach(live.http, reference, agent, ("invoice.pdf", files.exe())), 422, "body.file"
    )
    assert "invoice.pdf is a Windows program" in exe
    page = b"<!doctype html><script>alert(1)</script>"
    assert "HTML, SVG or XML" in _problem(
        await _attach(live.http, reference, agent, ("page.txt", page)), 422, "body.file"
    )
    unknown = _problem(
        await _attach(live.http, reference, agent, ("x.bin", bytes(range(256)))), 422, "body.file"
    )
    assert "accepted are PDF, PNG, JPEG" in unknown
    assert "is empty" in _problem(
        await _attach(live.http, reference, agent, ("empty.txt", b"")), 422, "body.file"
    )
    # One bad file among good ones: none of them is kept.
    mixed = await _attach(
        live.http, reference, agent, ("ok.pdf", files.pdf()), ("bad.svg", b"<svg onload=x>")
    )
    assert "bad.svg" in _problem(mixed, 422, "body.file")
    no_file = await live.http.post(
        f"/tickets/{reference}/attachments", files=[("public", (None, b"true"))], headers=agent
    )
    assert "is required" in _problem(no_file, 422, "body.file")
    maybe = await live.http.post(
        f"/tickets/{reference}/attachments",
        files=[("file", ("a.txt", b"a\n")), ("public", (None, b"perhaps"))],
        headers=agent,
    )
    assert "true or false" in _problem(maybe, 422, "body.public")
    assert "not a field for files" in _problem(
        await live.http.post(
            f"/tickets/{reference}/attachments",
            files=[("upload", ("a.txt", b"a\n"))],
            headers=agent,
        ),
        422,
        "body.upload",
    )
    assert await _stored(engine) == before
    listed = await live.http.get(f"/tickets/{reference}/attachments", headers=agent)
    assert listed.json() == []


async def test_a_missing_or_garbled_body_is_422_not_500(live: Live) -> None:
    _account, reference = await _ticket(live)
    url, agent = f"/tickets/{reference}/attachments", live.as_("agent")
    bodies: list[dict[str, Any]] = [
        {},  # no body at all
        {"json": {"file": "report.pdf"}},
        {"content": b"file=x", "headers": {"content-type": "application/x-www-form-urlencoded"}},
        {"content": b"--x\r\n", "headers": {"content-type": "multipart/form-data"}},  # no boundary
        {"content": b"garbage", "headers": {"content-type": "multipart/form-data; boundary=x"}},
        {  # cut short: no closing boundary
            "content": b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"'
            b"\r\n\r\nhello",
            "headers": {"content-type": "multipart/form-data; boundary=b"},
        },
        {  # a part with no name
            "content": b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
            "headers": {"content-type": "multipart/form-data; boundary=b"},
        },
    ]
    for extra in bodies:
        headers = {**agent, **extra.pop("headers", {})}
        response = await live.http.post(url, headers=headers, **extra)
        assert response.status_code == 422, (extra, response.text)
        assert response.json()["errors"][0]["field"].startswith("body"), response.text


async def test_a_large_upload_is_refused_while_it_is_read(live: Live, settings: Settings) -> None:
    _account, reference = await _ticket(live)
    url, agent = f"/tickets/{reference}/attachments", live.as_("agent")
    just_over = b"a" * (10 * 1024 * 1024 + 1)
    too_big = await _attach(live.http, reference, agent, ("big.log", just_over))
    assert "larger than 10 MB" in _problem(too_big, 413, "body.file")
    fits = await _attach(live.http, reference, agent, ("fits.log", just_over[:-1]))
    assert fits.status_code == 201, fits.text

    # A 2 GB upload: refused after about the limit's worth of it, not after all of it.
    sent: list[int] = []

    async def two_gigabytes() -> AsyncIterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="huge.log"\r\n\r\n'
        chunk = b"a" * (1024 * 1024)
        for _ in range(2048):
            sent.append(len(chunk))
            yield chunk

    huge = await live.http.post(
        url,
        content=two_gigabytes(),
        headers={**agent, "content-type": "multipart/form-data; boundary=b"},
    )
    assert "larger than 10 MB" in _problem(huge, 413, "body.file")
    assert sum(sent) < 20 * 1024 * 1024

    # One that says how large it is beforehand is refused before any of it is read.
    declared = await live.http.post(
        url,
        content=b"--b--\r\n",
        headers={
            **agent,
            "content-type": "multipart/form-data; boundary=b",
            "content-length": str(2 * 1024**3),
        },
    )
    assert "at most 10 MB" in _problem(declared, 413, "body.file")

    # The limit is a setting.
    small = settings.model_copy(update={"attachment_max_mb": 0.01})
    app = create_app(small)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as http:
            refused = await _attach(http, reference, agent, ("eleven.log", b"a" * 11_000))
            assert "larger than 10 KB" in _problem(refused, 413, "body.file")


async def test_a_closed_ticket_takes_no_files(live: Live, engine: AsyncEngine) -> None:
    _account, reference = await _ticket(live)
    agent = live.as_("agent")
    for action in ("resolve", "close"):
        done = await live.http.post(f"/tickets/{reference}/{action}", json={}, headers=agent)
        assert done.status_code == 200, done.text
    before = await _stored(engine)
    refused = await _attach(live.http, reference, agent, ("late.pdf", files.pdf()))
    assert refused.status_code == 409
    assert "closed" in refused.json()["detail"]
    assert await _stored(engine) == before


async def test_temporal_down_keeps_no_bytes(
    live: Live, settings: Settings, engine: AsyncEngine
) -> None:
    _account, reference = await _ticket(live)
    down = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    before = await _stored(engine)
    app = create_app(down)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as http:
            refused = await _attach(http, reference, live.as_("agent"), ("a.pdf", files.pdf()))
    assert refused.status_code == 503
    assert "nothing was changed" in refused.json()["detail"]
    assert await _stored(engine) == before
