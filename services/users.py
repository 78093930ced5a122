"""Staff users: invitations, passwords, sign-in, roles and removal.

Tokens (invitation and reset links) are 256-bit random strings; only their SHA-256 is stored,
each is used once and expires. Sessions end when the password changes or the user is removed
(web/sessions.py keeps them; revoke_sessions here so that every path that must end them does).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import ROLE_ORDER, Principal
from api.errors import Conflict, FieldProblem, InvalidInput, NotFound
from api.keys import hash_secret
from db.models import Role, User, UserToken, WebSession
from db.types import utcnow
from web.passwords import hash_password, password_problem, verify_password

# The roles a person can hold; customers sign in elsewhere (magic links, not passwords).
STAFF_ROLES = (Role.ADMIN, Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER)
ROLE_NAMES = {
    Role.ADMIN: "Admin",
    Role.AGENT: "Support agent",
    Role.SUCCESS_MANAGER: "Success manager",
    Role.COMPLAINTS_HANDLER: "Complaints handler",
}
INVITATION, RESET = "invitation", "reset"


class LinkNotValid(Exception):
    """An invitation or reset link that is unknown, used, expired, or whose user is gone."""


def email_key(email: str) -> str:
    return email.strip().lower()


def principal_of(user: User) -> Principal:
    """The principal a signed-in user acts as: the same rules as an API key (api/auth.py)."""
    roles = frozenset(Role(r) for r in user.roles)
    return Principal(
        key_id=None,
        name=user.full_name,
        role=next(r for r in ROLE_ORDER if r in roles),
        account_id=None,
        key_prefix=user.prefix,
        full_name=user.full_name,
        job_title=user.job_title,
        user_id=user.id,
        roles=roles,
    )


def _check_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput.for_field("email", str(exc)) from None


def _check_roles(roles: Iterable[str | Role]) -> list[str]:
    chosen: list[str] = []
    for role in roles:
        try:
            value = Role(role)
        except ValueError:
            raise InvalidInput.for_field("roles", f"there is no role {role!r}") from None
        if value not in STAFF_ROLES:
            raise InvalidInput.for_field("roles", f"a person cannot hold the role {value.value}")
        if value.value not in chosen:
            chosen.append(value.value)
    if not chosen:
        raise InvalidInput.for_field("roles", "choose at least one role")
    return [r.value for r in STAFF_ROLES if r.value in chosen]


def _check_name(field: str, text: str | None, *, required: bool) -> str | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise InvalidInput.for_field(field, "this cannot be empty")
        return None
    if len(text) > 200:
        raise InvalidInput.for_field(field, "use at most 200 characters")
    return text


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    """The current (not removed) user with this address, whatever its case."""
    return await session.scalar(
        select(User).where(User.email_key == email_key(email), User.removed_at.is_(None))
    )


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None or user.removed_at is not None:
        raise NotFound(f"No user with id {user_id}")
    return user


async def list_users(session: AsyncSession) -> list[User]:
    query = select(User).where(User.removed_at.is_(None)).order_by(User.full_name, User.id)
    return list(await session.scalars(query))


async def issue_token(session: AsyncSession, user: User, purpose: str, lifetime: timedelta) -> str:
    """A new single-use link token for `user`; earlier unused ones for the same purpose end."""
    now = utcnow()
    await session.execute(
        update(UserToken)
        .where(
            UserToken.user_id == user.id,
            UserToken.purpose == purpose,
            UserToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_secret(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return token


async def token_user(session: AsyncSession, token: str, purpose: str) -> User:
    """The user a still-valid link belongs to (it is not used up here); LinkNotValid if not."""
    row = await session.scalar(
        select(UserToken).where(
            UserToken.token_hash == hash_secret(token), UserToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise LinkNotValid
    user = await session.get(User, row.user_id)
    if user is None or user.removed_at is not None:
        raise LinkNotValid
    return user


async def use_token(session: AsyncSession, token: str, purpose: str, password: str) -> User:
    """Set the password through a link, which is then used up; other sessions end."""
    user = await token_user(session, token, purpose)
    await set_password(session, user, password)
    await session.execute(
        update(UserToken).where(UserToken.token_hash == hash_secret(token)).values(used_at=utcnow())
    )
    return user


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise InvalidInput.for_field("password", problem)
    user.password_hash = await hash_password(password)
    user.password_changed_at = utcnow()
    await revoke_sessions(session, user.id)


async def revoke_sessions(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` is the user's; False for no user, in the same time (no telling)."""
    return await verify_password(password, user.password_hash if user else None) and bool(user)


async def check_sign_in(session: AsyncSession, email: str, password: str) -> User | None:
    """The user whose address and password these are; None for either wrong (no telling)."""
    user = await find_by_email(session, email)
    return user if await password_matches(user, password) else None


@dataclass(frozen=True)
class Invited:
    user: User
    token: str


async def invite_user(
    session: AsyncSession,
    by: Principal,
    *,
    email: str,
    full_name: str,
    job_title: str | None,
    roles: Iterable[str | Role],
    lifetime: timedelta,
) -> Invited:
    """Add a user who sets their own password through the link mailed to them."""
    problems: list[FieldProblem] = []
    checked: dict[str, object] = {}
    for field, check in (
        ("email", lambda: _check_email(email)),
        ("full_name", lambda: _check_name("full_name", full_name, required=True)),
        ("job_title", lambda: _check_name("job_title", job_title, required=False)),
        ("roles", lambda: _check_roles(roles)),
    ):
        try:
            checked[field] = check()
        except InvalidInput as exc:
            problems.extend(exc.errors or [])
    if problems:
        said = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise InvalidInput(f"Some of the details need correcting ({said})", errors=problems)
    address = str(checked["email"])
    existing = await session.scalar(select(User).where(User.email_key == email_key(address)))
    now = utcnow()
    if existing is not None and existing.removed_at is None:
        raise InvalidInput.for_field("email", f"{address} is already a user")
    if existing is not None:  # removed earlier: invited back, starting again
        user = existing
        user.removed_at = None
        user.password_hash = None
    else:
        user = User(email_key=email_key(address), prefix=secrets.token_hex(8), created_at=now)
        session.add(user)
    user.email = address
    user.full_name = str(checked["full_name"])
    user.job_title = checked["job_title"]  # type: ignore[assignment]
    user.roles = checked["roles"]  # type: ignore[assignment]
    user.invited_by = by.full_name or by.name
    user.invited_at = now
    await session.flush()
    return Invited(user, await issue_token(session, user, INVITATION, lifetime))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    full_name: str,
    job_title: str | None,
    roles: Iterable[str | Role],
    password: str,
) -> User:
    """A user with a password already (the bootstrap admin, `pledge users create`)."""
    address = _check_email(email)
    if await session.scalar(select(User).where(User.email_key == email_key(address))):
        raise InvalidInput.for_field("email", f"{address} is already a user")
    user = User(
        email=address,
        email_key=email_key(address),
        full_name=_check_name("full_name", full_name, required=True) or "",
        job_title=_check_name("job_title", job_title, required=False),
        roles=_check_roles(roles),
        prefix=secrets.token_hex(8),
        created_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    await set_password(session, user, password)
    return user


async def change_roles(
    session: AsyncSession, by: Principal, user_id: int, roles: Iterable[str | Role]
) -> User:
    user = await get_user(session, user_id)
    chosen = _check_roles(roles)
    if user.id == by.user_id and Role.ADMIN.value not in chosen:
        raise Conflict("You cannot take away your own admin role; ask another admin")
    user.roles = chosen
    return user


async def remove_user(session: AsyncSession, by: Principal, user_id: int) -> User:
    """The user can no longer sign in; their sessions and links end at once."""
    user = await get_user(session, user_id)
    if user.id == by.user_id:
        raise Conflict("You cannot remove yourself; ask another admin")
    now = utcnow()
    user.removed_at = now
    await revoke_sessions(session, user.id)
    await session.execute(
        update(UserToken)
        .where(UserToken.user_id == user.id, UserToken.used_at.is_(None))
        .values(used_at=now)
    )
    return user


async def has_admin_user(session: AsyncSession) -> bool:
    users = await list_users(session)
    return any(Role.ADMIN.value in u.roles and u.password_hash for u in users)
