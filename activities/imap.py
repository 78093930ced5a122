"""A small IMAP client over the standard library's imaplib: what a mailbox's activities need.

Blocking, so the activities run it on a thread. It connects to the one address the egress
rule approved (outbound.egress.resolve), presenting the host's name for TLS, so a second
lookup cannot swap the address. Messages are read with BODY.PEEK[], which leaves them unseen:
only a move, after the mail is recorded, changes anything on the server. IDLE (RFC 2177) is
spoken by hand, since imaplib in Python 3.11 has no IDLE.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import select
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime

TIMEOUT_SECONDS = 30.0
_FETCH_META = re.compile(rb"UID (\d+)|INTERNALDATE \"([^\"]+)\"")


class ImapProblem(Exception):
    """The mailbox could not be read; the message is for a person and holds no secret."""


@dataclass(frozen=True)
class Message:
    uid: int
    arrived_at: datetime  # INTERNALDATE: when the server took it in
    raw: bytes


class _Plain(imaplib.IMAP4):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        self._address = address
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):  # type: ignore[no-untyped-def]
        return socket.create_connection((self._address, self.port), timeout)


class _Tls(imaplib.IMAP4_SSL):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        self._address = address
        super().__init__(host, port, ssl_context=ssl.create_default_context(), timeout=timeout)

    def _create_socket(self, timeout):  # type: ignore[no-untyped-def]
        sock = socket.create_connection((self._address, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def _words(exc: BaseException) -> str:
    """A failure as a person reads it; imaplib's errors quote the server's bytes."""
    if isinstance(exc, ConnectionRefusedError):
        return "the server refused the connection (is it running, on that port?)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "the server did not answer in time"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text)[:300] or type(exc).__name__


class Connection:
    """One logged-in session with a folder selected."""

    def __init__(
        self,
        *,
        address: str,
        host: str,
        port: int,
        tls: bool,
        username: str,
        password: str,
        folder: str,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        try:
            kind = _Tls if tls else _Plain
            self._imap: imaplib.IMAP4 = kind(address, host, port, timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapProblem(f"cannot connect to {host}:{port}: {_words(exc)}") from None
        try:
            self._imap.login(username, password)
        except imaplib.IMAP4.error as exc:
            self.close()
            raise ImapProblem(f"{host} refused the user name or password ({_words(exc)})") from None
        except OSError as exc:
            self.close()
            raise ImapProblem(f"{host} went away while logging in: {_words(exc)}") from None
        self.capabilities = self._capabilities()
        self.folder = folder
        self.uid_validity = self._select(folder)

    def _capabilities(self) -> frozenset[str]:
        # What the server offers once logged in (imaplib kept the greeting's only).
        typ, data = self._imap.capability()
        words = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")
        return frozenset(w.upper() for w in words.split())

    def _select(self, folder: str) -> int | None:
        typ, data = self._imap.select(_quoted(folder))
        if typ != "OK":
            said = _words(imaplib.IMAP4.error(data))
            raise ImapProblem(f"there is no folder {folder!r} ({said})")
        typ, data = self._imap.response("UIDVALIDITY")
        try:
            return int(data[0]) if data and data[0] else None
        except (TypeError, ValueError):
            return None

    @property
    def offers_idle(self) -> bool:
        return "IDLE" in self.capabilities

    def uids(self, after: int = 0) -> list[int]:
        """The messages in the folder not marked deleted, oldest first (UIDs above `after`)."""
        criteria = f"UID {after + 1}:*" if after else "ALL"
        typ, data = self._imap.uid("SEARCH", None, criteria, "UNDELETED")
        if typ != "OK":
            raise ImapProblem(f"the server would not search {self.folder!r}")
        found = sorted({int(u) for u in (data[0] or b"").split()})
        return [u for u in found if u > after]  # `n:*` always names the newest, even below n

    def fetch(self, uids: list[int]) -> list[Message]:
        """The messages whole, as received, left unseen (BODY.PEEK)."""
        if not uids:
            return []
        wanted = ",".join(str(u) for u in uids)
        typ, data = self._imap.uid("FETCH", wanted, "(UID INTERNALDATE BODY.PEEK[])")
        if typ != "OK":
            raise ImapProblem(f"the server would not hand over messages in {self.folder!r}")
        found: list[Message] = []
        for item in data:
            if not isinstance(item, tuple):
                continue
            meta, raw = item[0], item[1]
            uid, arrived = None, None
            for match in _FETCH_META.finditer(meta):
                if match.group(1):
                    uid = int(match.group(1))
                if match.group(2):
                    arrived = _internal_date(match.group(2).decode("ascii"))
            if uid is not None:
                found.append(Message(uid=uid, arrived_at=arrived or datetime.now(UTC), raw=raw))
        return sorted(found, key=lambda m: m.uid)

    def move(self, uids: list[int], folder: str) -> None:
        """Move messages to `folder` (made if missing): MOVE where offered, else copy, mark
        deleted and expunge."""
        if not uids:
            return
        self._imap.create(_quoted(folder))  # refused when it exists, which is all we need
        wanted = ",".join(str(u) for u in uids)
        if "MOVE" in self.capabilities:
            typ, data = self._imap.uid("MOVE", wanted, _quoted(folder))
        else:
            typ, data = self._imap.uid("COPY", wanted, _quoted(folder))
            if typ == "OK":
                self._imap.uid("STORE", wanted, "+FLAGS.SILENT", r"(\Deleted \Seen)")
                if "UIDPLUS" in self.capabilities:
                    self._imap.uid("EXPUNGE", wanted)
                else:
                    self._imap.expunge()
        if typ != "OK":
            raise ImapProblem(f"the server would not move messages to {folder!r}")

    # -- IDLE ----------------------------------------------------------------------------

    def idle_start(self) -> None:
        self._idle_tag = self._imap._new_tag()  # type: ignore[attr-defined]
        self._imap.send(self._idle_tag + b" IDLE\r\n")
        line = self._imap.readline()
        if not line.startswith(b"+"):
            raise ImapProblem("the server would not IDLE")

    def idle_wait(self, seconds: float) -> bool:
        """True when the server said something arrived within `seconds`."""
        sock = self._imap.sock
        pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        if not pending:
            readable, _, _ = select.select([sock], [], [], seconds)
            if not readable:
                return False
        line = self._imap.readline()
        if not line:
            raise ImapProblem("the server closed the connection while idling")
        return b"EXISTS" in line.upper() or b"RECENT" in line.upper()

    def idle_done(self) -> None:
        self._imap.send(b"DONE\r\n")
        while True:
            line = self._imap.readline()
            if not line or line.startswith(self._idle_tag):
                return

    def close(self) -> None:
        try:
            self._imap.logout()
        except Exception:  # noqa: BLE001 - closing a connection that failed already
            with contextlib.suppress(Exception):
                self._imap.shutdown()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _internal_date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None
