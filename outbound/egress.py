"""Which addresses Pledge may call on a customer's behalf (webhooks, monitors), and resolving
them once.

A webhook URL is chosen by a customer-facing person, but the call leaves from inside our
network: without this rule it could reach loopback services, the private network or a cloud
metadata endpoint (server-side request forgery). The rule is applied twice: when the URL is set
(the API answers 422) and when a call is made, on the address the name resolves to then, and
the call connects to exactly that address so a second lookup (DNS rebinding) cannot swap it.

Hosts listed in PLEDGE_WEBHOOK_ALLOWED_HOSTS (PLEDGE_MONITOR_ALLOWED_HOSTS for monitors) are
exempt, as written in the URL (a name or an IP literal): an allowed name does not make another
name resolving to the same address allowed. Names under `.invalid` (RFC 2606) never resolve:
the system resolver says so without asking a name server, which would be traffic for nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that cloud providers answer with their metadata service, refused whatever they resolve to.
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Metadata endpoints that are not already link-local (Alibaba's sits in the CGNAT range,
# AWS's IPv6 one in the unique-local range; both are refused as such too, named here for the
# message a person reads).
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254")
)

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
# A name server that does not answer must not hold a request (or an activity) for long.
RESOLVE_TIMEOUT_SECONDS = 5.0


class EgressRefused(ValueError):
    """The URL may not be called; the message says why in words a person can act on."""


@dataclass(frozen=True)
class Target:
    """A URL checked for calling, with the one address it resolved to and must be called at."""

    url: str
    scheme: str
    host: str  # as written in the URL, lower case, without IPv6 brackets
    port: int
    address: IPAddress


def normalise_hosts(hosts: Iterable[str]) -> frozenset[str]:
    """Allow-list entries compared the way URL hosts are: lower case, no brackets or dot."""
    return frozenset(h.strip().strip("[]").rstrip(".").lower() for h in hosts if h.strip())


def refusal(address: IPAddress) -> str | None:
    """Why `address` may not be called, or None if it is a public unicast address."""
    if address.version == 6:
        embedded = _embedded_ipv4(address)  # type: ignore[arg-type]
        if embedded is not None:
            why = refusal(embedded)
            return f"embeds {embedded}, which {why}" if why else None
    if address in _METADATA_ADDRESSES:
        return "is a cloud metadata address"
    if address.is_loopback:
        return "is a loopback address"
    if address.is_unspecified:
        return "is the unspecified address"
    if address.is_link_local:
        return "is a link-local address"
    if address.is_multicast:
        return "is a multicast address"
    if address.version == 4 and address in _CGNAT:
        return "is a carrier-grade NAT (shared) address"
    if address.is_reserved:
        return "is a reserved address"
    if address.is_private:
        return "is a private address"
    if not address.is_global:
        return "is not a public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _parts(url: str) -> tuple[str, str, int]:
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError as exc:
        raise EgressRefused(f"is not a valid URL ({exc})") from None
    scheme = split.scheme.lower()
    if scheme not in ("http", "https"):
        raise EgressRefused("must be an http or https URL")
    host = (split.hostname or "").rstrip(".").lower()
    if not host:
        raise EgressRefused("has no host")
    return scheme, host, port or (443 if scheme == "https" else 80)


# The setting that exempts hosts, named in refusals so a person knows what to change.
WEBHOOK_SETTING = "PLEDGE_WEBHOOK_ALLOWED_HOSTS"
MONITOR_SETTING = "PLEDGE_MONITOR_ALLOWED_HOSTS"


def check_url_form(
    url: str,
    allowed_hosts: frozenset[str] = frozenset(),
    *,
    https_only: bool = True,
    setting: str = WEBHOOK_SETTING,
) -> str:
    """Refuse what can be told from the URL alone; returns the URL (a pydantic validator).

    Literal addresses and metadata names are refused here, without connecting or looking up
    anything; names are resolved by `resolve`. `setting` is the allow-list named in refusals.
    """
    scheme, host, _ = _parts(url)
    if host in allowed_hosts:
        return url
    if https_only and scheme != "https":
        raise EgressRefused(f"must use https (plain http is allowed only for hosts in {setting})")
    if host in METADATA_HOSTS:
        raise EgressRefused(f"host {host} is a cloud metadata service")
    if host == "localhost" or host.endswith(".localhost"):
        # Always loopback (RFC 6761): refused as written, with no lookup.
        raise EgressRefused(
            f"host {host} resolves to 127.0.0.1, which is a loopback address "
            f"(allow it with {setting})"
        )
    literal = _literal(host)
    if literal is not None:
        why = refusal(literal)
        if why:
            raise EgressRefused(f"host {host} {why} (allow it with {setting})")
    return url


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """getaddrinfo on the event loop's thread pool, so a slow DNS server blocks nothing."""
    if host == "invalid" or host.endswith(".invalid"):
        # Answered as a name server must answer it (RFC 6761), without asking one.
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    found: list[IPAddress] = []
    for family, *_, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            # Drop an IPv6 zone (fe80::1%eth0): the address itself decides.
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if address not in found:
                found.append(address)
    return found


async def resolve(
    url: str,
    allowed_hosts: frozenset[str] = frozenset(),
    resolver: Resolver = system_resolver,
    *,
    https_only: bool = True,
    setting: str = WEBHOOK_SETTING,
) -> Target:
    """Check `url` and the addresses its host resolves to now; refuse if any is refused.

    Every address must pass, not just one: a name answering with a public and a private
    address would otherwise be called at whichever the connection picked.
    """
    check_url_form(url, allowed_hosts, https_only=https_only, setting=setting)
    scheme, host, port = _parts(url)
    literal = _literal(host)
    if literal is not None:
        return Target(url, scheme, host, port, literal)
    try:
        addresses = await asyncio.wait_for(resolver(host, port), RESOLVE_TIMEOUT_SECONDS)
    except TimeoutError:
        raise EgressRefused(
            f"host {host} did not resolve within {RESOLVE_TIMEOUT_SECONDS:.0f} s"
        ) from None
    except (OSError, UnicodeError) as exc:
        raise EgressRefused(f"host {host} does not resolve ({_dns_reason(exc)})") from None
    if not addresses:
        raise EgressRefused(f"host {host} does not resolve to any address")
    if host not in allowed_hosts:
        for address in addresses:
            why = refusal(address)
            if why:
                raise EgressRefused(
                    f"host {host} resolves to {address}, which {why} (allow it with {setting})"
                )
    return Target(url, scheme, host, port, addresses[0])


def _dns_reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__
