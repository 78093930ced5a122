"""Who may do what, checked where it is done: a page and a route refuse alike."""

from __future__ import annotations

from api.auth import Principal
from api.errors import Forbidden
from db.models import Role

# The same groups as the API's dependencies (api/auth.py); admin may always.
SUCCESS_MANAGERS = (Role.SUCCESS_MANAGER,)
STAFF = (Role.SUCCESS_MANAGER, Role.AGENT)
STAFF_OR_CUSTOMER = (Role.SUCCESS_MANAGER, Role.AGENT, Role.CUSTOMER)


def holds(principal: Principal, *roles: Role) -> bool:
    """Whether the principal has one of `roles`; admin has them all. A signed-in person may
    hold several roles (`roles`, where the principal carries them); a key holds its one."""
    held = set(getattr(principal, "roles", None) or ()) | {principal.role}
    return Role.ADMIN in held or not held.isdisjoint(roles)


def allow(principal: Principal, *roles: Role) -> None:
    """403, worded as the API's role check words it, unless the principal has one of `roles`."""
    if not holds(principal, *roles):
        names = " or ".join(sorted(role.value for role in {Role.ADMIN, *roles}))
        raise Forbidden(f"This needs the role {names}; your key has the role {principal.role}")
