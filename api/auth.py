"""Who is calling: bearer API keys resolved to a principal, and role checks for routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth_failures import record_failure, refuse_if_throttled
from api.deps import Session
from api.errors import Forbidden, Unauthorized
from api.keys import find_by_secret
from db.models import Role

# auto_error=False: a missing header becomes our 401 problem document, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")


# The role a signed-in user with several roles shows as `Principal.role`, most powerful first.
# Only what one role decides alone reads it (admin, customer); role checks use `has_role`.
ROLE_ORDER = (
    Role.ADMIN,
    Role.SUCCESS_MANAGER,
    Role.COMPLAINTS_HANDLER,
    Role.AGENT,
    Role.CUSTOMER,
)


@dataclass(frozen=True)
class Principal:
    """The caller: behind an API key, or a staff user signed in to the console.

    For a key: `key_id` is the key's id, `name` its name, `roles` just its `role`. For a user:
    `key_id` is None and `user_id` set, `name` is the person's full name (what histories
    record as the actor), `roles` every role they hold and `role` the first of them in
    ROLE_ORDER, so checks written for keys (`role is Role.CUSTOMER`, `role is Role.ADMIN`)
    keep their meaning. "May this caller do X" is `has_role(...)`, which sees every role.
    For a customer signed in to the portal: role customer, `account_id` their account,
    `contact_id` the contact they are, `name` their name.
    """

    key_id: int | None
    name: str
    role: Role
    account_id: int | None
    key_prefix: str = ""  # random per key or user: scopes a client's Idempotency-Keys
    # The person behind the key, as their letters are signed; None when the key names no one.
    full_name: str | None = None
    job_title: str | None = None
    user_id: int | None = None
    roles: frozenset[Role] = frozenset()
    # A customer signed in to the portal: the contact they are (account_id is theirs).
    contact_id: int | None = None

    def __post_init__(self) -> None:
        if not self.roles:
            object.__setattr__(self, "roles", frozenset({self.role}))

    def has_role(self, *roles: Role) -> bool:
        """Whether the caller holds one of `roles`; admin holds every one."""
        return Role.ADMIN in self.roles or not self.roles.isdisjoint(roles)

    def can_see_account(self, account_id: int) -> bool:
        return self.role is not Role.CUSTOMER or self.account_id == account_id


async def authenticate(
    request: Request,
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("An API key is required: send the header 'Authorization: Bearer <key>'")
    refuse_if_throttled(request)
    key = await find_by_secret(session, credentials.credentials)
    # End the lookup's transaction: for a request that changes things it holds SQLite's write
    # lock (api/deps.py), which a route that only calls Temporal must not keep meanwhile.
    await session.commit()
    if key is None:
        record_failure(request)
        raise Unauthorized("The API key is not recognised")
    if key.revoked_at is not None:
        record_failure(request)
        raise Unauthorized(f"The API key '{key.name}' was revoked on {key.revoked_at:%Y-%m-%d}")
    return Principal(
        key_id=key.id,
        name=key.name,
        role=key.role,
        account_id=key.account_id,
        key_prefix=key.prefix,
        full_name=key.full_name,
        job_title=key.job_title,
    )


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def allow(principal: Principal, *roles: Role) -> Principal:
    """`principal`, unless it holds none of `roles` (admin holds every one): then 403, in the
    words every route and page refuses with."""
    if not principal.has_role(*roles):
        names = " or ".join(sorted(role.value for role in {Role.ADMIN, *roles}))
        raise Forbidden(f"This needs the role {names}; your key has the role {principal.role}")
    return principal


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting the given roles; admin is always admitted."""

    async def check(principal: CurrentPrincipal) -> Principal:
        return allow(principal, *roles)

    return check


AdminPrincipal = Annotated[Principal, Depends(require())]
# Who may do what; admin may do everything.
SuccessManager = Annotated[Principal, Depends(require(Role.SUCCESS_MANAGER))]
Staff = Annotated[Principal, Depends(require(Role.SUCCESS_MANAGER, Role.AGENT))]
Agent = Annotated[Principal, Depends(require(Role.AGENT))]
# Complaints are confidential to the complaints department.
ComplaintsHandler = Annotated[Principal, Depends(require(Role.COMPLAINTS_HANDLER))]
# Staff, or a customer acting on their own account (the routes check which account).
StaffOrCustomer = Annotated[
    Principal, Depends(require(Role.SUCCESS_MANAGER, Role.AGENT, Role.CUSTOMER))
]
