"""The first admin key: from PLEDGE_BOOTSTRAP_API_KEY, or generated once and kept in .data/."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from api.keys import ensure_admin_key, find_by_secret, mint_key
from db.models import Role
from settings import Settings


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
