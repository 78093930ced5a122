"""A website on 127.0.0.1 for monitors to watch: it answers, fails, stops and starts again.

Real sockets and a real HTTP server (the standard library's, in a thread), with TLS from a
certificate made here when asked, so a probe exercises everything it does in production.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import free_port

WELCOME = "Welcome to Harbour Cafe"
PAGE = f"<!doctype html><title>Harbour Cafe</title><h1>{WELCOME}</h1>".encode()


class Site:
    """The server and what it is told to do; every request is counted by path."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.port = free_port()
        self.tls = tls
        self.requests: Counter[str] = Counter()
        self.user_agents: list[str] = []
        self.failing = 0  # the next this many requests to / answer 503
        self.slow_seconds = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def probes(self) -> int:
        return self.requests["/"]

    def fail_next(self, count: int) -> None:
        with self._lock:
            self.failing = count

    def start(self) -> None:
        """Listen (again) on the same port."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                path = self.path.split("?", 1)[0]
                site.requests[path] += 1
                site.user_agents.append(self.headers.get("User-Agent", ""))
                site.answer(self, path)

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        if self.tls:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        """Stop listening: connections are refused until start()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        if path == "/":
            with self._lock:
                failing = self.failing > 0
                self.failing = max(0, self.failing - 1)
            if failing:
                return _send(handler, 503, b"Down for a moment")
            return _send(handler, 200, PAGE)
        if path == "/redirect":
            return _send(handler, 302, b"", location="/moved")
        if path == "/moved":
            return _send(handler, 301, b"", location=f"{self.url}/")
        if path == "/loop":
            return _send(handler, 302, b"", location="/loop")
        if path == "/inside":
            # A redirect to the private network: must be refused, never followed.
            return _send(handler, 302, b"", location="http://10.1.2.3/admin")
        if path == "/slow":
            time.sleep(self.slow_seconds)
            return _send(handler, 200, PAGE)
        if path == "/big":
            # The keyword past the first megabyte: not read, so not found.
            return _send(handler, 200, b"x" * 1_100_000 + WELCOME.encode())
        return _send(handler, 404, b"Not here")


def _send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, location: str | None = None
) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        if location:
            handler.send_header("Location", location)
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the prober gave up (a timeout test)


@contextmanager
def serve(tls: ssl.SSLContext | None = None) -> Iterator[Site]:
    site = Site(tls)
    site.start()
    try:
        yield site
    finally:
        site.stop()


def certificate(
    directory: Path, *, expires_in: dt.timedelta
) -> tuple[ssl.SSLContext, ssl.SSLContext, dt.datetime]:
    """A certificate for 127.0.0.1 expiring `expires_in` from now: the server's context, a
    client context trusting it, and its expiry (whole seconds, as certificates carry it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    expires = now + expires_in
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(expires)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "site.crt", directory / "site.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client, expires
