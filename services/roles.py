"""Who may do what, checked where it is done: a page and a route refuse alike."""

from __future__ import annotations

from api.auth import allow
from db.models import Role

# The same groups as the API's dependencies (api/auth.py); admin may always.
SUCCESS_MANAGERS = (Role.SUCCESS_MANAGER,)
STAFF = (Role.SUCCESS_MANAGER, Role.AGENT)
STAFF_OR_CUSTOMER = (Role.SUCCESS_MANAGER, Role.AGENT, Role.CUSTOMER)

__all__ = ["STAFF", "STAFF_OR_CUSTOMER", "SUCCESS_MANAGERS", "allow"]
