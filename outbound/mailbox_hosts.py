"""Which IMAP servers a mailbox may be read from: the egress rule webhooks and monitors obey
(outbound.egress), applied to a host and port, with its own allow-list."""

from __future__ import annotations

import ipaddress

# The setting that exempts hosts, named in refusals so a person knows what to change.
SETTING = "PLEDGE_MAILBOX_ALLOWED_HOSTS"


def url_of(host: str, port: int) -> str:
    """The host as the egress rule reads it (a URL), IPv6 literals in brackets."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}/"
    return f"http://[{literal}]:{port}/" if literal.version == 6 else f"http://{literal}:{port}/"


def is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
