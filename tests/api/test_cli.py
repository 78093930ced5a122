"""The `pledge` command creates, lists and revokes keys in the configured database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from api.keys import hash_secret
from settings import ROOT


def pledge(database_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PLEDGE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def pledge_env(
    database_url: str, data_dir: Path, extra: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PLEDGE_DATA_DIR": str(data_dir), **extra}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_create_list_revoke(database_url: str, tmp_path: Path) -> None:
    created = pledge(
        database_url, tmp_path, "keys", "create", "--name", "cli agent", "--role", "agent"
    )
    assert created.returncode == 0, created.stderr
    header, secret = created.stdout.strip().splitlines()
    key_id = header.split()[2]
    assert secret.startswith("pledge_")

    listed = pledge(database_url, tmp_path, "keys", "list")
    line = next(line for line in listed.stdout.splitlines() if line.split()[0] == key_id)
    assert "agent" in line and "active" in line and "cli agent" in line
    assert secret not in listed.stdout and secret[:10] not in listed.stdout
    assert hash_secret(secret)[:8] in line.split()

    revoked = pledge(database_url, tmp_path, "keys", "revoke", key_id)
    assert revoked.returncode == 0
    active = pledge(database_url, tmp_path, "keys", "list").stdout
    assert key_id not in [line.split()[0] for line in active.splitlines()]
    everything = pledge(database_url, tmp_path, "keys", "list", "--all").stdout
    assert "revoked" in next(line for line in everything.splitlines() if line.split()[0] == key_id)


def test_a_key_names_the_person_whose_letters_it_signs(database_url: str, tmp_path: Path) -> None:
    created = pledge(
        database_url, tmp_path, "keys", "create", "--name", "priya laptop",
        "--role", "complaints_handler", "--full-name", "Priya Shah",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.split()[2]
    named = pledge(
        database_url, tmp_path, "keys", "name", key_id, "--job-title", "Complaints Officer"
    )
    assert named.returncode == 0, named.stderr
    assert named.stdout.strip() == (
        f"key {key_id} (priya laptop) signs as: Priya Shah, Complaints Officer"
    )
    listed = pledge(database_url, tmp_path, "keys", "list").stdout
    line = next(line for line in listed.splitlines() if line.split()[0] == key_id)
    assert line.endswith("priya laptop [Priya Shah, Complaints Officer]")
    cleared = pledge(database_url, tmp_path, "keys", "name", key_id, "--full-name", "")
    assert "signs as: Complaints Officer" in cleared.stdout
    missing = pledge(database_url, tmp_path, "keys", "name", "999999", "--full-name", "X")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "pledge: No API key with id 999999"


def test_mistakes_are_one_line_and_exit_1(database_url: str, tmp_path: Path) -> None:
    unbound = pledge(database_url, tmp_path, "keys", "create", "--name", "c", "--role", "customer")
    assert unbound.returncode == 1
    assert (
        unbound.stderr.strip() == "pledge: account_id: a customer key must be bound to an account"
    )
    early = pledge(
        database_url, tmp_path, "keys", "create", "--name", "c", "--role", "customer",
        "--account", "987654",
    )  # fmt: skip
    assert (early.returncode, early.stderr.strip()) == (
        1,
        "pledge: account_id: there is no account with id 987654",
    )
    missing = pledge(database_url, tmp_path, "keys", "revoke", "987654")
    assert (missing.returncode, missing.stderr.strip()) == (1, "pledge: No API key with id 987654")
    bad_role = pledge(database_url, tmp_path, "keys", "create", "--name", "x", "--role", "wizard")
    assert bad_role.returncode == 2
    assert "wizard" in bad_role.stderr


def test_bootstrap_writes_a_private_key_file_once(database_url: str, tmp_path: Path) -> None:
    first = pledge(database_url, tmp_path, "bootstrap")
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "admin-api-key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    secret = key_file.read_text()
    again = pledge(database_url, tmp_path, "bootstrap")
    assert "kept in" in again.stdout
    assert key_file.read_text() == secret
    # The console's first admin, in the shared database: made by whichever run came first.
    assert "sign in at /login as " in first.stdout and "sign in at /login as " in again.stdout
    password_file = tmp_path / "admin-password"
    if password_file.exists():
        assert oct(password_file.stat().st_mode & 0o777) == "0o600"
        assert "password kept in" in again.stdout


def test_bootstrap_makes_an_admin_who_can_sign_in(database_url: str, tmp_path: Path) -> None:
    import secrets

    email = f"boss.{secrets.token_hex(3)}@example.com"
    env = {"PLEDGE_BOOTSTRAP_ADMIN_EMAIL": email, "PLEDGE_BOOTSTRAP_ADMIN_PASSWORD": "x" * 16}
    first = pledge_env(database_url, tmp_path, env, "bootstrap")
    assert first.returncode == 0, first.stderr
    assert f"sign in at /login as {email}: from PLEDGE_BOOTSTRAP_ADMIN_EMAIL" in first.stdout
    assert "(created)" in first.stdout
    env["PLEDGE_BOOTSTRAP_ADMIN_PASSWORD"] = "y" * 16  # the operator changed it
    again = pledge_env(database_url, tmp_path, env, "bootstrap")
    assert "(password set)" in again.stdout, again.stdout
    half = pledge_env(database_url, tmp_path, {"PLEDGE_BOOTSTRAP_ADMIN_EMAIL": email}, "bootstrap")
    assert half.returncode == 1 and "together" in half.stderr


def test_users_are_invited_listed_and_removed(database_url: str, tmp_path: Path) -> None:
    import secrets

    email = f"kim.{secrets.token_hex(3)}@example.com"
    invited = pledge(
        database_url, tmp_path, "users", "invite", "--email", email, "--name", "Kim Park",
        "--role", "agent", "--role", "complaints_handler",
    )  # fmt: skip
    assert invited.returncode == 0, invited.stderr
    user_id = invited.stdout.split()[2]
    assert "/invitations/" in invited.stdout.splitlines()[1]
    listed = pledge(database_url, tmp_path, "users", "list").stdout
    line = next(line for line in listed.splitlines() if email in line)
    assert "invited" in line and "agent,complaints_handler" in line
    removed = pledge(database_url, tmp_path, "users", "remove", user_id)
    assert removed.returncode == 0 and email in removed.stdout
    assert email not in pledge(database_url, tmp_path, "users", "list").stdout
    bad = pledge(database_url, tmp_path, "users", "invite", "--email", "nope", "--name", "X",
                 "--role", "agent")  # fmt: skip
    assert bad.returncode == 1 and "email" in bad.stderr


async def test_portal_link_prints_a_sign_in_link_for_a_contact_with_access(
    database_url: str, tmp_path: Path, engine
) -> None:  # type: ignore[no-untyped-def]
    import secrets

    from sqlalchemy.ext.asyncio import AsyncSession

    from db.models import Account, Contact, Edition
    from services import portal_access

    email = f"maya.{secrets.token_hex(3)}@customer.example.com"
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        account = Account(name=f"Bluebell {email}", policy="spotler", edition=Edition.STANDARD)
        session.add(account)
        await session.flush()
        session.add(
            Contact(account_id=account.id, name="Maya Green", email=email, portal_access=True)
        )

    printed = pledge(database_url, tmp_path, "portal", "link", email.upper())
    assert printed.returncode == 0, printed.stderr
    heading, link = printed.stdout.strip().splitlines()
    assert heading.startswith(account.name) and "15 minutes" in heading
    assert "/portal/link/" in link
    async with AsyncSession(engine) as session:
        contact, found = await portal_access.link_contact(session, link.rsplit("/", 1)[1])
    assert contact.email == email and found.id == account.id

    nobody = pledge(database_url, tmp_path, "portal", "link", "nobody@customer.example.com")
    assert nobody.returncode == 1 and "no contact with portal access" in nobody.stderr
