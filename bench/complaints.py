"""Complaints board and calendar feed: Pledge's API against a plain indexed SELECT, in one run.

Loads 100,000 complaints into a throw-away PostgreSQL database, starts the API under uvicorn
(no Temporal: these routes only read the database, and the API connects to Temporal lazily) and
measures, one request in flight, the p50/p99 latency of

  board        GET /complaints: the first page (50, the next deadline first), one handler's,
               the overdue ones, the acknowledged ones, those due within a week, and a deep page
               (offset 5,000); target: p99 under 50 ms for every one
  feed         GET /complaints/feed/{token}.ics for one handler (target: p99 under 200 ms) and
               for every open complaint (reported, with its size and number of events)

each beside its peer: the same rows (same columns, WHERE, ORDER BY, LIMIT) read with a plain
SELECT over psycopg, timed the same way, alternating with the API's calls. The board also counts
the matches (its `total`), a second query the peer does not make; its cost is shown apart.

The complaints are what the workflows would have recorded, without running them: each one's
life (received, acknowledged, extended, replied, closed, reopened, at random plausible times over
the past two years) is played through the real clock state machine (sla.complaint), so dues,
states, next_due, overdue and reply_kept are the engine's, bank holidays included. 20 handlers
with uneven loads; regimes standard 50%, housing stage 1 18%, stage 2 5%, FCA 17%, SAR 10%;
about 27% still open. No events or letters are stored (neither route reads them). The table is
VACUUM ANALYZEd after loading, as autovacuum would have left it.

Prints a table with PASS/FAIL per target and exits 0 whatever the figures (it measures, it does
not test); it exits 1 only when the database or the API cannot be set up. The API is stopped and
the database dropped at the end, also on Ctrl-C, SIGTERM or an error.

    .venv/bin/python bench/complaints.py [--complaints 100000] [--requests 200] [--warmup 20]
                                         [--feed-requests 10] [--seed 1]

Needs PostgreSQL (`make bench` starts it; --postgres names another server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import psycopg
from _support import die_with_parent, free_port, percentile, say
from icalendar import Calendar
from sqlalchemy.engine import make_url

from api.keys import mint_key
from db.models import Complaint, Role
from db.session import make_engine, make_session_factory
from settings import ENVIRONMENT_VARIABLES, ROOT
from sla.complaint import Breach, ComplaintSla, InvalidExtension, Refused

POSTGRES_ADMIN_URL = os.environ.get(
    "PLEDGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
STARTUP_SECONDS = 60
STOP_SECONDS = 20
BOARD_TARGET_MS = 50.0
FEED_TARGET_MS = 200.0
LONDON = ZoneInfo("Europe/London")


# -- the complaints --------------------------------------------------------------------------

HANDLERS = [
    "Aisha Khan", "Ben Walker", "Chloe Evans", "Daniel Hughes", "Emma Roberts",
    "Fatima Ali", "George Wright", "Hannah Green", "Isaac Turner", "Jade Morris",
    "Kieran Doyle", "Laura Price", "Mohammed Rahman", "Niamh Kelly", "Oliver Bennett",
    "Priya Patel", "Rhys Jenkins", "Sophie Clarke", "Tom Fletcher", "Zara Ahmed",
]  # fmt: skip
# Uneven loads, as in a real team: the first handler takes about 3.5 times the last's share.
HANDLER_WEIGHTS = [1 / (rank + 1) ** 0.42 for rank in range(len(HANDLERS))]
REGIMES = {"standard": 50, "housing-stage-1": 18, "housing-stage-2": 5, "fca": 17, "sar": 10}
JURISDICTIONS = {"england-and-wales": 82, "scotland": 9, "northern-ireland": 4, "any-uk": 5}
# The status each complaint ends in today: about 27% still open.
STATUSES = {"closed": 57, "replied": 16, "acknowledged": 16, "received": 6, "reopened": 5}
CHANNELS = {"email": 40, "web": 22, "phone": 18, "letter": 12, "chat": 6, "in-person": 2}
FIRST_NAMES = [
    "Alex", "Amelia", "Arthur", "Beatrice", "Callum", "Charlotte", "David", "Eleanor", "Ethan",
    "Freya", "Grace", "Harry", "Isla", "Jack", "James", "Leo", "Lily", "Mia", "Noah", "Olivia",
    "Oscar", "Poppy", "Ruby", "Samuel", "Siobhán", "Theo", "William", "Yusuf", "Zoë",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "O'Brien",
]  # fmt: skip
SUMMARIES = [
    "The repair to my boiler was booked three times and nobody came.",
    "I was charged twice for the same month and the refund has not arrived.",
    "Your adviser was rude to me on the phone and ended the call.",
    "Damp and mould in the bedroom reported in the spring, still not treated.",
    "My direct debit was cancelled without warning and I was charged a late fee.",
    "I asked for a copy of all the personal data you hold about me.",
    "The noise from the flat upstairs has been reported many times with no action.",
    "My account was closed without explanation and my money held for weeks.",
    "The engineer left the kitchen flooded after the repair.",
    "I was given wrong information about the early repayment charge.",
    "Rent arrears letter sent in error; I have paid every month.",
    "The online account has been locked for a fortnight and nobody can unlock it.",
]


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _received(rng: random.Random, now: datetime, age_days: float) -> datetime:
    """An instant about `age_days` ago, most of them in office hours (UK time)."""
    day = (now - timedelta(days=age_days)).astimezone(LONDON).date()
    if rng.random() < 0.8:
        minute = rng.randrange(8 * 60 + 30, 17 * 60 + 30)
    else:
        minute = rng.randrange(24 * 60)
    at = datetime.combine(day, clock_time(minute // 60, minute % 60), LONDON).astimezone(UTC)
    at += timedelta(seconds=rng.randrange(60))
    return min(at, now - timedelta(minutes=rng.uniform(5, 120)))


def _between(rng: random.Random, start: datetime, end: datetime, low: float, high: float):  # type: ignore[no-untyped-def]
    """An instant `low`..`high` of the way from start to end."""
    return start + (end - start) * rng.uniform(low, high)


class _Life:
    """A complaint played through the clock state machine as the workflow would, breaches and
    all, keeping the time of its last change (the row's updated_at) and its version."""

    def __init__(self, sla: ComplaintSla, now: datetime) -> None:
        self.sla = sla
        self.now = now
        self.updated_at = sla.received_at
        self.version = 1

    def at(self, when: datetime) -> datetime:
        """Move to `when` (never past now): record the breaches that fell due before it."""
        when = min(when, self.now - timedelta(seconds=1))
        for action in self.sla.due_actions(when):
            if isinstance(action, Breach):
                self.sla.record(action)
                self.updated_at, self.version = action.due, self.version + 1
        return when

    def did(self, when: datetime) -> None:
        self.updated_at, self.version = max(self.updated_at, when), self.version + 1


def _one_life(rng: random.Random, now: datetime) -> _Life:
    regime = _pick(rng, REGIMES)
    jurisdiction = (
        "england-and-wales" if regime.startswith("housing") else _pick(rng, JURISDICTIONS)
    )
    status = _pick(rng, STATUSES)
    if status == "closed":
        age = rng.uniform(25, 730)
    elif status == "reopened":  # within the year a closed complaint may be reopened in
        age = rng.uniform(25, 400)
    elif status == "replied":
        age = rng.uniform(3, 150)
    elif status == "acknowledged":
        age = min(730, 1 + rng.expovariate(1 / 16))
    else:  # received: mostly days old, a neglected few much older
        age = min(400, rng.expovariate(1 / 3.5))
    sla = ComplaintSla.open(
        regime=regime, jurisdiction=jurisdiction, received_at=_received(rng, now, age)
    )
    life = _Life(sla, now)
    if status == "received":
        life.at(now)
        return life

    def acknowledge() -> None:
        ack = sla.acknowledgement_due or sla.received_at + timedelta(days=5)
        if rng.random() < 0.9:
            when = _between(rng, sla.received_at, ack, 0.02, 0.95)
        else:
            when = ack + timedelta(days=rng.uniform(0, 6))
        if when >= now:
            when = _between(rng, sla.received_at, now, 0.1, 0.9)
        sla.acknowledge(life.at(when))
        life.did(when)

    # SARs need no acknowledgement, and some complaints are answered in full straight away.
    sends_one = regime != "sar" or rng.random() < 0.3
    if status == "acknowledged" or (sends_one and rng.random() < 0.93):
        acknowledge()
    start = sla.acknowledged_at or sla.received_at
    if rng.random() < (0.10 if status == "acknowledged" else 0.06):
        when = _between(rng, start, sla.reply_due, 0.3, 1.1)
        if when < now:
            last_day = (sla.reply_due - timedelta(microseconds=1)).astimezone(LONDON).date()
            new_due = datetime.combine(
                last_day + timedelta(days=rng.choice((8, 15))), clock_time(), LONDON
            ).astimezone(UTC)
            with contextlib.suppress(Refused, InvalidExtension):
                sla.extend(life.at(when), "We are waiting for the contractor's report.", new_due)
                life.did(when)
    if status == "acknowledged":
        life.at(now)
        return life
    if rng.random() < 0.88:
        when = _between(rng, start, sla.reply_due, 0.2, 0.98)
    else:
        when = sla.reply_due + timedelta(days=rng.uniform(0.5, 25))
    if when >= now:
        when = _between(rng, start, now, 0.2, 0.95)
    when = life.at(when)
    sla.reply(when)
    life.did(when)
    if status == "replied":
        life.at(now)
        return life
    when = sla.replied_at + timedelta(days=rng.uniform(0.1, 10))  # type: ignore[operator]
    if when >= now:
        when = _between(rng, sla.replied_at, now, 0.1, 0.9)  # type: ignore[arg-type]
    sla.close(life.at(when))
    life.did(when)
    if status == "reopened":
        closed = sla.closed_at
        assert closed is not None
        latest = min(now, closed + timedelta(days=364))
        when = latest - min(
            timedelta(days=rng.expovariate(1 / 12)), (latest - closed) * rng.uniform(0.05, 1)
        )
        if when > closed:
            sla.reopen(life.at(when))
            life.did(when)
    life.at(now)
    return life


COLUMNS = [column.name for column in Complaint.__table__.columns]
LOADED = [name for name in COLUMNS if name != "id"]


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(char for char in plain.lower() if char.isalpha())


def _row(rng: random.Random, now: datetime, number: int) -> tuple[Any, ...]:
    life = _one_life(rng, now)
    c = life.sla
    handler = rng.choices(HANDLERS, weights=HANDLER_WEIGHTS)[0]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    channel = _pick(rng, CHANNELS)
    address = (
        f"{rng.randrange(1, 200)} {rng.choice(LAST_NAMES)} Road\nLeeds\nLS{rng.randrange(1, 28)}"
        if channel == "letter" or rng.random() < 0.3
        else None
    )
    ack = c.clocks.get("acknowledgement")
    values = {
        "reference": f"C-{number:04X}-{rng.getrandbits(16):04X}",
        "account_id": None,
        "complainant_name": f"{first} {last}",
        "complainant_email": f"{_ascii(first)}.{_ascii(last)}{rng.randrange(100)}@example.com",
        "complainant_address": address,
        "summary": rng.choice(SUMMARIES),
        "channel": channel,
        "jurisdiction": c.jurisdiction,
        "regime": c.regime,
        "status": c.status.value,
        "handler_name": handler,
        "handler_email": handler.lower().replace(" ", ".") + "@pledge.example.com",
        "received_at": c.received_at,
        "opened_at": min(c.received_at + timedelta(minutes=rng.uniform(1, 180)), now),
        "opened_by": handler,
        "acknowledged_at": c.acknowledged_at,
        "replied_at": c.replied_at,
        "closed_at": c.closed_at,
        "acknowledgement_due": c.acknowledgement_due,
        "reply_due": c.reply_due,
        "original_reply_due": c.original_reply_due(),
        "acknowledgement_state": ack.state.value if ack else None,
        "reply_state": c.clocks["reply"].state.value,
        "extensions": len(c.extensions),
        "reply_kept": c.reply_kept(),
        "next_due": c.next_due(),
        "overdue": c.overdue,
        "version": life.version,
        "updated_at": max(life.updated_at, c.received_at),
    }
    return tuple(values[name] for name in LOADED)


def generate(seed: int, first: int, count: int, *, now: datetime) -> list[tuple[Any, ...]]:
    """Rows number first..first+count-1; the same seed gives the same complaints."""
    rng = random.Random(f"{seed}:{first}")
    return [_row(rng, now, number) for number in range(first, first + count)]


def _quiet_worker() -> None:
    # Ctrl-C is the bench's to handle: the pool's processes end when it shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()


def all_complaints(n: int, seed: int, now: datetime) -> list[tuple[Any, ...]]:
    """n complaints, computed on every core, in the order they were received (as ids go)."""
    chunk = 5_000
    pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, initializer=_quiet_worker)
    try:
        firsts = range(0, n, chunk)
        counts = [min(chunk, n - first) for first in firsts]
        parts = pool.map(partial(generate, seed, now=now), firsts, counts)
        rows = [row for part in parts for row in part]
    finally:
        pool.shutdown(cancel_futures=True)  # on Ctrl-C, the chunks not started are dropped
    received = LOADED.index("received_at")
    rows.sort(key=lambda row: row[received])
    return rows


# -- the stack -------------------------------------------------------------------------------


@dataclass
class Stack:
    """What the bench starts; stop() undoes whatever part of it was started."""

    postgres_admin_url: str
    keep_logs: bool
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pledge-bench-")))
    api: subprocess.Popen[bytes] | None = None
    database: str | None = None
    database_url: str = ""
    api_base: str = ""
    secret: str = ""

    def create_database(self) -> None:
        name = f"pledge_bench_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(self.postgres_admin_url, autocommit=True, connect_timeout=5) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        self.database = name
        url = make_url(self.postgres_admin_url).set(drivername="postgresql+psycopg", database=name)
        self.database_url = url.render_as_string(hide_password=False)

    @property
    def libpq_url(self) -> str:
        url = make_url(self.database_url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def mint_handler_key(self) -> None:
        async def mint() -> str:
            engine = make_engine(self.database_url)
            try:
                async with make_session_factory(engine)() as session, session.begin():
                    minted = await mint_key(
                        session, name="bench complaints handler", role=Role.COMPLAINTS_HANDLER
                    )
                    return minted.secret
            finally:
                await engine.dispose()

        self.secret = asyncio.run(mint())

    def load(self, rows: list[tuple[Any, ...]]) -> None:
        with psycopg.connect(self.libpq_url, autocommit=True) as db:
            with db.cursor() as cursor:
                columns = ", ".join(LOADED)
                with cursor.copy(f"COPY complaints ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            # What autovacuum would have done to a table this size: statistics and the
            # visibility map (index-only scans).
            db.execute("VACUUM (ANALYZE) complaints")

    def start_api(self) -> None:
        port = free_port()
        self.api_base = f"http://127.0.0.1:{port}"
        # Nothing from the caller's shell may steer the API (a DATABASE_URL, a key...).
        env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT_VARIABLES}
        env |= {
            "DATABASE_URL": self.database_url,
            # Nothing listens there: the API connects lazily and these routes never ask.
            "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "PLEDGE_DATA_DIR": str(self.tmp / "data"),
            "PLEDGE_API_PORT": str(port),
            "PLEDGE_PUBLIC_URL": self.api_base,
            "PLEDGE_LOG_LEVEL": "warning",
        }
        log = open(self.tmp / "api.log", "wb")  # noqa: SIM115 - lives as long as the child
        self.api = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning", "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own session: a Ctrl-C reaches only the bench, which stops it.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )  # fmt: skip
        log.close()

    def check_api(self) -> None:
        if self.api is not None and self.api.poll() is not None:
            raise RuntimeError(f"the API stopped with exit code {self.api.returncode}")

    def wait_for_api(self) -> None:
        """Until the API answers (/health would say 503: there is no Temporal)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        with httpx.Client(base_url=self.api_base, timeout=5) as http:
            while True:
                self.check_api()
                with contextlib.suppress(httpx.HTTPError):
                    if http.get("/openapi.json").status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the API did not come up within {STARTUP_SECONDS} s")
                time.sleep(0.2)

    def tail(self, lines: int = 15) -> str:
        path = self.tmp / "api.log"
        if not path.exists():
            return ""
        text = path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"    {line}" for line in text)

    def stop(self) -> None:
        if self.api is not None and self.api.poll() is None:
            self.api.terminate()
            try:
                self.api.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                say(f"  the API did not stop in {STOP_SECONDS} s; killing it")
                self.api.kill()
                self.api.wait()
        if self.database is not None:
            try:
                with psycopg.connect(
                    self.postgres_admin_url, autocommit=True, connect_timeout=5
                ) as db:
                    db.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                self.database = None
            except psycopg.Error as exc:
                say(f"  could not drop database {self.database}: {exc}")
        if self.keep_logs:
            say(f"  logs kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# -- measuring -------------------------------------------------------------------------------

OPEN = ("received", "acknowledged", "reopened")
BOARD_ORDER = "ORDER BY next_due ASC NULLS LAST, received_at, id"
BOARD_COLUMNS = ", ".join(COLUMNS)  # select(Complaint): every column
FEED_COLUMNS = (
    "reference, complainant_name, regime, handler_name, acknowledged_at, acknowledgement_due, "
    "acknowledgement_state, reply_due, reply_state, updated_at"
)


@dataclass
class Case:
    """One read: its API call, and the SELECT of the same rows that is its peer."""

    name: str
    kind: str  # "board" or "feed"
    path: str
    params: dict[str, str]
    sql: str
    sql_params: tuple[Any, ...]
    requests: int
    warmup: int
    target_ms: float | None = None
    count_sql: str = ""  # the board's `total`
    api_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    count_ms: list[float] = field(default_factory=list)
    rows: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def board_case(name: str, args: argparse.Namespace, **query: Any) -> Case:
    """GET /complaints with these filters, and the same query the route builds (complaint_reads)."""
    conditions, values = [], []
    if "status" in query:
        conditions.append("status = %s")
        values.append(query["status"])
    if "handler" in query:
        conditions.append("handler_name = %s")
        values.append(query["handler"])
    if "due_before" in query:
        conditions.append("next_due < %s")
        values.append(query["due_before"])
    if "overdue" in query:
        conditions.append("overdue IS true" if query["overdue"] else "overdue IS false")
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    limit, offset = query.pop("limit", 50), query.pop("offset", 0)
    params = {
        key: value.isoformat().replace("+00:00", "Z")
        if isinstance(value, datetime)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for key, value in query.items()
    }
    if offset:
        params["offset"] = str(offset)
    if limit != 50:
        params["limit"] = str(limit)
    return Case(
        name=name,
        kind="board",
        path="/complaints",
        params=params,
        sql=f"SELECT {BOARD_COLUMNS} FROM complaints {where}{BOARD_ORDER} LIMIT %s OFFSET %s",
        sql_params=(*values, limit, offset),
        count_sql=f"SELECT count(*) FROM complaints {where}".strip(),
        requests=args.requests,
        warmup=args.warmup,
        target_ms=BOARD_TARGET_MS,
    )


def feed_case(
    name: str, token: str, requests: int, warmup: int, handler: str | None, target: float | None
) -> Case:
    """The .ics feed, and complaint_reads.open_deadlines' SELECT."""
    condition = "AND handler_name = %s " if handler is not None else ""
    return Case(
        name=name,
        kind="feed",
        path=f"/complaints/feed/{token}.ics",
        params={"handler": handler} if handler is not None else {},
        sql=(
            f"SELECT {FEED_COLUMNS} FROM complaints "
            "WHERE status = ANY(%s) AND (reply_state <> 'met' OR acknowledged_at IS NULL) "
            f"{condition}ORDER BY reply_due"
        ),
        sql_params=(list(OPEN), *([handler] if handler is not None else [])),
        requests=requests,
        warmup=warmup,
        target_ms=target,
    )


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return 1000 * (time.perf_counter() - start), result


def measure(case: Case, http: httpx.Client, db: psycopg.Connection[Any]) -> None:
    """Warm up, then API call and SELECT in turn, one at a time, `requests` times each."""

    def api() -> httpx.Response:
        return http.get(case.path, params=case.params)

    def select() -> list[tuple[Any, ...]]:
        return db.execute(case.sql, case.sql_params).fetchall()

    def count() -> int:
        return db.execute(case.count_sql, case.sql_params[:-2]).fetchone()[0]  # type: ignore[index]

    last: httpx.Response | None = None
    rows: list[tuple[Any, ...]] = []
    for i in range(case.warmup + case.requests):
        api_ms, last = _timed(api)
        sql_ms, rows = _timed(select)
        if case.count_sql:
            count_ms, _ = _timed(count)
        if last.status_code != 200:
            case.failures.append(f"{last.status_code} {last.text[:200]}")
            continue
        if i >= case.warmup:
            case.api_ms.append(api_ms)
            case.sql_ms.append(sql_ms)
            if case.count_sql:
                case.count_ms.append(count_ms)
    case.rows = len(rows)
    if last is None or last.status_code != 200:
        return
    # The API must have answered the peer's rows, or the comparison means nothing.
    if case.kind == "board":
        body = last.json()
        got = [c["reference"] for c in body["complaints"]]
        want = [row[COLUMNS.index("reference")] for row in rows]
        total = db.execute(case.count_sql, case.sql_params[:-2]).fetchone()[0]  # type: ignore[index]
        if got != want or body["total"] != total:
            case.failures.append(
                f"the API's page differs from the SELECT's ({len(got)} vs {len(want)} rows, "
                f"total {body['total']} vs {total})"
            )
        case.notes.append(
            f"total {body['total']:,}; the route also counts them: "
            f"COUNT p50 {percentile(case.count_ms, 50):.1f} ms, "
            f"p99 {percentile(case.count_ms, 99):.1f} ms"
        )
    else:
        calendar = Calendar.from_ical(last.content)
        events = calendar.walk("VEVENT")
        owed = sum(
            (row[5] is not None and row[4] is None) + (row[8] != "met") for row in rows
        )  # acknowledgement owed, reply owed: as complaint_deadlines_ics decides
        uids = {str(event["uid"]) for event in events}
        if len(events) != owed or len(uids) != owed:
            case.failures.append(f"{len(events)} events in the feed, {owed} deadlines owed")
        case.notes.append(
            f"{len(last.content) / 1024:,.0f} KiB, {len(events):,} VEVENTs "
            f"(parsed with icalendar: OK)"
        )


def run_cases(cases: list[Case], stack: Stack) -> None:
    with (
        httpx.Client(
            base_url=stack.api_base,
            headers={"Authorization": f"Bearer {stack.secret}"},
            timeout=120,
        ) as http,
        psycopg.connect(stack.libpq_url, autocommit=True) as db,
    ):
        for case in cases:
            started = time.monotonic()
            measure(case, http, db)
            say(
                f"  {case.name:<34} {len(case.api_ms):>4} calls: API p50 "
                f"{percentile(case.api_ms, 50):7.1f} ms, SELECT p50 "
                f"{percentile(case.sql_ms, 50):6.1f} ms  ({time.monotonic() - started:.0f} s)"
            )
            for note in case.notes:
                say(f"      {note}")
            for failure in case.failures[:3]:
                say(f"      FAILED {failure}")


def table(cases: list[Case]) -> tuple[str, int]:
    def verdict(case: Case) -> tuple[str, str]:
        if case.target_ms is None:
            return "(reported)", ""
        ok = not case.failures and percentile(case.api_ms, 99) < case.target_ms
        return f"p99 < {case.target_ms:.0f}", "PASS" if ok else "FAIL  <<<"

    header = ("case", "rows", "API p50", "API p99", "SELECT p50", "SELECT p99", "ratio")
    lines = []
    for case in cases:
        api50, api99 = percentile(case.api_ms, 50), percentile(case.api_ms, 99)
        sql50, sql99 = percentile(case.sql_ms, 50), percentile(case.sql_ms, 99)
        target, result = verdict(case)
        lines.append(
            (
                case.name,
                f"{case.rows:,}",
                f"{api50:.1f}",
                f"{api99:.1f}",
                f"{sql50:.1f}",
                f"{sql99:.1f}",
                f"{api50 / sql50:.1f}x" if sql50 > 0 else "-",
                target,
                result,
            )
        )
    head = (*header, "target (ms)", "result")
    widths = [max(len(row[i]) for row in [head, *lines]) for i in range(len(head))]

    def render(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [row[i].rjust(widths[i]) for i in range(1, 7)]
        cells += [row[7].ljust(widths[7]), row[8]]
        return "  ".join(cells).rstrip()

    rendered = [render(head), "-" * len(render(head))] + [render(row) for row in lines]
    rendered.append("(ms; ratio = API p50 / SELECT p50; 1 request in flight)")
    failed = sum(1 for row in lines if row[8].startswith("FAIL"))
    return "\n".join(rendered), failed


# -- main ------------------------------------------------------------------------------------


def handler_loads(rows: list[tuple[Any, ...]]) -> Counter[str]:
    status, handler = LOADED.index("status"), LOADED.index("handler_name")
    return Counter(row[handler] for row in rows if row[status] in OPEN)


def describe(rows: list[tuple[Any, ...]]) -> Iterator[str]:
    status, regime = LOADED.index("status"), LOADED.index("regime")
    overdue = LOADED.index("overdue")
    statuses = Counter(row[status] for row in rows)
    regimes = Counter(row[regime] for row in rows)
    n = len(rows)
    yield "statuses " + ", ".join(f"{k} {100 * v / n:.0f}%" for k, v in statuses.most_common())
    yield "regimes " + ", ".join(f"{k} {100 * v / n:.0f}%" for k, v in regimes.most_common())
    open_count = sum(statuses[s] for s in OPEN)
    late = sum(1 for row in rows if row[overdue] and row[status] in OPEN)
    yield f"open {open_count:,} ({100 * open_count / n:.0f}%), of which overdue {late:,}"


def run(args: argparse.Namespace) -> int:
    stack = Stack(postgres_admin_url=args.postgres, keep_logs=args.keep_logs)
    started = time.monotonic()
    now = datetime.now(UTC)
    cases: list[Case] = []
    try:
        try:
            say(f"Setting up: PostgreSQL database, {args.complaints:,} complaints, the API")
            stack.create_database()
            from db.migrate import upgrade  # after the parse: alembic is slow to import

            upgrade(stack.database_url)
            stack.mint_handler_key()
            stamp = time.monotonic()
            rows = all_complaints(args.complaints, args.seed, now)
            say(
                f"  {len(rows):,} complaints played through sla.complaint in "
                f"{time.monotonic() - stamp:.1f} s"
            )
            for line in describe(rows):
                say(f"    {line}")
            stamp = time.monotonic()
            stack.load(rows)
            say(f"  loaded with COPY and VACUUM ANALYZEd in {time.monotonic() - stamp:.1f} s")
            stack.start_api()
            stack.wait_for_api()
            with httpx.Client(base_url=stack.api_base, timeout=10) as http:
                answer = http.get(
                    "/complaints/feed", headers={"Authorization": f"Bearer {stack.secret}"}
                )
                answer.raise_for_status()
            token = urlsplit(answer.json()["url"]).path.rsplit("/", 1)[1].removesuffix(".ics")
        except Exception as exc:  # noqa: BLE001 - one readable failure, then the clean-up
            say(f"\nbench/complaints.py could not set up: {type(exc).__name__}: {exc}")
            if tail := stack.tail():
                say(f"  last lines of the API's log:\n{tail}")
            return 1
        say(
            f"  API {stack.api_base}, database {stack.database}, "
            f"in {time.monotonic() - started:.1f} s"
        )
        loads = handler_loads(rows)
        busiest, open_complaints = loads.most_common(1)[0]
        say(f"  the busiest handler, {busiest}, has {open_complaints:,} open complaints")
        del rows
        week = (now + timedelta(days=7)).replace(microsecond=0)
        cases = [
            board_case("board: first page", args),
            board_case("board: handler", args, handler=busiest),
            board_case("board: overdue", args, overdue=True),
            board_case("board: status=acknowledged", args, status="acknowledged"),
            board_case("board: due within a week", args, due_before=week),
            board_case("board: offset 5000", args, offset=5000),
            feed_case(
                "feed: one handler", token, args.requests, args.warmup, busiest, FEED_TARGET_MS
            ),
            feed_case("feed: everything open", token, args.feed_requests, 2, None, None),
        ]
        say(f"\nMeasuring: {args.requests} calls each after {args.warmup} to warm up; 1 in flight")
        try:
            run_cases(cases, stack)
        except Exception as exc:  # noqa: BLE001 - what was measured is still printed
            say(f"\nbench/complaints.py could not finish: {type(exc).__name__}: {exc}")
            if tail := stack.tail():
                say(f"  last lines of the API's log:\n{tail}")
    finally:
        # A second Ctrl-C must not stop the clean-up half way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("\nStopping the API; dropping the database")
        stack.stop()
    rendered, failed = table([case for case in cases if case.api_ms])
    say("")
    say(rendered)
    say(
        f"\n{failed} target(s) FAILED (a measurement: the exit status stays 0)"
        if failed
        else "\nEvery target met"
    )
    say(f"Total time {time.monotonic() - started:.0f} s")
    return 0


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=100_000, help="complaints to load")
    parser.add_argument("--requests", type=int, default=200, help="timed calls per case")
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls first, per case")
    parser.add_argument(
        "--feed-requests", type=int, default=10, help="timed calls of the whole feed (it is large)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the same seed, the same complaints")
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL, help="PostgreSQL admin URL")
    parser.add_argument("--keep-logs", action="store_true", help="keep the API's log")
    args = parser.parse_args()
    # SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so the clean-up runs.
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        return run(args)
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
