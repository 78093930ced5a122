"""Webhooks: a signed JSON POST to the URL an account configured, if the egress rule allows it.

The address is checked when the call is made, not only when the URL was set (a name can be
re-pointed at an internal address later), and the connection goes to the very address that
was checked: the URL's host is replaced by it, with the original name kept in the Host header
and in TLS's server name, so a second DNS lookup cannot send the call elsewhere. No proxy from
the environment, no redirects.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

from outbound import egress, signing
from settings import Settings

TIMEOUT_SECONDS = 10.0
USER_AGENT = "Pledge-Webhooks/1"

log = logging.getLogger("pledge.webhooks")


class WebhookRejected(RuntimeError):
    """The receiver answered with an error; the activity's retries try again."""


def refused(url: str, why: str) -> ApplicationError:
    """Not retried: the same URL will be refused again until someone changes it."""
    return ApplicationError(
        f"webhook {url} was not called: {why}", type="WebhookRefused", non_retryable=True
    )


async def post_event(
    settings: Settings,
    url: str,
    secret: str | None,
    event_id: str,
    payload: dict[str, Any],
    *,
    resolver: egress.Resolver = egress.system_resolver,
    trust: ssl.SSLContext | None = None,
) -> bool:
    """POST `payload` signed with `secret`; False when webhooks are turned off (nothing sent).

    The Idempotency-Key header lets the receiver drop a retried delivery. `trust` replaces
    the system's certificate authorities (a receiver with a private CA).
    """
    if not settings.webhooks_enabled:
        log.info("webhooks are off (PLEDGE_WEBHOOKS_ENABLED=false): %s not sent", event_id)
        return False
    if not secret:
        raise refused(
            url,
            "the account has no signing secret; rotate it with POST /accounts/{id}/webhook-secret",
        )
    try:
        target = await egress.resolve(url, settings.allowed_webhook_hosts, resolver)
    except egress.EgressRefused as exc:
        raise refused(url, f"it {exc}") from None

    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    original = httpx.URL(url)
    pinned = original.copy_with(host=str(target.address))
    headers = {
        "Host": original.netloc.decode("ascii"),
        "Content-Type": "application/json",
        "Idempotency-Key": event_id,
        "User-Agent": USER_AGENT,
        signing.SIGNATURE_HEADER: signing.header_value(secret, int(time.time()), body),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    async with httpx.AsyncClient(
        timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False, verify=trust or True
    ) as client:
        response = await client.post(pinned, content=body, headers=headers, extensions=extensions)
    if response.status_code >= 300:
        hint = " (redirects are not followed)" if response.status_code < 400 else ""
        raise WebhookRejected(f"{url} answered {response.status_code}{hint}")
    return True
