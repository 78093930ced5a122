"""A real IMAP server for the tests and the benchmark: Debian's Dovecot, run in the foreground
with a configuration of its own in a temporary directory, on a free loopback port, plain
authentication against a passwd-file. `make test` installs it (dovecot-imapd); a machine
without it fails the tests that need it, saying how to install it.
"""

from __future__ import annotations

import contextlib
import ctypes
import imaplib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    root: Path

    def add_user(self, name: str | None = None) -> tuple[str, str]:
        """A new mailbox user of its own (so tests share nothing): (user name, password)."""
        user = name or f"support-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(12)
        with (self.root / "users").open("a") as users:
            users.write(f"{user}:{{PLAIN}}{password}\n")
        return user, password

    @contextlib.contextmanager
    def login(self, user: str, password: str) -> Iterator[imaplib.IMAP4]:
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            connection.login(user, password)
            yield connection
        finally:
            with contextlib.suppress(Exception):
                connection.logout()

    def append(
        self,
        user: str,
        password: str,
        raw: bytes,
        folder: str = "INBOX",
        at: datetime | None = None,
    ) -> None:
        """Deliver `raw` as a mail server would (IMAP APPEND), arriving `at` (INTERNALDATE)."""
        with self.login(user, password) as imap:
            when = imaplib.Time2Internaldate(at.timestamp()) if at else None
            typ, data = imap.append(f'"{folder}"', None, when, raw)
            assert typ == "OK", data

    def count(self, user: str, password: str, folder: str) -> int:
        with self.login(user, password) as imap:
            typ, data = imap.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return 0
            typ, data = imap.uid("SEARCH", None, "UNDELETED")
            return len((data[0] or b"").split())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(root: Path, port: int) -> str:
    me = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        # Dovecot will not run its login processes, or mail, as root: its own users do.
        login_user, internal_user, mail_user = "dovenull", "dovecot", "dovecot"
    else:
        login_user = internal_user = mail_user = me
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = pledge-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
mail_uid = {mail_user}
mail_gid = {mail_user}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/mail/%u
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
"""


def _die_with_parent() -> None:
    """A test run or bench killed outright must not leave Dovecot holding its port."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def dovecot() -> Iterator[ImapServer]:
    """Dovecot on a free loopback port, in a directory of its own, until the block ends."""
    if not DOVECOT.exists():
        raise FileNotFoundError(
            f"{DOVECOT} is missing: the mail-in tests need Dovecot "
            "(apt-get install dovecot-imapd, which `make test` does)"
        )
    root = Path(tempfile.mkdtemp(prefix="pledge-imap-"))
    (root / "mail").mkdir()
    (root / "users").write_text("")
    if os.getuid() == 0:
        # The mail user writes the maildirs (root is made under /tmp, which lets it through).
        shutil.chown(root / "mail", "dovecot", "dovecot")
        root.chmod(0o711)
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(_config(root, port))
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=(root / "stderr.log").open("wb"),
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "stderr.log").read_text(errors="replace")
                raise RuntimeError(f"Dovecot did not start on 127.0.0.1:{port}: {log[-2000:]}")
            time.sleep(0.1)
        yield ImapServer(host="127.0.0.1", port=port, root=root)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        shutil.rmtree(root, ignore_errors=True)
