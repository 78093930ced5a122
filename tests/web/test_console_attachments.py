"""The console's ticket page and its files: listed with size and who added them, downloaded,
and uploaded through a plain multipart form (303 back), refused in the API's words."""

from __future__ import annotations

import hashlib
import html
import re

import httpx

from tests import files
from tests.api.conftest import Live, customer_key, live  # noqa: F401 (the fixture)

__all__ = ["live"]


async def _ticket(live: Live) -> str:
    account = await live.account("e-shot")
    opened = await live.open(account_id=account["id"], priority="p3")
    assert opened.status_code == 201, opened.text
    return str(opened.json()["reference"])


async def _upload(
    live: Live, reference: str, sent: list[tuple[str, bytes]], role: str = "agent", **form: str
) -> httpx.Response:
    return await live.http.post(
        f"/console/tickets/{reference}/attachments",
        data=form,
        files=[("file", (name, body, "application/octet-stream")) for name, body in sent],
        headers=live.as_(role),
    )


async def test_the_page_has_an_upload_form_that_works_without_javascript(live: Live) -> None:
    reference = await _ticket(live)
    page = await live.http.get(f"/console/tickets/{reference}", headers=live.as_("agent"))
    assert page.status_code == 200
    form = re.search(
        r'<form method="post" action="/console/tickets/[^"]+/attachments#attachments" '
        r'enctype="multipart/form-data"[^>]*>(.*?)</form>',
        page.text,
        re.S,
    )
    assert form, "no multipart upload form"
    assert '<label for="attach-file">' in form.group(1)
    assert re.search(r'<input type="file" id="attach-file" name="file" multiple', form.group(1))
    assert 'name="public"' in form.group(1) and "up to 10 MB each" in form.group(1)
    assert "No files have been attached." in page.text

    report = files.pdf("Quarterly figures")
    done = await _upload(live, reference, [("report.pdf", report), ("notes.txt", b"a\n" * 600)])
    assert done.status_code == 303, done.text[:2000]
    assert done.headers["location"] == f"/console/tickets/{reference}?done=attach#attachments"

    page = await live.http.get(done.headers["location"], headers=live.as_("agent"))
    text = html.unescape(page.text)
    assert "The files were attached." in text
    assert "Files (2)" in text
    assert f"PDF, {len(report)} bytes · added by" in text
    assert "text file, 1 KB · added by" in text
    assert text.count("Internal</span>") >= 2  # staff files are internal unless ticked
    links = re.findall(
        rf'href="(/console/tickets/{reference}/attachments/\w+)" download', page.text
    )
    assert len(set(links)) == 2
    # The conversation says who attached what, and links to it.
    assert re.search(r"attached report\.pdf</a>", text)

    download = await live.http.get(links[0], headers=live.as_("success_manager"))
    assert download.status_code == 200
    assert hashlib.sha256(download.content).digest() == hashlib.sha256(report).digest()
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith('attachment; filename="report.pdf"')
    assert download.headers["x-content-type-options"] == "nosniff"

    # Ticked, the customer sees it: the API says so, and the page marks it.
    shown = await _upload(live, reference, [("guide.png", files.png())], public="on")
    assert shown.status_code == 303
    listed = await live.http.get(f"/tickets/{reference}/attachments", headers=live.as_("agent"))
    assert [(a["filename"], a["public"]) for a in listed.json()][-1] == ("guide.png", True)
    page = await live.http.get(f"/console/tickets/{reference}", headers=live.as_("agent"))
    assert "Customer sees this</span></span>" in page.text


async def test_a_refused_upload_shows_the_reason_beside_the_field(live: Live) -> None:
    reference = await _ticket(live)
    # A browser posts a file input left empty as a part with no name and no bytes.
    empty = await _upload(live, reference, [("", b"")])
    assert empty.status_code == 422 and "choose one or more files" in html.unescape(empty.text)
    refused = await _upload(live, reference, [("invoice.pdf", files.exe())])
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert 'aria-invalid="true"' in refused.text
    assert re.search(
        r'<p class="error" id="attach-file-error">invoice\.pdf is a Windows program', text
    )
    assert 'id="problem-attach"' not in refused.text  # said once, beside the field
    closed = await live.http.post(
        f"/tickets/{reference}/resolve", json={}, headers=live.as_("agent")
    )
    assert closed.status_code == 200
    closed = await live.http.post(f"/tickets/{reference}/close", json={}, headers=live.as_("agent"))
    assert closed.status_code == 200
    late = await _upload(live, reference, [("late.txt", b"late\n")])
    assert late.status_code == 409
    assert re.search(r'role="alert" id="problem-attach">Ticket \S+ is closed', late.text)
    listed = await live.http.get(f"/tickets/{reference}/attachments", headers=live.as_("agent"))
    assert listed.json() == []


async def test_only_staff_reach_the_console_files(live: Live, engine: object) -> None:
    account = await live.account("e-shot")
    opened = await live.open(account_id=account["id"], priority="p3")
    reference = opened.json()["reference"]
    [made] = (
        await live.http.post(
            f"/tickets/{reference}/attachments",
            files=[("file", ("a.txt", b"a\n"))],
            data={"public": "true"},
            headers=live.as_("agent"),
        )
    ).json()
    customer = await customer_key(engine, account["id"])  # type: ignore[arg-type]
    url = f"/console/tickets/{reference}/attachments/{made['id']}"
    assert (await live.http.get(url, headers=customer)).status_code == 403
    assert (await live.http.get(url, headers=live.as_("complaints_handler"))).status_code == 403
    assert (await live.http.get(url)).status_code == 303  # to sign in
    upload = await _upload(live, reference, [("b.txt", b"b\n")], role="complaints_handler")
    assert upload.status_code == 403
    assert (await live.http.get(url, headers=live.as_("agent"))).content == b"a\n"
