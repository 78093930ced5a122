"""The customer's tracking page is styled under the pages' CSP, which allows no inline style."""

from __future__ import annotations

import re

import httpx


async def test_the_tracking_pages_style_is_a_file_the_csp_allows(client: httpx.AsyncClient) -> None:
    answer = await client.get("/track/T-AAAA-0000", params={"token": "not-a-token"})
    assert answer.status_code == 404
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert "<style" not in answer.text and 'style="' not in answer.text
    [href] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', answer.text)
    sheet = await client.get(href)
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert "main {" in sheet.text
