"""Sending webhooks: signed, pinned to the checked address, refused at send time, or off.

Every call goes to a receiver on 127.0.0.1 that the test starts; refused targets are never
contacted (the receiver counts what arrives).
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.webhooks import post_event
from outbound import signing
from settings import Settings
from tests.workflows.tickets import WebhookSink, serve_webhooks

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
PAYLOAD = {"event": "ticket.breach", "reference": "T-1", "clock": "first_response"}


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    yield from serve_webhooks()


def worker_settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(data_dir=tmp_path, **{"webhook_allowed_hosts": "127.0.0.1", **changes})


def port_of(sink: WebhookSink) -> int:
    return int(sink.url.rsplit(":", 1)[1].split("/", 1)[0])


async def test_the_receiver_can_verify_the_signature_and_its_freshness(
    sink: WebhookSink, tmp_path: Path
) -> None:
    secret = signing.new_secret()
    before = int(time.time())
    sent = await post_event(worker_settings(tmp_path), sink.url, secret, "T-1:breach", PAYLOAD)
    assert sent is True
    [(headers, body)] = sink.raw
    assert json.loads(body) == PAYLOAD
    header = headers["Pledge-Signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert before <= timestamp <= int(time.time())
    # What the README tells receivers to do, computed here independently of the sender.
    assert header == f"t={timestamp},v1=" + signing.signature(secret, timestamp, body)
    assert signing.verify(secret, header, body, now=int(time.time()))
    assert not signing.verify(signing.new_secret(), header, body, now=int(time.time()))
    assert not signing.verify(secret, header, body + b" ", now=int(time.time()))
    # A replay ten minutes later is refused by the timestamp check.
    assert not signing.verify(secret, header, body, now=timestamp + 600)
    assert headers["Idempotency-Key"] == "T-1:breach"


async def test_the_call_goes_to_the_checked_address_under_the_original_name(
    sink: WebhookSink, tmp_path: Path
) -> None:
    # hooks.invalid cannot resolve anywhere: if the client looked the name up again instead
    # of connecting to the address checked, the call would fail.
    async def dns(host: str, port: int) -> list[Address]:
        assert host == "hooks.invalid"
        return [ipaddress.ip_address("127.0.0.1")]

    url = f"http://hooks.invalid:{port_of(sink)}/hooks"
    settings = worker_settings(tmp_path, webhook_allowed_hosts="hooks.invalid")
    assert await post_event(settings, url, signing.new_secret(), "e-1", PAYLOAD, resolver=dns)
    [(headers, _)] = sink.raw
    assert headers["Host"] == f"hooks.invalid:{port_of(sink)}"


async def test_a_name_that_now_resolves_to_a_refused_address_is_not_called(
    sink: WebhookSink, tmp_path: Path
) -> None:
    # Allowed when it was set (say it resolved to a public address then); at send time the
    # worker's allow-list does not name it and it resolves to loopback: refused, not called.
    url = f"https://localhost:{port_of(sink)}/hooks"
    with pytest.raises(ApplicationError) as raised:
        await post_event(worker_settings(tmp_path), url, signing.new_secret(), "e-2", PAYLOAD)
    assert raised.value.non_retryable and raised.value.type == "WebhookRefused"
    assert "localhost resolves to" in str(raised.value) and "loopback" in str(raised.value)
    assert sink.raw == []


async def test_dns_rebinding_between_check_and_call_cannot_redirect_it(
    sink: WebhookSink, tmp_path: Path
) -> None:
    # A name server that answers public first and loopback after: the send-time check sees
    # the loopback answer and refuses; the receiver hears nothing.
    answers = iter(["93.184.215.14", "127.0.0.1"])

    async def rebinding(
        host: str, port: int
    ) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address(next(answers))]

    from outbound.egress import resolve  # the set-time check the API makes

    url = f"https://rebind.invalid:{port_of(sink)}/hooks"
    assert str((await resolve(url, resolver=rebinding)).address) == "93.184.215.14"
    with pytest.raises(ApplicationError, match="127.0.0.1, which is a loopback"):
        await post_event(
            worker_settings(tmp_path), url, signing.new_secret(), "e-3", PAYLOAD, resolver=rebinding
        )
    assert sink.raw == []


async def test_webhooks_turned_off_send_nothing(sink: WebhookSink, tmp_path: Path) -> None:
    settings = worker_settings(tmp_path, webhooks_enabled=False)
    assert await post_event(settings, sink.url, signing.new_secret(), "e-4", PAYLOAD) is False
    assert sink.raw == []


async def test_an_unsigned_call_is_never_made(sink: WebhookSink, tmp_path: Path) -> None:
    with pytest.raises(ApplicationError, match="no signing secret"):
        await post_event(worker_settings(tmp_path), sink.url, None, "e-5", PAYLOAD)
    assert sink.raw == []


async def test_a_redirect_is_not_followed(tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        with pytest.raises(Exception, match="answered 307 \\(redirects are not followed\\)"):
            await post_event(worker_settings(tmp_path), url, signing.new_secret(), "e-6", PAYLOAD)
    finally:
        server.shutdown()
        server.server_close()
    assert hits == ["/hooks"]


def certificate(name: str) -> tuple[bytes, bytes]:
    """A self-signed certificate for `name` and its key, PEM."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


@pytest.mark.parametrize(
    ("served_as", "delivered"), [("hooks.invalid", True), ("x.invalid", False)]
)
async def test_https_to_the_pinned_address_still_verifies_the_name(
    tmp_path: Path, served_as: str, delivered: bool
) -> None:
    """TLS is checked against the URL's name although the connection goes to an address: a
    receiver whose certificate names another host is refused."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cert_pem, key_pem = certificate(served_as)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    received: list[str] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["content-length"]))
            received.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.socket = server_tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    async def dns(host: str, port: int) -> list[Address]:
        return [ipaddress.ip_address("127.0.0.1")]

    trust = ssl.create_default_context(cadata=cert_pem.decode())
    settings = worker_settings(tmp_path, webhook_allowed_hosts="hooks.invalid")
    url = f"https://hooks.invalid:{port}/hooks"
    try:
        if delivered:
            sent = await post_event(
                settings, url, signing.new_secret(), "e-7", PAYLOAD, resolver=dns, trust=trust
            )
            assert sent and received == [f"hooks.invalid:{port}"]
        else:
            with pytest.raises(Exception, match="(?i)certificate|hostname"):
                await post_event(
                    settings, url, signing.new_secret(), "e-8", PAYLOAD, resolver=dns, trust=trust
                )
            assert received == []
    finally:
        server.shutdown()
        server.server_close()
