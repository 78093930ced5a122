"""The egress rule: which addresses a webhook may reach. Addresses are validated, never called."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from outbound.egress import (
    EgressRefused,
    check_url_form,
    refusal,
    resolve,
    system_resolver,
)

REFUSED = {
    "127.0.0.1": "loopback",
    "127.9.9.9": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.10.10": "link-local",
    "169.254.169.254": "metadata",
    "100.64.0.1": "carrier-grade NAT",
    "100.100.100.200": "metadata",
    "0.0.0.0": "unspecified",
    "0.1.2.3": "private",  # "this network"
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "192.0.2.10": "private",  # documentation
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fd00:ec2::254": "metadata",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "embeds 127.0.0.1, which is a loopback",
    "::ffff:169.254.169.254": "embeds 169.254.169.254, which is a cloud metadata",
    "::ffff:10.0.0.1": "embeds 10.0.0.1, which is a private",
    "2002:7f00:1::1": "embeds 127.0.0.1",  # 6to4
    "64:ff9b::a9fe:a9fe": "embeds 169.254.169.254",  # NAT64
}
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "words"), sorted(REFUSED.items()))
def test_internal_addresses_are_refused_with_the_reason(address: str, words: str) -> None:
    why = refusal(ipaddress.ip_address(address))
    assert why is not None and words in why, why


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]:8443/hook", "loopback"),
        ("https://[::ffff:7f00:1]/hook", "embeds 127.0.0.1"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://metadata.google.internal/computeMetadata/v1", "metadata"),
        ("https://METADATA.google.internal./x", "metadata"),
        ("http://93.184.215.14/hook", "https"),
        ("ftp://93.184.215.14/hook", "http or https"),
        ("https:///nohost", "no host"),
        ("https://93.184.215.14:99999/", "not a valid URL"),
    ],
)
def test_urls_refused_on_their_face(url: str, words: str) -> None:
    with pytest.raises(EgressRefused, match=words):
        check_url_form(url)


def test_an_allowed_host_may_be_loopback_and_plain_http() -> None:
    allowed = frozenset({"127.0.0.1"})
    assert check_url_form("http://127.0.0.1:8080/hooks", allowed) == "http://127.0.0.1:8080/hooks"
    # Only the host as written: another spelling of the same address is not allowed.
    with pytest.raises(EgressRefused, match="https"):
        check_url_form("http://localhost:8080/hooks", allowed)
    with pytest.raises(EgressRefused, match="loopback"):
        check_url_form("https://[::1]:8080/hooks", allowed)


def dns(answers: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    """A stand-in for DNS: the tests never query a real name server (that is not loopback)."""
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in answers[host]]

    resolver.asked = asked  # type: ignore[attr-defined]
    return resolver


async def test_a_name_is_refused_if_any_of_its_addresses_is() -> None:
    resolver = dns({"hooks.customer.invalid": ["93.184.215.14", "10.0.0.7"]})
    with pytest.raises(EgressRefused, match="resolves to 10.0.0.7, which is a private address"):
        await resolve("https://hooks.customer.invalid/x", resolver=resolver)


async def test_a_name_that_does_not_resolve_is_refused_clearly() -> None:
    with pytest.raises(EgressRefused, match=r"host hooks.invalid does not resolve \(Name or"):
        await resolve("https://hooks.invalid/x", resolver=dns({}))


async def test_a_name_server_that_does_not_answer_is_a_refusal_not_a_hang() -> None:
    import asyncio

    async def silent(host: str, port: int) -> list[ipaddress.IPv4Address]:
        await asyncio.sleep(3600)
        return []

    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(EgressRefused, match="did not resolve within 5 s"):
        await resolve("https://slow.invalid/x", resolver=silent)
    assert loop.time() - started < 30


async def test_a_public_name_is_pinned_to_the_address_it_resolved_to() -> None:
    resolver = dns({"hooks.customer.invalid": ["93.184.215.14", "2606:4700:4700::1111"]})
    target = await resolve("https://Hooks.Customer.invalid:8443/x", resolver=resolver)
    assert (target.host, target.port, str(target.address)) == (
        "hooks.customer.invalid",
        8443,
        "93.184.215.14",
    )


async def test_a_literal_address_is_not_looked_up() -> None:
    resolver = dns({})
    target = await resolve("https://93.184.215.14/x", resolver=resolver)
    assert str(target.address) == "93.184.215.14"
    assert resolver.asked == []  # type: ignore[attr-defined]


async def test_an_allowed_name_is_still_resolved_once_to_pin_it() -> None:
    resolver = dns({"receiver.invalid": ["127.0.0.1"]})
    target = await resolve(
        "http://receiver.invalid:9/x", frozenset({"receiver.invalid"}), resolver=resolver
    )
    assert str(target.address) == "127.0.0.1"
    assert resolver.asked == ["receiver.invalid"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("host", ["0x7f000001", "2130706433", "0177.0.0.1", "127.1"])
async def test_other_spellings_of_loopback_are_refused_once_resolved(host: str) -> None:
    # Numeric forms: the resolver reads them itself, no name server is asked.
    with pytest.raises(EgressRefused, match="resolves to 127.0.0.1, which is a loopback"):
        await resolve(f"https://{host}/x")


async def test_the_system_resolver_answers_localhost_and_the_rule_refuses_it() -> None:
    # localhost comes from /etc/hosts: no name server is asked.
    addresses = await system_resolver("localhost", 443)
    assert addresses and all(a.is_loopback for a in addresses)
    with pytest.raises(EgressRefused, match="host localhost resolves to .* loopback"):
        await resolve("https://localhost/x")
