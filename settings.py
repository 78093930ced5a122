"""Pledge's configuration, read from the environment by the API, the worker and the launcher."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    """Every setting Pledge reads; the environment variable names are the aliases."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    data_dir: Path = Field(ROOT / ".data", validation_alias="PLEDGE_DATA_DIR")
    # None means the embedded default, an SQLite file in the data directory.
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    # How long a request waits for SQLite's write lock before it is answered 503 Retry-After.
    database_busy_seconds: float = Field(
        10.0, gt=0, validation_alias="PLEDGE_DATABASE_BUSY_SECONDS"
    )
    # None means the embedded default: `make run` starts the dev server on 127.0.0.1.
    temporal_address: str | None = Field(None, validation_alias="TEMPORAL_ADDRESS")
    temporal_dev_port: int = Field(7233, validation_alias="TEMPORAL_DEV_PORT")
    temporal_namespace: str = Field("default", validation_alias="TEMPORAL_NAMESPACE")
    temporal_task_queue: str = Field("pledge", validation_alias="TEMPORAL_TASK_QUEUE")
    temporal_ui_port: int = Field(8233, validation_alias="TEMPORAL_UI_PORT")
    temporal_connect_timeout: float = Field(30.0, validation_alias="TEMPORAL_CONNECT_TIMEOUT")
    api_host: str = Field("127.0.0.1", validation_alias="PLEDGE_API_HOST")
    api_port: int = Field(8000, validation_alias="PLEDGE_API_PORT")
    public_url: str | None = Field(None, validation_alias="PLEDGE_PUBLIC_URL")
    bootstrap_api_key: str | None = Field(None, validation_alias="PLEDGE_BOOTSTRAP_API_KEY")
    metrics_address: str = Field("127.0.0.1:9464", validation_alias="PLEDGE_METRICS_ADDRESS")
    # None: e-mail is written to <data dir>/outbox as .eml files instead of being sent.
    smtp_host: str | None = Field(None, validation_alias="SMTP_HOST")
    smtp_port: int = Field(1025, validation_alias="SMTP_PORT")
    mail_from: str = Field("Pledge <pledge@localhost>", validation_alias="PLEDGE_MAIL_FROM")
    # The support line customers may call, shown in the portal beside the e-mail address.
    support_phone: str | None = Field(None, max_length=50, validation_alias="PLEDGE_SUPPORT_PHONE")
    customer_services_email: str | None = Field(
        None, validation_alias="PLEDGE_CUSTOMER_SERVICES_EMAIL"
    )
    development_email: str | None = Field(None, validation_alias="PLEDGE_DEVELOPMENT_EMAIL")
    complaints_manager_email: str | None = Field(
        None, validation_alias="PLEDGE_COMPLAINTS_MANAGER_EMAIL"
    )
    # The support team's shared address: told of a warning or breach when the ticket has no
    # assignee and its account no account manager, so none goes unread. A policy may name its
    # own (`team_email`), which wins for its tickets.
    team_email: str | None = Field(None, validation_alias="PLEDGE_TEAM_EMAIL")
    # Who the letters and reports come from.
    organisation_name: str = Field(
        "Pledge Customer Success", validation_alias="PLEDGE_ORGANISATION"
    )
    organisation_address: str = Field("", validation_alias="PLEDGE_ORGANISATION_ADDRESS")
    # Who signs a complaint letter when no person is named (a handler or a key's full name):
    # the department, never a machine's or key's name.
    complaints_team_name: str = Field(
        "Complaints team", min_length=1, validation_alias="PLEDGE_COMPLAINTS_TEAM"
    )
    log_level: str = Field("info", validation_alias="PLEDGE_LOG_LEVEL")
    # Where the letter and report templates are read from; None means reports/templates. A
    # deployment may carry its own letterhead; the tests point it at a copy with a letter missing.
    templates_dir: Path | None = Field(None, validation_alias="PLEDGE_TEMPLATES_DIR")
    # make run fills an empty database with demo accounts and tickets unless this is false.
    demo_data: bool = Field(True, validation_alias="PLEDGE_DEMO_DATA")
    # The largest file a ticket may be given (portal, console, API, mail), in megabytes. Each
    # file is held in memory while it is checked, up to this and 10 files a request.
    attachment_max_mb: float = Field(10, gt=0, le=100, validation_alias="PLEDGE_ATTACHMENT_MAX_MB")
    # Where the SLA presets (<key>.toml) and complaint regimes are read from; None: the files
    # shipped in sla/presets and sla/regimes. Open cases keep the terms they were opened under.
    presets_dir: Path | None = Field(None, validation_alias="PLEDGE_PRESETS_DIR")
    regimes_dir: Path | None = Field(None, validation_alias="PLEDGE_REGIMES_DIR")

    @field_validator(
        "database_url",
        "temporal_address",
        "bootstrap_api_key",
        "public_url",
        "smtp_host",
        "customer_services_email",
        "development_email",
        "complaints_manager_email",
        "team_email",
        "templates_dir",
        "presets_dir",
        "regimes_dir",
        "monitor_task_queue",
        "huddle_email",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `DATABASE_URL= make run` should mean the default, not an empty URL.
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def effective_database_url(self) -> str:
        """The configured database, or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.data_dir / 'pledge.db'}"

    @property
    def embedded_temporal(self) -> bool:
        """True when Pledge runs its own Temporal dev server rather than joining one."""
        return self.temporal_address is None

    @property
    def effective_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_dev_port}"

    @property
    def effective_public_url(self) -> str:
        """Where people reach the API (links in e-mails and calendar feeds)."""
        return self.public_url or f"http://{self.api_host}:{self.api_port}"

    def unheard_escalations(self) -> str | None:
        """What goes unheard for want of a team address, or None when every policy has one.

        Read against the presets in use (sla.use_data_dirs). Not a failure: deadlines are still
        counted and assigned tickets still escalate; the launcher and /health say it instead.
        """
        from sla.loader import policies_without_team_address  # settings stays importable alone

        missing = policies_without_team_address(self.team_email)
        if not missing:
            return None
        return (
            "no team address is set (PLEDGE_TEAM_EMAIL, or team_email in the policy): SLA "
            "warnings and breaches on unassigned tickets at accounts with no account manager "
            f"reach nobody under {', '.join(missing)}"
        )

    def unposted_letters(self) -> str | None:
        """What goes unsent for want of a complaints manager address, or None."""
        if self.complaints_manager_email:
            return None
        return (
            "no complaints manager address is set (PLEDGE_COMPLAINTS_MANAGER_EMAIL): missed "
            "complaint deadlines are told to nobody, and the letters of a complainant without "
            "e-mail reach nobody to post them unless the complaint's handler has an address"
        )

    def configuration_warnings(self) -> list[str]:
        """What works but goes unheard as configured: said by /health and the launcher."""
        return [w for w in (self.unheard_escalations(), self.unposted_letters()) if w]

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def admin_key_file(self) -> Path:
        return self.data_dir / "admin-api-key"

    # Failed authentications a client address may make in a minute before it is answered 429
    # for a while; 0 turns the limit off (a load test or a fuzzer behind one address).
    auth_failure_limit: int = Field(10, ge=0, validation_alias="PLEDGE_AUTH_FAILURE_LIMIT")

    # -- outbound calls and confidential payloads ------------------------------------------
    # False: no webhook is sent (the notice's e-mails still are); the API says so when one is set.
    webhooks_enabled: bool = Field(True, validation_alias="PLEDGE_WEBHOOKS_ENABLED")
    # Comma-separated hosts (names or IP literals, as written in URLs) a webhook may call even
    # though they are loopback or private, or over plain http: an internal receiver, a test's.
    webhook_allowed_hosts: str = Field("", validation_alias="PLEDGE_WEBHOOK_ALLOWED_HOSTS")
    # -- monitors (activities/monitors.py) -------------------------------------------------
    # The task queue monitor workflows and their probes run on, apart from the SLA work; None:
    # "<TEMPORAL_TASK_QUEUE>-monitors". worker.py polls both.
    monitor_task_queue: str | None = Field(None, validation_alias="PLEDGE_MONITOR_TASK_QUEUE")
    # Probes (and the outage work) one worker process runs at once: a thousand monitors at
    # five minutes are about 3 probes a second, each at most PROBE_SECONDS long.
    monitor_concurrency: int = Field(
        50, ge=1, le=1000, validation_alias="PLEDGE_MONITOR_CONCURRENCY"
    )
    # Hosts a monitor may probe although they are loopback or private (on-premises sites, the
    # tests' server), as for webhooks.
    monitor_allowed_hosts: str = Field("", validation_alias="PLEDGE_MONITOR_ALLOWED_HOSTS")
    # Days raw probe results are kept (activities/uptime.py); older ones live on as hourly and
    # daily roll-ups, deleted only once rolled up. Hour rows are kept this many days; day rows
    # for good.
    uptime_raw_days: int = Field(30, ge=2, le=3650, validation_alias="PLEDGE_UPTIME_RAW_DAYS")
    uptime_hour_days: int = Field(100, ge=2, le=3650, validation_alias="PLEDGE_UPTIME_HOUR_DAYS")
    # Keys that encrypt Temporal payloads: comma-separated `id:base64key` (16, 24 or 32 bytes);
    # the first encrypts, all decrypt, so a key is rotated by putting a new one first. None:
    # the keys in <data dir>/payload-keys, generated on first run.
    payload_keys: str | None = Field(None, validation_alias="PLEDGE_PAYLOAD_KEYS")
    # Origins allowed to call the codec endpoint from a browser (the Temporal UI); None: the
    # embedded UI's http://127.0.0.1:<TEMPORAL_UI_PORT> and http://localhost:<port>.
    codec_cors_origins: str | None = Field(None, validation_alias="PLEDGE_CODEC_CORS_ORIGINS")
    # Lets a browser UI, which cannot send an API key, decode payloads at
    # /codec/ui/<token>/decode; None turns that route off (the admin-key routes remain).
    codec_token: str | None = Field(None, validation_alias="PLEDGE_CODEC_TOKEN", min_length=32)
    # Signs the customers' tracking links and the Message-IDs of ticket mail (docs/customer-
    # mail.md). The API and every worker must share it; None: <data dir>/link-secret, generated.
    link_secret: str | None = Field(None, validation_alias="PLEDGE_LINK_SECRET", min_length=32)

    # -- mail in: support mailboxes read over IMAP (activities/mailboxes.py) --------------
    # Hosts a mailbox may be read from although they are loopback or private (a mail server on
    # the same network, the tests' server), as for webhooks and monitors.
    mailbox_allowed_hosts: str = Field("", validation_alias="PLEDGE_MAILBOX_ALLOWED_HOSTS")
    # Keys that seal the mailboxes' passwords in the database, in PLEDGE_PAYLOAD_KEYS' form
    # (`id:base64key`, the first seals, all open); None: <data dir>/mailbox-keys, generated.
    mailbox_keys: str | None = Field(None, validation_alias="PLEDGE_MAILBOX_KEYS")
    # How often a mailbox is looked at when its server offers no IDLE (or after an error),
    # and how long one IDLE waits before looking anyway.
    mailbox_poll_seconds: float = Field(
        60.0, ge=1, le=3600, validation_alias="PLEDGE_MAILBOX_POLL_SECONDS"
    )
    mailbox_idle_seconds: float = Field(
        300.0, ge=1, le=1740, validation_alias="PLEDGE_MAILBOX_IDLE_SECONDS"
    )
    # A sender whose mail opens more than this many tickets (or complaints) in an hour is held
    # for review: what else they send waits in the inbox until an agent releases it.
    inbound_max_per_hour: int = Field(5, ge=1, validation_alias="PLEDGE_INBOUND_MAX_PER_HOUR")

    # -- the team's week: on call and the daily huddle (sla/team.py) ------------------------
    # The calendar the team keeps, as `policy:calendar` from the presets: its working days are
    # the huddle's mornings, its zone says where an on-call week (Monday to Monday) begins, and
    # its bank holidays are shown on the rota.
    team_calendar: str = Field(
        "e-shot:support", min_length=1, validation_alias="PLEDGE_TEAM_CALENDAR"
    )
    # The huddle's local time (HH:MM in the team calendar's zone) on each working morning.
    huddle_time: time = Field(time(9, 0), validation_alias="PLEDGE_HUDDLE_TIME")
    # The huddle lists tickets waiting on the customer for longer than this many days.
    huddle_waiting_days: float = Field(5.0, gt=0, validation_alias="PLEDGE_HUDDLE_WAITING_DAYS")
    # Who the huddle's digest is mailed to; None: PLEDGE_TEAM_EMAIL (and nobody without it).
    huddle_email: str | None = Field(None, validation_alias="PLEDGE_HUDDLE_EMAIL")

    # -- people signing in to the console (web/) ------------------------------------------
    # The first admin user `make run` and `pledge bootstrap` make; without them, one is made
    # as admin@example.com with a generated password kept in <data dir>/admin-password.
    bootstrap_admin_email: str | None = Field(None, validation_alias="PLEDGE_BOOTSTRAP_ADMIN_EMAIL")
    bootstrap_admin_password: str | None = Field(
        None, validation_alias="PLEDGE_BOOTSTRAP_ADMIN_PASSWORD"
    )
    # A signed-in session ends after this long without a request, and this long after sign-in
    # whatever happens.
    session_idle_hours: float = Field(8.0, gt=0, validation_alias="PLEDGE_SESSION_IDLE_HOURS")
    session_max_days: float = Field(7.0, gt=0, validation_alias="PLEDGE_SESSION_MAX_DAYS")
    # Failed sign-ins allowed per e-mail address (and 4x that per client address) in 15
    # minutes before /login answers 429 for a while; 0 turns the limit off.
    login_failure_limit: int = Field(5, ge=0, validation_alias="PLEDGE_LOGIN_FAILURE_LIMIT")
    invitation_days: float = Field(7.0, gt=0, validation_alias="PLEDGE_INVITATION_DAYS")
    reset_link_minutes: float = Field(60.0, gt=0, validation_alias="PLEDGE_RESET_LINK_MINUTES")
    # A customer's e-mailed sign-in link to the portal works once, for this long.
    portal_link_minutes: float = Field(
        15.0, gt=0, le=24 * 60, validation_alias="PLEDGE_PORTAL_LINK_MINUTES"
    )

    @property
    def admin_password_file(self) -> Path:
        return self.data_dir / "admin-password"

    @property
    def secure_cookies(self) -> bool:
        """Cookies are marked Secure when people reach Pledge over https."""
        return self.effective_public_url.startswith("https://")

    @field_validator(
        "payload_keys",
        "codec_cors_origins",
        "codec_token",
        "link_secret",
        "mailbox_keys",
        "bootstrap_admin_email",
        "bootstrap_admin_password",
        mode="before",
    )
    @classmethod
    def _blank_means_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def allowed_webhook_hosts(self) -> frozenset[str]:
        from outbound.egress import normalise_hosts  # settings stays importable on its own

        return normalise_hosts(self.webhook_allowed_hosts.split(","))

    @property
    def allowed_monitor_hosts(self) -> frozenset[str]:
        from outbound.egress import normalise_hosts

        return normalise_hosts(self.monitor_allowed_hosts.split(","))

    @property
    def allowed_mailbox_hosts(self) -> frozenset[str]:
        from outbound.egress import normalise_hosts

        return normalise_hosts(self.mailbox_allowed_hosts.split(","))

    @property
    def mailbox_keys_file(self) -> Path:
        return self.data_dir / "mailbox-keys"

    @property
    def effective_monitor_task_queue(self) -> str:
        """Where monitors run: their own queue, so probes never wait behind SLA work."""
        return self.monitor_task_queue or f"{self.temporal_task_queue}-monitors"

    @property
    def payload_keys_file(self) -> Path:
        return self.data_dir / "payload-keys"

    @property
    def link_secret_file(self) -> Path:
        return self.data_dir / "link-secret"

    @property
    def codec_origins(self) -> list[str]:
        if self.codec_cors_origins:
            return [o.strip().rstrip("/") for o in self.codec_cors_origins.split(",") if o.strip()]
        port = self.temporal_ui_port
        return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


ENVIRONMENT_VARIABLES: frozenset[str] = frozenset(
    str(field.validation_alias) for field in Settings.model_fields.values()
)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
