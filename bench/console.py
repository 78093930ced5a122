"""The console's queue and ticket pages against the JSON API answering the same query, in one run.

Seeds a throw-away PostgreSQL database, through the migrations, with 100,000 tickets (bulk
COPY into the read model: the pages only read it) spread over 200 accounts of the five
policies: about one in ten still open, waiting or delayed with its clocks running, the rest
resolved or closed, 3% breached, a third of the open ones assigned to one of 20 agents, and a
history of 12 events (replies, notes, a wait) on the tickets whose pages are read; then VACUUM
ANALYZE, the steady state autovacuum keeps. With the app in this process (no network: the time
measured is the server's, from the request arriving to the last byte of the answer), it asks
each question of both doors, alternately:

  queue, all active         GET /console                    GET /tickets (no filter; JSON has
                                                            no "active" filter, so it answers
                                                            every state: the harder query)
  queue, one account, open  GET /console?account=&state=open GET /tickets?account_id=&status=open
  queue, breached           GET /console?view=breached&state=any  GET /tickets?breached=true
  queue, page 100           GET /console?state=any&page=100 GET /tickets?offset=4950
  ticket page               GET /console/tickets/{ref}      GET /tickets/{ref}

and prints p50/p99 in ms of each (and the app's CPU time per request, p50: on a shared machine
the wall time includes waiting for a core), with PASS/FAIL against the targets: the page's p99 under
100 ms, and within 2x of the JSON route's p99. It exits 0 whatever the figures (it measures, it
does not test), 1 only when it cannot set up. The database is dropped at the end, also on an
error or Ctrl-C.

    .venv/bin/python bench/console.py [--tickets 100000] [--requests 300] [--seed 1]

Needs PostgreSQL (`make bench` starts it; PLEDGE_BENCH_POSTGRES_URL names another server). No
Temporal: reads never reach it (the app's client connects lazily).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from _support import percentile, say
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from api.app import create_app
from api.keys import mint_key
from db.migrate import upgrade
from db.models import Role
from db.session import make_engine
from settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "PLEDGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PAGE_P99_MS = 100.0
RATIO = 2.0
ACCOUNTS = 200
AGENTS = [f"Agent {n:02d}" for n in range(20)]
CHANNELS = ["phone", "email", "chat", "web"]


class Timed:
    """The app, timed from the request arriving to the answer's last byte (the server's time)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = 0.0
        self.cpu = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start, cpu = time.perf_counter(), time.process_time()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            # This process's CPU too: on a shared machine the wall time includes waiting for a
            # core, the CPU time is what the request itself cost (the database's apart).
            self.last, self.cpu = time.perf_counter() - start, time.process_time() - cpu


# -- the data ----------------------------------------------------------------------------------


def _copy_rows(rows: Iterator[tuple[Any, ...]]) -> io.StringIO:
    """Rows as COPY's text format: tab-separated, \\N for NULL."""
    buffer = io.StringIO()
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("\\N")
            elif isinstance(value, datetime):
                cells.append(value.isoformat())
            elif isinstance(value, bool):
                cells.append("t" if value else "f")
            else:
                text = str(value)
                cells.append(text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " "))
        buffer.write("\t".join(cells) + "\n")
    buffer.seek(0)
    return buffer


def _email(name: str | None) -> str | None:
    return f"{name.lower().replace(' ', '.')}@pledge.example.com" if name else None


def seed(url: str, tickets: int, rng: random.Random) -> tuple[int, list[str]]:
    """Accounts, tickets, clocks and the sampled tickets' histories; (an account id with open
    tickets, the references whose pages are read)."""
    now = datetime.now(UTC).replace(microsecond=0)
    policies = list(sla.policy_keys())
    with psycopg.connect(url, autocommit=False) as db:
        accounts = []
        for n in range(ACCOUNTS):
            policy = policies[n % len(policies)]
            accounts.append((n + 1, f"Account {n + 1:03d} ({policy})", policy))
        with db.cursor() as cur:
            cur.executemany(
                "INSERT INTO accounts (id, name, policy, edition, created_at) "
                "VALUES (%s, %s, %s, 'standard', now())",
                accounts,
            )
        ticket_rows, clock_rows, sample = [], [], []
        for tid in range(1, tickets + 1):
            account_id, _name, policy_key = accounts[rng.randrange(ACCOUNTS)]
            policy = sla.get_policy(policy_key)
            priority_key = rng.choice(list(policy.priorities))
            received = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 400))
            roll = rng.random()
            status = (
                "open"
                if roll < 0.07
                else "waiting"
                if roll < 0.09
                else "delayed"
                if roll < 0.10
                else "resolved"
                if roll < 0.25
                else "closed"
            )
            active = status in ("open", "waiting", "delayed")
            if active:  # work in hand arrived in the last few days, not last year
                received = now - timedelta(minutes=rng.randrange(10, 60 * 24 * 5))
            breached = rng.random() < 0.03
            due = (
                now + timedelta(minutes=rng.randrange(-600, 60 * 24 * 5))
                if active
                else received + timedelta(hours=8)
            )
            if breached and active:
                due = now - timedelta(minutes=rng.randrange(1, 600))
            reference = f"T-{tid:08d}"
            assignee = rng.choice(AGENTS) if active and rng.random() < 0.33 else None
            ticket_rows.append(
                (
                    tid, reference, account_id, None, f"Campaign {tid} will not send",
                    "Nothing happens when I press send.", rng.choice(CHANNELS), "incident",
                    policy_key, None, priority_key, status, 1, assignee,
                    _email(assignee),
                    None, None, received, received, "bench",
                    None if active else received + timedelta(hours=1),
                    None if active else received + timedelta(hours=6),
                    received + timedelta(days=1) if status == "closed" else None,
                    due, due, due if active else None, breached, 3, now,
                )
            )  # fmt: skip
            calendar = policy.default_calendar
            for name, target in policy.priority(priority_key).targets.items():
                if name not in ("first_response", "resolution") or target.unit.value == "release":
                    continue
                state = (
                    ("breached" if breached else "paused" if status == "waiting" else "running")
                    if active
                    else "met"
                )
                clock_rows.append(
                    (
                        tid, name, "clock", target.clock.value, calendar, target.label(), due,
                        state, None if active else received + timedelta(hours=1),
                        due if breached else None, None,
                    )
                )  # fmt: skip
            if active and len(sample) < 50 and rng.random() < 0.05:
                sample.append(reference)
        with db.cursor() as cur:
            with cur.copy(
                "COPY tickets (id, reference, account_id, contact_id, subject, description, "
                "channel, type, policy, calendar, priority, status, line, assignee_name, "
                "assignee_email, routed_to, campaign_scheduled_at, received_at, opened_at, "
                "opened_by, first_response_at, resolved_at, closed_at, first_response_due, "
                "resolution_due, next_due, breached, version, updated_at) FROM STDIN"
            ) as copy:
                copy.write(_copy_rows(iter(ticket_rows)).read())
            with cur.copy(
                "COPY ticket_clocks (ticket_id, name, kind, clock, calendar, target, due, state, "
                "met_at, breached_due, paused_remaining_seconds) FROM STDIN"
            ) as copy:
                copy.write(_copy_rows(iter(clock_rows)).read())
            events = []
            for reference in sample:
                tid = int(reference[2:])
                at = now - timedelta(hours=12)
                kinds = ["opened", "response", "note", "assigned", "response", "waiting"]
                kinds += ["resumed", "response", "note", "priority_changed", "note", "response"]
                for seq, kind in enumerate(kinds, start=1):
                    data = {"author": "agent", "body": "We are on it. " * 8}
                    if kind == "note":
                        data = {"note": "Checked the logs; nothing unusual. " * 3}
                    events.append(
                        (f"{reference}:{seq}", tid, seq, kind, "bench", at, kind, json.dumps(data))
                    )
                    at += timedelta(minutes=20)
            cur.executemany(
                "INSERT INTO ticket_events (id, ticket_id, seq, kind, actor, at, summary, data) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s::json)",
                events,
            )
            cur.execute("SELECT setval('tickets_id_seq', %s)", (tickets,))
            cur.execute(
                "SELECT account_id FROM tickets WHERE status = 'open' "
                "GROUP BY account_id ORDER BY count(*) DESC LIMIT 1"
            )
            busiest = cur.fetchone()
        db.commit()
        # As autovacuum keeps a live database: statistics, and the visibility map that lets
        # the queue's counts be answered from the indexes alone (a fresh COPY has none).
        db.autocommit = True
        db.execute("VACUUM ANALYZE")
    assert busiest is not None
    return int(busiest[0]), sample


# -- the measurement ---------------------------------------------------------------------------


async def measure(url: str, account: int, sample: list[str], requests: int) -> list[tuple]:
    engine = make_engine(url)
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        minted = await mint_key(session, name="bench agent", role=Role.AGENT, full_name=AGENTS[0])
    await engine.dispose()
    headers = {"Authorization": f"Bearer {minted.secret}"}
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="pledge-bench-console-")),
        database_url=url,
        temporal_address="127.0.0.1:1",  # never reached: reads do not call Temporal
    )
    app = create_app(settings)
    timed = Timed(app)
    pairs = [
        ("queue, all active", "/console", "/tickets"),
        (
            "queue, one account, open",
            f"/console?account={account}&state=open",
            f"/tickets?account_id={account}&status=open",
        ),
        ("queue, breached", "/console?view=breached&state=any", "/tickets?breached=true"),
        ("queue, page 100", "/console?state=any&page=100", "/tickets?offset=4950"),
        ("ticket page", "/console/tickets/{ref}", "/tickets/{ref}"),
    ]
    results = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=timed)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as http:
            for label, page_path, json_path in pairs:
                page_ms: list[float] = []
                json_ms: list[float] = []
                page_cpu: list[float] = []
                json_cpu: list[float] = []
                for n in range(requests + 20):  # the first 20 warm caches and are not counted
                    ref = sample[n % len(sample)]
                    doors = ((page_path, page_ms, page_cpu), (json_path, json_ms, json_cpu))
                    for path, into, cpu in doors:
                        answer = await http.get(path.format(ref=ref), headers=headers)
                        if answer.status_code != 200:
                            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
                        if n >= 20:
                            into.append(timed.last * 1000)
                            cpu.append(timed.cpu * 1000)
                results.append((label, page_ms, json_ms, page_cpu, json_cpu))
                say(f"  {label}: done")
    return results


def table(results: list[tuple]) -> str:
    rows = []
    for label, page_ms, json_ms, page_cpu, json_cpu in results:
        p50, p99 = percentile(page_ms, 50), percentile(page_ms, 99)
        j50, j99 = percentile(json_ms, 50), percentile(json_ms, 99)
        ratio = p99 / j99 if j99 else float("inf")
        verdict = "PASS" if p99 < PAGE_P99_MS and ratio <= RATIO else "FAIL"
        figures = f"{p50:>8.1f} {p99:>8.1f}   {j50:>8.1f} {j99:>8.1f}   {ratio:>5.2f}x"
        cpu = f"{percentile(page_cpu, 50):>6.1f} {percentile(json_cpu, 50):>6.1f}"
        rows.append(f"{label:<26} {figures}  {verdict}    {cpu}")
    head = (
        f"{'question':<26} {'page p50':>8} {'p99':>8}   {'JSON p50':>8} {'p99':>8}   "
        f"{'ratio':>6}  target  CPU p50: page  JSON"
    )
    note = (
        f"ms of server time; target: the page's p99 under {PAGE_P99_MS:.0f} ms and at most "
        f"{RATIO:.0f}x the JSON route's p99 (ratio: page p99 / JSON p99). CPU: this process's."
    )
    return "\n".join([head, "-" * len(head), *rows, "", note])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    sla.load_presets()
    name = f"pledge_bench_console_{secrets.token_hex(3)}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        say(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")
        return 1
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(database=name)
    plain = url.render_as_string(hide_password=False)
    app_url = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    try:
        upgrade(app_url)
        started = time.perf_counter()
        account, sample = seed(plain, args.tickets, random.Random(args.seed))
        say(
            f"seeded {args.tickets:,} tickets over {ACCOUNTS} accounts in "
            f"{time.perf_counter() - started:.0f} s; measuring {args.requests} requests a door"
        )
        results = asyncio.run(measure(app_url, account, sample, args.requests))
        say("")
        say(table(results))
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
