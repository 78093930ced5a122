"""The first admin key (PLEDGE_BOOTSTRAP_API_KEY, or generated once and kept in .data/) and
the first admin user who signs in to the console (PLEDGE_BOOTSTRAP_ADMIN_EMAIL/_PASSWORD, or
admin@example.com with a generated password kept in .data/admin-password)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import InvalidInput
from api.keys import ensure_admin_key, find_by_secret, mint_key
from db.models import Role
from settings import Settings

# The first admin's name until they give theirs: not a person, so nothing is signed with it.
BOOTSTRAP_NAME = "Administrator"


@dataclass(frozen=True)
class AdminKey:
    secret: str
    source: str  # a sentence for the launcher to print


def write_private(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create with 0600 from the start: never a moment where the key is world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret + "\n")
    os.chmod(path, 0o600)


async def ensure_bootstrap_admin(session: AsyncSession, settings: Settings) -> AdminKey:
    """Guarantee a working admin key and say where it came from; the caller commits."""
    ensured = await ensure_admin_key(session, settings.bootstrap_api_key)
    if ensured is not None:
        how = "created" if ensured.created else "re-enabled" if ensured.reactivated else "in use"
        return AdminKey(ensured.secret, f"from PLEDGE_BOOTSTRAP_API_KEY ({how})")

    path = settings.admin_key_file
    if path.exists():
        secret = path.read_text().strip()
        key = await find_by_secret(session, secret) if secret else None
        if key is not None and key.revoked_at is None and key.role is Role.ADMIN:
            os.chmod(path, 0o600)
            return AdminKey(secret, f"kept in {path}")
    minted = await mint_key(session, name="generated admin", role=Role.ADMIN)
    write_private(path, minted.secret)
    return AdminKey(minted.secret, f"generated and written to {path}, mode 600")


DEFAULT_ADMIN_EMAIL = "admin@example.com"


@dataclass(frozen=True)
class AdminUser:
    """Who signs in to the console first, and how the launcher tells the operator."""

    email: str
    password: str | None  # None: an admin already existed, and nothing here knows theirs
    source: str


async def ensure_bootstrap_user(
    session: AsyncSession, settings: Settings, full_name: str = BOOTSTRAP_NAME
) -> AdminUser:
    """Guarantee someone can sign in to the console as admin; the caller commits.

    With PLEDGE_BOOTSTRAP_ADMIN_EMAIL and _PASSWORD, that person is made (or put back) an
    admin with that password, as the bootstrap key is. Otherwise, the first run makes
    admin@example.com with a generated password kept in <data dir>/admin-password (mode 600);
    once any admin exists, nothing is changed but this: the default admin still named
    BOOTSTRAP_NAME takes `full_name` when one is given (the demo's person, who signs letters).
    """
    from services import users  # services import api.auth; api.cli imports this module

    email, password = settings.bootstrap_admin_email, settings.bootstrap_admin_password
    if email or password:
        if not (email and password):
            raise InvalidInput.for_field(
                "PLEDGE_BOOTSTRAP_ADMIN_EMAIL",
                "set PLEDGE_BOOTSTRAP_ADMIN_EMAIL and PLEDGE_BOOTSTRAP_ADMIN_PASSWORD together",
            )
        user = await users.find_by_email(session, email)
        if user is None:
            await users.create_user(
                session,
                email=email,
                full_name=full_name,
                job_title=None,
                roles=[Role.ADMIN],
                password=password,
            )
            how = "created"
        else:
            how = "in use"
            if Role.ADMIN.value not in user.roles:
                user.roles = [Role.ADMIN.value, *user.roles]
                how = "made admin"
            if not await users.verify_password(password, user.password_hash):
                await users.set_password(session, user, password)
                how = "password set"
        return AdminUser(email, password, f"from PLEDGE_BOOTSTRAP_ADMIN_EMAIL/_PASSWORD ({how})")

    admins = [u for u in await users.list_users(session) if Role.ADMIN.value in u.roles]
    path = settings.admin_password_file
    if admins:
        first = admins[0]
        kept = path.read_text().strip() if path.exists() else ""
        is_default = first.email_key == users.email_key(DEFAULT_ADMIN_EMAIL)
        if is_default and first.full_name == BOOTSTRAP_NAME and full_name != BOOTSTRAP_NAME:
            first.full_name = full_name  # only the name: the sign-in address stays
        if kept and is_default and await users.verify_password(kept, first.password_hash):
            os.chmod(path, 0o600)
            return AdminUser(first.email, kept, f"password kept in {path}")
        return AdminUser(first.email, None, "an admin already exists; use their password")
    password = secrets.token_urlsafe(12)
    await users.create_user(
        session,
        email=DEFAULT_ADMIN_EMAIL,
        full_name=BOOTSTRAP_NAME,
        job_title=None,
        roles=[Role.ADMIN],
        password=password,
    )
    write_private(path, password)
    return AdminUser(DEFAULT_ADMIN_EMAIL, password, f"generated and written to {path}, mode 600")
