"""Whether a caller holds a role: a key holds one, a signed-in person may hold several."""

from __future__ import annotations

from collections.abc import Iterable

from api.auth import Principal
from api.errors import Forbidden
from db.models import Role


def holds(principal: Principal, allowed: Iterable[Role]) -> bool:
    """Whether the caller holds one of `allowed`; admin holds every role."""
    roles = set(getattr(principal, "roles", None) or {principal.role})
    return Role.ADMIN in roles or not roles.isdisjoint(allowed)


def require_role(principal: Principal, allowed: tuple[Role, ...]) -> None:
    """Refused in the JSON API's words (api.auth.require), which checks the routes first."""
    if not holds(principal, allowed):
        names = " or ".join(sorted(role.value for role in {Role.ADMIN, *allowed}))
        raise Forbidden(f"This needs the role {names}; your key has the role {principal.role}")
