"""API keys: minted with a secret shown once, stored as a SHA-256, revoked by id."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import InvalidInput, NotFound
from db.models import Account, ApiKey, Role
from db.types import utcnow

KEY_PREFIX = "pledge_"
MIN_BOOTSTRAP_LENGTH = 24


@dataclass(frozen=True)
class MintedKey:
    """A new key: the row, and the secret that exists nowhere else."""

    key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    # The secrets are 256-bit random tokens, so a fast unsalted hash is enough: there is no
    # dictionary to attack, and lookups stay a single indexed equality.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def _check_binding(session: AsyncSession, role: Role, account_id: int | None) -> None:
    if role is Role.CUSTOMER and account_id is None:
        raise InvalidInput.for_field("account_id", "a customer key must be bound to an account")
    if role is not Role.CUSTOMER and account_id is not None:
        raise InvalidInput.for_field(
            "account_id", f"only customer keys are bound to an account, not {role.value} keys"
        )
    # Bound to an id that does not exist yet, a key would see the account that later gets it.
    if account_id is not None and await session.get(Account, account_id) is None:
        raise InvalidInput.for_field("account_id", f"there is no account with id {account_id}")


async def mint_key(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    account_id: int | None = None,
    secret: str | None = None,
    full_name: str | None = None,
    job_title: str | None = None,
) -> MintedKey:
    """Create a key; the caller commits and shows the secret once."""
    await _check_binding(session, role, account_id)
    secret = secret or new_secret()
    secret_hash = hash_secret(secret)
    key = ApiKey(
        name=name,
        full_name=_person(full_name),
        job_title=_person(job_title),
        role=role,
        account_id=account_id,
        # Random per key and no part of the secret: it scopes the key's Idempotency-Keys.
        prefix=secret_hash[-16:],
        secret_hash=secret_hash,
    )
    session.add(key)
    await session.flush()
    return MintedKey(key=key, secret=secret)


def _person(text: str | None) -> str | None:
    return (text.strip() or None) if text is not None else None


async def set_person(session: AsyncSession, key_id: int, changes: dict[str, str | None]) -> ApiKey:
    """Change the name and title a key's letters are signed with (only the fields given)."""
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}")
    for field in ("full_name", "job_title"):
        if field in changes:
            setattr(key, field, _person(changes[field]))
    await session.flush()
    return key


async def find_by_secret(session: AsyncSession, secret: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.secret_hash == hash_secret(secret)))


async def list_keys(session: AsyncSession, *, include_revoked: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(await session.scalars(query))


async def revoke_key(session: AsyncSession, key_id: int) -> ApiKey:
    """Revoke a key by id; revoking twice keeps the first revocation time."""
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


@dataclass(frozen=True)
class EnsuredAdminKey:
    secret: str
    created: bool
    reactivated: bool = False


async def ensure_admin_key(session: AsyncSession, secret: str | None) -> EnsuredAdminKey | None:
    """Make `secret` a working admin key; with no secret, report nothing to do (None).

    An operator who sets PLEDGE_BOOTSTRAP_API_KEY means that key to work, so a revoked or
    downgraded copy of it is put back to an active admin key rather than left broken.
    """
    if not secret:
        return None
    if len(secret) < MIN_BOOTSTRAP_LENGTH:
        raise InvalidInput.for_field(
            "PLEDGE_BOOTSTRAP_API_KEY",
            f"must be at least {MIN_BOOTSTRAP_LENGTH} characters; it opens every door",
        )
    existing = await find_by_secret(session, secret)
    if existing is None:
        await mint_key(session, name="bootstrap admin", role=Role.ADMIN, secret=secret)
        return EnsuredAdminKey(secret=secret, created=True)
    changed = existing.revoked_at is not None or existing.role is not Role.ADMIN
    existing.revoked_at = None
    existing.role = Role.ADMIN
    existing.account_id = None
    return EnsuredAdminKey(secret=secret, created=False, reactivated=changed)
