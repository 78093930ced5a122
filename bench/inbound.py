"""Mail in at scale: 1,000 mails in a support mailbox turned into tickets, beside a bare IMAP
fetch of the same 1,000 mails from the same server, in one run.

Starts a private stack on loopback (Dovecot with a configuration of its own, a Temporal dev
server in memory, a throw-away PostgreSQL database, a worker in this process with every
workflow and activity) and measures:

  drain      1,000 mails waiting in the folder when the mailbox is set up, until the last one is
             a ticket (recorded, opened, confirmed, moved): mails per second; beside it, a bare
             IMAP client fetching the same 1,000 mails whole (UID FETCH BODY.PEEK[] in batches
             of the same size) from the handled folder afterwards: mails per second
  latency    --steady mails appended one at a time, --gap seconds apart, while the mailbox is
             idling: from each APPEND's return to its ticket's record (received_mails.
             handled_at), p50/p99/max; beside it, the bare client's own latency for one mail
             (APPEND, then SEARCH and FETCH it back)

Prints a table and exits 0 whatever the figures (it measures, it does not test); 1 only when
the stack cannot be set up. Everything it starts is stopped and the database dropped, also on
an error.

    .venv/bin/python bench/inbound.py [--mails 1000] [--steady 100] [--gap 0.2]

Needs PostgreSQL (`make bench` starts it; --postgres names another server) and Dovecot
(`make bench` installs dovecot-imapd).
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import os
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from _support import percentile, say
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from api.references import new_reference
from db.migrate import upgrade
from db.models import Account, Contact, Edition, ReceivedMail
from db.session import make_engine, make_sync_engine
from outbound import sealing
from settings import Settings
from tests.imap_server import dovecot
from worker import build_worker
from workflows.connection import converter_with_keys, installed_binary
from workflows.mailbox import MailboxWorkflow
from workflows.mailbox_messages import MailboxConfig, MailboxStart, Recorded
from workflows.payload_codec import new_key_entry, parse_keys

POSTGRES_ADMIN_URL = os.environ.get(
    "PLEDGE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BATCH = 50  # the mailbox activity's batch (FetchRequest.batch)
DRAIN_LIMIT_SECONDS = 900


def a_mail(sender: str, n: int) -> tuple[bytes, str]:
    message_id = f"bench-{n}-{secrets.token_hex(6)}@customer.invalid"
    raw = (
        f"From: Casey Contact <{sender}>\r\n"
        f"To: support@pledge.invalid\r\n"
        f"Subject: Campaign {n} will not send\r\n"
        f"Message-ID: <{message_id}>\r\n"
        f"Date: {datetime.now(UTC):%a, %d %b %Y %H:%M:%S +0000}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Campaign {n} has been stuck in the queue since this morning.\r\n\r\n"
        "On Monday, Pledge wrote:\r\n> Thank you for your message.\r\n"
    ).encode()
    return raw, message_id


def bare_fetch(host: str, port: int, user: str, password: str, folder: str) -> tuple[int, float]:
    """Fetch every mail in `folder` whole, in batches, as a bare client: (mails, seconds)."""
    started = time.perf_counter()
    imap = imaplib.IMAP4(host, port, timeout=30)
    imap.login(user, password)
    imap.select(f'"{folder}"', readonly=True)
    typ, data = imap.uid("SEARCH", None, "ALL")
    uids = (data[0] or b"").split()
    fetched = 0
    for i in range(0, len(uids), BATCH):
        wanted = b",".join(uids[i : i + BATCH]).decode()
        typ, data = imap.uid("FETCH", wanted, "(UID INTERNALDATE BODY.PEEK[])")
        fetched += sum(1 for item in data if isinstance(item, tuple))
    imap.logout()
    return fetched, time.perf_counter() - started


def bare_round_trip(host: str, port: int, user: str, password: str, sender: str) -> float:
    """One mail appended, then found and fetched back by a bare client: seconds."""
    raw, message_id = a_mail(sender, 0)
    imap = imaplib.IMAP4(host, port, timeout=30)
    imap.login(user, password)
    imap.create('"Bare"')
    started = time.perf_counter()
    imap.append('"Bare"', None, None, raw)
    imap.select('"Bare"')
    typ, data = imap.uid("SEARCH", None, "HEADER", "Message-ID", message_id)
    imap.uid("FETCH", data[0].split()[-1].decode(), "(BODY.PEEK[])")
    took = time.perf_counter() - started
    imap.logout()
    return took


async def main(args: argparse.Namespace) -> int:
    name = f"pledge_bench_inbound_{secrets.token_hex(3)}"
    try:
        with psycopg.connect(args.postgres, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        say(f"cannot reach PostgreSQL at {args.postgres}: {exc}")
        return 1
    url = make_url(args.postgres).set(drivername="postgresql+psycopg", database=name)
    database_url = url.render_as_string(hide_password=False)
    try:
        upgrade(database_url)
        with dovecot() as server, tempfile.TemporaryDirectory() as data:
            return await run(args, server, database_url, Path(data))
    finally:
        with psycopg.connect(args.postgres, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(args: argparse.Namespace, server, database_url: str, data: Path) -> int:  # type: ignore[no-untyped-def]
    keys = new_key_entry()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(installed_binary("temporal")),
        data_converter=converter_with_keys(parse_keys(keys)),
        dev_server_log_level="error",
        ui=False,
    )
    settings = Settings(
        data_dir=data,
        database_url=database_url,
        temporal_address=env.client.service_client.config.target_host,
        temporal_task_queue=f"bench-inbound-{secrets.token_hex(3)}",
        payload_keys=keys,
        mailbox_allowed_hosts="127.0.0.1",
        mailbox_idle_seconds=60,
        demo_data=False,
    )
    engine = make_engine(database_url)
    sync_engine = make_sync_engine(database_url)
    user, password = server.add_user()
    # One contact per mail: a sender opening more than PLEDGE_INBOUND_MAX_PER_HOUR would be
    # held for review, which is not what is measured here.
    tag = secrets.token_hex(3)
    senders = [f"casey-{n}-{tag}@customer.example.com" for n in range(args.mails + args.steady + 2)]
    async with AsyncSession(engine) as session, session.begin():
        account = Account(name="Bench customer", policy="e-shot", edition=Edition.STANDARD)
        session.add(account)
        await session.flush()
        session.add_all(
            Contact(account_id=account.id, name=f"Casey {n}", email=address)
            for n, address in enumerate(senders)
        )

    say(f"appending {args.mails} mails to {server.host}:{server.port} (IMAP APPEND)")
    with server.login(user, password) as imap:
        for n in range(1, args.mails + 1):
            raw, _ = a_mail(senders[n], n)
            imap.append('"INBOX"', None, None, raw)

    deps = ActivityDeps.create(settings, "bench-worker", engine, sync_engine)
    result = 0
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(env.client, deps, executor):
            mailbox_id = new_reference("B")
            config = MailboxConfig(
                mailbox_id=mailbox_id, name="Bench", host=server.host, port=server.port,
                tls=False, username=user, creates="tickets",
                password_sealed=sealing.seal(password, mailbox_id, sealing.keys(settings)),
            )  # fmt: skip
            started = time.perf_counter()
            await env.client.start_workflow(
                MailboxWorkflow.run,
                MailboxStart(config=config, created_by="bench"),
                id=f"mailbox-{mailbox_id}",
                task_queue=settings.temporal_task_queue,
            )
            handle = env.client.get_workflow_handle(f"mailbox-{mailbox_id}")
            await handle.execute_update(MailboxWorkflow.recorded, Recorded())

            async def tickets() -> int:
                async with AsyncSession(engine) as session:
                    return int(
                        await session.scalar(
                            select(func.count())
                            .select_from(ReceivedMail)
                            .where(
                                ReceivedMail.mailbox_id == mailbox_id,
                                ReceivedMail.outcome == "ticket",
                                ReceivedMail.moved_at.is_not(None),
                            )
                        )
                        or 0
                    )

            done = 0
            while done < args.mails:
                if time.perf_counter() - started > DRAIN_LIMIT_SECONDS:
                    say(f"gave up after {DRAIN_LIMIT_SECONDS} s with {done} tickets")
                    result = 1
                    break
                await asyncio.sleep(1)
                done = await tickets()
                if int(time.perf_counter() - started) % 15 == 0:
                    say(f"  {done} of {args.mails} mails are tickets")
            drain = time.perf_counter() - started
            # The same mails, now in the handled folder, fetched whole by a bare client.
            fetched, bare = await asyncio.to_thread(
                bare_fetch, server.host, server.port, user, password, "Pledge"
            )

            say(f"{args.steady} mails appended {args.gap} s apart while the mailbox idles")
            appended: dict[str, float] = {}
            with server.login(user, password) as imap:
                for n in range(args.mails + 1, args.mails + args.steady + 1):
                    raw, message_id = a_mail(senders[n], n)
                    imap.append('"INBOX"', None, None, raw)
                    appended[message_id] = time.time()
                    await asyncio.sleep(args.gap)
            latencies: list[float] = []
            deadline = time.perf_counter() + 120
            while len(latencies) < len(appended) and time.perf_counter() < deadline:
                await asyncio.sleep(1)
                async with AsyncSession(engine) as session:
                    rows = (
                        await session.execute(
                            select(ReceivedMail.message_id, ReceivedMail.handled_at).where(
                                ReceivedMail.message_id.in_(list(appended)),
                                ReceivedMail.handled_at.is_not(None),
                            )
                        )
                    ).all()
                latencies = [(at.timestamp() - appended[mid]) for mid, at in rows]
            await handle.terminate("the bench is over")

    one = await asyncio.to_thread(
        bare_round_trip, server.host, server.port, user, password, senders[0]
    )
    await engine.dispose()
    sync_engine.dispose()
    await env.shutdown()

    say("")
    say(f"{'':34}{'Pledge':>16}{'bare IMAP fetch':>18}")
    say(
        f"{'drain: mails per second':34}{done / drain:>16.1f}{fetched / bare:>18.1f}"
        f"   ({done} tickets in {drain:.1f} s; {fetched} mails fetched in {bare:.2f} s)"
    )
    ratio = (fetched / bare) / (done / drain)
    say(f"{'drain: the bare fetch is faster by':34}{ratio:>15.0f}x")
    if latencies:
        ms = [x * 1000 for x in latencies]
        say(
            f"{'arrival to ticket p50 / p99 (ms)':34}"
            f"{percentile(ms, 50):>7.0f} / {percentile(ms, 99):<6.0f}{one * 1000:>18.1f}"
            f"   (max {max(ms):.0f} ms over {len(ms)} of {len(appended)} mails; bare: one "
            "append, search and fetch)"
        )
    else:
        say("arrival to ticket: no mail of the steady phase became a ticket in time")
        result = 1
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--steady", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.2)
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL)
    sys.exit(asyncio.run(main(parser.parse_args())))
