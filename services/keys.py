"""API keys, as an admin manages them: list, create (the secret shown once), revoke.

The JSON routes (/keys) and the admin page call these same functions.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api import keys
from api.auth import Principal
from api.errors import Conflict, Forbidden
from db.models import ApiKey, Role


def _admin(by: Principal) -> None:
    if not by.has_role(Role.ADMIN):
        raise Forbidden(f"This needs the role admin; you have the role {by.role}")


async def list_keys(
    session: AsyncSession, by: Principal, *, include_revoked: bool = False
) -> list[ApiKey]:
    _admin(by)
    return await keys.list_keys(session, include_revoked=include_revoked)


async def create_key(
    session: AsyncSession,
    by: Principal,
    *,
    name: str,
    role: Role,
    account_id: int | None = None,
    full_name: str | None = None,
    job_title: str | None = None,
) -> keys.MintedKey:
    """A new key; the secret in the answer is shown once and kept nowhere."""
    _admin(by)
    return await keys.mint_key(
        session,
        name=name,
        role=role,
        account_id=account_id,
        full_name=full_name,
        job_title=job_title,
    )


async def revoke_key(session: AsyncSession, by: Principal, key_id: int) -> ApiKey:
    _admin(by)
    if key_id == by.key_id:
        raise Conflict("You cannot revoke the key you are using; use another admin key")
    return await keys.revoke_key(session, key_id)
