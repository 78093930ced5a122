"""Who may do what, checked where it is done: a page and a route refuse alike."""

from __future__ import annotations

from api.auth import Principal
from api.errors import Forbidden
from db.models import Role

# The same groups as the API's dependencies (api/auth.py); admin may always.
SUCCESS_MANAGERS = (Role.SUCCESS_MANAGER,)
STAFF = (Role.SUCCESS_MANAGER, Role.AGENT)
STAFF_OR_CUSTOMER = (Role.SUCCESS_MANAGER, Role.AGENT, Role.CUSTOMER)


def allow(principal: Principal, *roles: Role) -> None:
    """403, worded as the API's role check words it, unless the principal has one of `roles`."""
    allowed = {Role.ADMIN, *roles}
    if principal.role not in allowed:
        names = " or ".join(sorted(role.value for role in allowed))
        raise Forbidden(f"This needs the role {names}; your key has the role {principal.role}")
