"""One look at a watched URL: a GET that follows redirects, its status, an optional keyword in
the page, how long it took and when its TLS certificate expires.

Every hop is checked against the egress rule (outbound/egress.py) and connects to exactly the
address that was checked, as webhooks do: a monitored name re-pointed at an internal address,
or a redirect to one, is refused rather than called. What goes wrong with the site (no answer,
a 503, a missing keyword, a refused certificate) is the result, in words a person reads; only
a fault of our own raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import httpx

from outbound import egress

PROBE_SECONDS = 10.0  # the whole probe, redirects and name lookups included
MAX_REDIRECTS = 5
BODY_LIMIT = 1_000_000  # bytes of a page read looking for the keyword
ERROR_LIMIT = 500


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    response_ms: int | None = None
    error: str | None = None
    cert_expires_at: datetime | None = None


def user_agent(public_url: str) -> str:
    """Says who is knocking, so a site's owner can tell our probes from an attack."""
    return f"Pledge-Monitor/1 (uptime check; +{public_url})"


async def probe(
    url: str,
    *,
    expected_status: int = 200,
    keyword: str | None = None,
    allowed_hosts: frozenset[str] = frozenset(),
    agent: str = user_agent("https://pledge.invalid"),
    resolver: egress.Resolver = egress.system_resolver,
    trust: ssl.SSLContext | None = None,
    timeout: float = PROBE_SECONDS,
) -> Outcome:
    """Look at `url` once; never raises for anything the site does."""
    # A 3xx that is expected is the answer itself (checking that a redirect is in place).
    follow = not 300 <= expected_status < 400
    state: dict[str, Any] = {"cert": None}
    try:
        async with asyncio.timeout(timeout):
            return await _exchange(
                url, expected_status, keyword, allowed_hosts, agent, resolver, trust,
                timeout, follow, state,
            )  # fmt: skip
    except TimeoutError:
        return _failed(f"no answer within {timeout:g} seconds", cert=state["cert"])
    except httpx.TimeoutException:
        return _failed(f"no answer within {timeout:g} seconds", cert=state["cert"])
    except httpx.ConnectError as exc:
        return _failed(_connect_words(exc), cert=state["cert"])
    except httpx.HTTPError as exc:
        return _failed(f"the connection broke off: {_plain(exc)}", cert=state["cert"])


async def _exchange(
    url: str,
    expected_status: int,
    keyword: str | None,
    allowed_hosts: frozenset[str],
    agent: str,
    resolver: egress.Resolver,
    trust: ssl.SSLContext | None,
    timeout: float,
    follow: bool,
    state: dict[str, Any],
) -> Outcome:
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False, verify=trust or _system_trust()
    ) as client:
        started = time.perf_counter()
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                target = await egress.resolve(
                    current,
                    allowed_hosts,
                    resolver,
                    https_only=False,
                    setting=egress.MONITOR_SETTING,
                )
            except egress.EgressRefused as exc:
                where = "" if current == url else f"it redirected to {current}, whose "
                return _failed(f"{where}{exc}", cert=state["cert"])
            original = httpx.URL(current)
            pinned = original.copy_with(host=str(target.address))
            headers = {
                "Host": original.netloc.decode("ascii"),
                "User-Agent": agent,
                "Accept": "text/html,application/json;q=0.9,*/*;q=0.8",
                "Cache-Control": "no-cache",
            }
            extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
            async with client.stream(
                "GET", pinned, headers=headers, extensions=extensions
            ) as response:
                if target.scheme == "https":
                    state["cert"] = _certificate_expiry(response) or state["cert"]
                location = response.headers.get("location")
                if follow and response.is_redirect and location:
                    current = urljoin(current, location)
                    continue
                elapsed = _ms(started)
                status = response.status_code
                if status != expected_status:
                    reason = f" {response.reason_phrase}" if response.reason_phrase else ""
                    return _failed(
                        f"answered {status}{reason}, expected {expected_status}",
                        status=status, ms=elapsed, cert=state["cert"],
                    )  # fmt: skip
                if keyword and not await _contains(response, keyword):
                    return _failed(
                        f'the page does not contain "{keyword}"',
                        status=status, ms=elapsed, cert=state["cert"],
                    )  # fmt: skip
                return Outcome(True, status, elapsed, None, state["cert"])
    return _failed(f"more than {MAX_REDIRECTS} redirects", cert=state["cert"])


async def _contains(response: httpx.Response, keyword: str) -> bool:
    """Whether the first BODY_LIMIT bytes of the page hold `keyword` (a page's first megabyte
    is where a word a person checks for sits; the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= BODY_LIMIT:
            break
    body = b"".join(chunks)[:BODY_LIMIT]
    return keyword in body.decode(response.encoding or "utf-8", errors="replace")


@functools.cache
def _system_trust() -> ssl.SSLContext:
    """The certificate authorities httpx trusts, loaded once: building the context costs more
    CPU than a probe of a fast site."""
    return httpx.create_ssl_context()


def _certificate_expiry(response: httpx.Response) -> datetime | None:
    """When the server's certificate stops being valid, read from the open connection."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    ssl_object = stream.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    with contextlib.suppress(ValueError, KeyError, TypeError):
        not_after = ssl_object.getpeercert()["notAfter"]
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
    return None


def _connect_words(exc: httpx.ConnectError) -> str:
    """The cause a person can act on: the certificate, or the system's word for the failure
    ('Connection refused'), which httpx wraps in 'All connection attempts failed'."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"its TLS certificate was refused: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"the TLS handshake failed: {cause.reason or _plain(cause)}"
    for cause in chain:
        if isinstance(cause, OSError) and cause.errno:
            return f"could not connect: {os.strerror(cause.errno)}"
    return f"could not connect: {_plain(exc)}"


def _plain(exc: BaseException) -> str:
    """An error's message without the errno ('[Errno 111] Connection refused')."""
    text = str(exc) or type(exc).__name__
    if text.startswith("[Errno") and "] " in text:
        text = text.split("] ", 1)[1]
    return text


def _ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))


def _failed(
    error: str, *, status: int | None = None, ms: int | None = None, cert: datetime | None = None
) -> Outcome:
    return Outcome(False, status, ms, error[:ERROR_LIMIT], cert)
