"""What every console page's frame needs: the sections of the nav a viewer may open.

Registered on the pages' Jinja environment (web/pages.py) as `console_nav` by install(), so that
console/base.html shows each person the sections of their roles and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import Principal
from db.models import Role
from web.pages import _ENV


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str
    roles: tuple[Role, ...]  # besides admin, who sees every section


SECTIONS = (
    NavItem("queue", "Queue", "/console", (Role.AGENT, Role.SUCCESS_MANAGER)),
    NavItem("complaints", "Complaints", "/console/complaints", (Role.COMPLAINTS_HANDLER,)),
    NavItem("accounts", "Accounts", "/console/accounts", (Role.AGENT, Role.SUCCESS_MANAGER)),
    NavItem("releases", "Releases", "/console/releases", (Role.AGENT, Role.SUCCESS_MANAGER)),
    NavItem("incidents", "Incidents", "/console/incidents", (Role.AGENT, Role.SUCCESS_MANAGER)),
    NavItem(
        "maintenance", "Maintenance", "/console/maintenance", (Role.AGENT, Role.SUCCESS_MANAGER)
    ),
    NavItem(
        "dashboard",
        "Dashboard",
        "/console/dashboard",
        (Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER),
    ),
    NavItem("monitors", "Monitors", "/console/monitors", (Role.AGENT, Role.SUCCESS_MANAGER)),
    NavItem(
        "huddle",
        "Huddle",
        "/console/huddle",
        (Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER),
    ),
    NavItem("on-call", "On call", "/console/on-call", (Role.AGENT, Role.SUCCESS_MANAGER)),
    NavItem(
        "policies",
        "Policies",
        "/console/policies",
        (Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER),
    ),
    NavItem("inbox", "Inbox", "/console/inbox", (Role.AGENT, Role.SUCCESS_MANAGER)),
    NavItem("admin", "Admin", "/console/admin", ()),
)


def console_nav(viewer: Principal) -> list[NavItem]:
    return [item for item in SECTIONS if viewer.has_role(*item.roles)]


def install() -> None:
    """Make `console_nav` available to every template (create_app calls this)."""
    _ENV.globals["console_nav"] = console_nav
