"""A probe against a real website on 127.0.0.1: status, keyword, redirects, time, TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest

from activities.probe import BODY_LIMIT, Outcome, probe, user_agent
from outbound.egress import IPAddress
from tests.site import WELCOME, Site, certificate, serve

LOCAL = frozenset({"127.0.0.1"})


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as site:
        yield site


async def test_a_healthy_page_passes_with_its_time_and_our_name(site: Site) -> None:
    outcome = await probe(
        f"{site.url}/", keyword=WELCOME, allowed_hosts=LOCAL, agent=user_agent("https://x.invalid")
    )
    assert outcome.ok and outcome.status_code == 200 and outcome.error is None
    assert outcome.response_ms is not None and 0 <= outcome.response_ms < 5000
    assert site.user_agents == ["Pledge-Monitor/1 (uptime check; +https://x.invalid)"]


async def test_another_status_than_expected_fails_in_words(site: Site) -> None:
    outcome = await probe(f"{site.url}/nothing-here", allowed_hosts=LOCAL)
    assert outcome == Outcome(
        False, 404, outcome.response_ms, "answered 404 Not Found, expected 200", None
    )
    assert (await probe(f"{site.url}/nothing-here", expected_status=404, allowed_hosts=LOCAL)).ok


async def test_a_missing_keyword_fails_and_only_the_first_megabyte_is_read(site: Site) -> None:
    missing = await probe(f"{site.url}/", keyword="Closed for winter", allowed_hosts=LOCAL)
    assert not missing.ok and missing.status_code == 200
    assert missing.error == 'the page does not contain "Closed for winter"'
    beyond = await probe(f"{site.url}/big", keyword=WELCOME, allowed_hosts=LOCAL)
    assert not beyond.ok and BODY_LIMIT < 1_100_000
    assert (await probe(f"{site.url}/big", keyword="xxxx", allowed_hosts=LOCAL)).ok


async def test_redirects_are_followed_unless_a_redirect_is_what_is_expected(site: Site) -> None:
    followed = await probe(f"{site.url}/redirect", keyword=WELCOME, allowed_hosts=LOCAL)
    assert followed.ok and followed.status_code == 200
    assert site.requests["/redirect"] == site.requests["/moved"] == site.requests["/"] == 1
    kept = await probe(f"{site.url}/redirect", expected_status=302, allowed_hosts=LOCAL)
    assert kept.ok and kept.status_code == 302 and site.requests["/moved"] == 1
    looping = await probe(f"{site.url}/loop", allowed_hosts=LOCAL)
    assert not looping.ok and looping.error == "more than 5 redirects"
    assert site.requests["/loop"] == 6


async def test_a_redirect_into_the_private_network_is_refused_not_followed(site: Site) -> None:
    looked_up: list[str] = []

    async def resolver(host: str, port: int) -> list[IPAddress]:
        looked_up.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    outcome = await probe(f"{site.url}/inside", allowed_hosts=LOCAL, resolver=resolver)
    assert not outcome.ok
    assert outcome.error == (
        "it redirected to http://10.1.2.3/admin, whose host 10.1.2.3 is a private address "
        "(allow it with PLEDGE_MONITOR_ALLOWED_HOSTS)"
    )
    assert looked_up == []  # an address literal: refused as written, nothing looked up


async def test_loopback_is_refused_unless_allowed_without_connecting(site: Site) -> None:
    outcome = await probe(f"{site.url}/")
    assert not outcome.ok and outcome.error is not None
    assert "127.0.0.1 is a loopback address" in outcome.error
    assert "PLEDGE_MONITOR_ALLOWED_HOSTS" in outcome.error
    assert site.requests["/"] == 0


async def test_a_name_resolving_inside_is_refused_without_connecting() -> None:
    async def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("192.168.1.20")]

    outcome = await probe("https://intranet.example.invalid/", resolver=resolver, timeout=2)
    assert outcome.error == (
        "host intranet.example.invalid resolves to 192.168.1.20, which is a private address "
        "(allow it with PLEDGE_MONITOR_ALLOWED_HOSTS)"
    )


async def test_invalid_names_never_resolve() -> None:
    outcome = await probe("https://www.example.invalid/")
    assert outcome == Outcome(
        False, error="host www.example.invalid does not resolve (Name or service not known)"
    )


async def test_a_slow_site_times_out(site: Site) -> None:
    site.slow_seconds = 2
    outcome = await probe(f"{site.url}/slow", allowed_hosts=LOCAL, timeout=0.5)
    assert outcome == Outcome(False, error="no answer within 0.5 seconds")


async def test_a_site_that_is_not_listening_is_refused(site: Site) -> None:
    site.stop()
    outcome = await probe(f"{site.url}/", allowed_hosts=LOCAL)
    assert outcome == Outcome(False, error="could not connect: Connection refused")


async def test_https_reads_the_certificate_expiry(tmp_path: Path) -> None:
    server, trusted, expires = certificate(tmp_path, expires_in=dt.timedelta(days=12))
    with serve(server) as site:
        outcome = await probe(f"{site.url}/", allowed_hosts=LOCAL, trust=trusted)
        assert outcome.ok and outcome.cert_expires_at == expires
        untrusted = await probe(f"{site.url}/", allowed_hosts=LOCAL)
        assert untrusted.error == "its TLS certificate was refused: self-signed certificate"


async def test_an_expired_certificate_fails(tmp_path: Path) -> None:
    server, trusted, _ = certificate(tmp_path, expires_in=dt.timedelta(days=-1))
    with serve(server) as site:
        outcome = await probe(f"{site.url}/", allowed_hosts=LOCAL, trust=trusted)
    assert outcome == Outcome(
        False, error="its TLS certificate was refused: certificate has expired"
    )
