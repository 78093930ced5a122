"""Webhooks: a JSON POST to the URL an account configured."""

from __future__ import annotations

from typing import Any

import httpx

TIMEOUT_SECONDS = 10.0


class WebhookRejected(RuntimeError):
    """The receiver answered with an error; the activity's retries try again."""


async def post_event(url: str, event_id: str, payload: dict[str, Any]) -> int:
    """POST `payload`; the Idempotency-Key header lets the receiver drop a retried delivery."""
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
        response = await client.post(
            url,
            json=payload,
            headers={"Idempotency-Key": event_id, "User-Agent": "Pledge-Webhooks/1"},
        )
    if response.status_code >= 400:
        raise WebhookRejected(f"{url} answered {response.status_code}")
    return response.status_code
