"""Every route, for every role and for a customer of another account: who is let in, who is not.

The routes come from the app itself and the expectations from the table below, written out by
hand: a route added to the app and not to the table fails the test, so a new route cannot
escape the matrix. Each route is called with real records of account A (the worker running,
everything committed):

- `ok`: 2xx, or 409 where an earlier role already changed the record's state;
- `deny`: 401, 403 or 404, and 401 whenever there is no key at all;
- `scoped`: 2xx listing none of account A's records (a list from another account's view);
- `seen`: let in, though the record may not be ready yet (a review pack): anything but
  401, 403 and 5xx;
- `page`: a console page or form: without a key, a redirect to /login; a form let in answers
  with a redirect back to its page (303), or 409 where the record's state has moved on.
- `portal`: a page of the customer portal: no API key opens it (the portal takes only its own
  sign-in), so every role is sent to /portal/login. tests/web/test_portal_scoping.py tries
  each with a signed-in customer of another account.

Never a 5xx, for anyone; and every status seen is one the operation declares in the OpenAPI
document.

After each write that was let in, the test waits for the worker to settle (no activity or
workflow task pending on the test's task queue) before the next call: this matrix is about who
may do what, one request at a time. Concurrent writes have tests of their own.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import sla
from api.app import create_app
from api.keys import mint_key
from db.models import Review, Role, User
from db.types import MAX_INTEGER
from outbound.ticket_links import link_secret, rate_token, track_token
from settings import Settings
from sla.maintenance_rules import night_of
from sla.periods import at_local, local_date, working_day_after
from sla.reviews import REVIEW_TIME
from tests.api.conftest import Live, customer_key
from tests.api.routes import Operation, operations
from tests.waiting import eventually

ANONYMOUS, OTHER, CUSTOMER = "anonymous", "customer_of_another_account", "customer"
HANDLER, AGENT, MANAGER, ADMIN = "complaints_handler", "agent", "success_manager", "admin"
# The roles that cannot change anything go first, so a refusal is seen before any state moves.
ROLES = (ANONYMOUS, OTHER, CUSTOMER, HANDLER, AGENT, MANAGER, ADMIN)

EVERYONE = frozenset(ROLES)
KEYS = EVERYONE - {ANONYMOUS}
# Records of account A: every key but another account's customer.
ACCOUNT_READERS = KEYS - {OTHER}
STAFF = frozenset({AGENT, MANAGER, ADMIN})
STAFF_AND_CUSTOMER = STAFF | {CUSTOMER}
HANDLERS = frozenset({HANDLER, ADMIN})
MANAGERS = frozenset({MANAGER, ADMIN})
AGENTS = frozenset({AGENT, ADMIN})
ADMINS = frozenset({ADMIN})


@dataclass
class World:
    """Account A's records, and another account B."""

    account: int
    other_account: int
    contact: int
    ticket: str
    complaint: str
    letter: str  # its number
    release: str
    report: int
    review: int
    action: int
    spare_key: int  # revoked by the matrix
    attachment: str  # a public file on the ticket
    other_attachment: str  # a file on a ticket of the other account
    monitor: str  # watching the account's website
    incident: str  # a draft incident of an own service, linked to the account's ticket
    maintenance: str  # a window naming the account
    user: int = 0  # a member of staff (an agent) who may be put on call
    # Copies an admin made of e-shot's policy, its support calendar and the standard regime,
    # by kind, as GET returns them (so a PUT of one saves no new version).
    terms: dict[str, dict[str, Any]] = field(default_factory=dict)
    feed_tokens: dict[str, str] = field(default_factory=dict)
    track_token: str = ""  # the signed token of the ticket's tracking link, as mailed
    rate_token: str = ""  # and of its rating link, as the resolution mail carries it

    def leaks(self, text: str) -> list[str]:
        """What in a response shows account A's data."""
        found = [
            i for i in (self.ticket, self.complaint, self.monitor, self.maintenance) if i in text
        ]
        return found + re.findall(rf'"(?:account_)?id": ?{self.account}[,}}]', text)


Body = Callable[[World], Any]


@dataclass(frozen=True)
class Rule:
    ok: frozenset[str]
    body: Body | None = None
    params: Callable[[World], dict[str, Any]] | None = None
    scoped: frozenset[str] = frozenset()  # 2xx without account A's records
    seen: bool = False  # the record may not be ready yet for those let in
    page: bool = False  # a console page: signing in is a redirect, forms post form fields
    form: Body | None = None
    files: Body | None = None  # multipart uploads
    content: Body | None = None  # a raw body (an iCalendar file)
    portal: bool = False  # a customer portal page: a key never opens it


def _today(days: int = 0) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _review_start(days_ahead: int) -> str:
    calendar = sla.get_policy("e-shot").calendar()
    today = local_date(calendar, datetime.now(UTC))
    return at_local(
        calendar, working_day_after(calendar, today, days_ahead), REVIEW_TIME
    ).isoformat()


def _contact(_: World) -> dict[str, Any]:
    return {"name": "Matrix Contact", "email": f"m-{secrets.token_hex(3)}@customer.example.com"}


def _ticket(world: World) -> dict[str, Any]:
    return {
        "account_id": world.account,
        "subject": "Matrix",
        "description": "Opened by the matrix",
        "channel": "phone",
        "priority": "p3",
    }


def _file(_: World) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("file", ("matrix.txt", b"A file from the matrix\n", "text/plain"))]


def _complaint(world: World) -> dict[str, Any]:
    return {
        "complainant": {"name": "Jane Doe", "email": "jane@customer.example.com"},
        "account_id": world.account,
        "summary": "Matrix",
        "channel": "letter",
    }


def _objective(_: World) -> dict[str, Any]:
    return {
        "name": f"Grow {secrets.token_hex(2)}",
        "metric": "subscribers",
        "target": 5000,
        "due_on": _today(60),
        "owner": {"name": "Olive Owner"},
    }


def _outcome(_: object) -> dict[str, Any]:
    return {
        "outcome": "Agreed",
        "actions": [{"description": "Act", "owner": {"name": "Owen"}, "due_on": _today(30)}],
    }


LATER = itertools.count(40)


def _review_local(days_ahead: int) -> str:
    """A review start as a console form takes it: wall-clock time in the account's zone."""
    calendar = sla.get_policy("e-shot").calendar()
    at = datetime.fromisoformat(_review_start(days_ahead))
    return at.astimezone(ZoneInfo(calendar.timezone)).strftime("%Y-%m-%dT%H:%M")


def _objective_form(_: World) -> dict[str, Any]:
    return {
        "name": f"Grow {secrets.token_hex(2)}", "metric": "subscribers", "target": "5000",
        "direction": "at_least", "due_on": _today(60), "owner.name": "Olive Owner",
    }  # fmt: skip


def _outcome_form(_: World) -> dict[str, Any]:
    return {
        "outcome": "Agreed", "actions.0.description": "Act", "actions.0.owner.name": "Owen",
        "actions.0.due_on": _today(30),
    }  # fmt: skip


def _evening(days: int) -> datetime:
    """21:00 UK time `days` days on: inside e-shot's promised maintenance hours."""
    night = night_of(sla.get_policy("e-shot"), date.today() + timedelta(days=days))
    assert night is not None
    return night.opens + timedelta(hours=1)


def _maintenance(world: World, days: int) -> dict[str, Any]:
    return _maintenance_for(world.account, days)


def _maintenance_for(account: int, days: int = 5) -> dict[str, Any]:
    starts = _evening(days)
    return {
        "title": "Matrix upgrade", "services": ["platform"], "policy": "e-shot",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "account_ids": [account],
    }  # fmt: skip


def _maintenance_form(world: World) -> dict[str, Any]:
    starts = _evening(4).astimezone(ZoneInfo("Europe/London"))
    return {
        "title": "Matrix page upgrade", "service_platform": "on", "policy": "e-shot",
        "starts_at": f"{starts:%Y-%m-%dT%H:%M}",
        "ends_at": f"{starts + timedelta(hours=1):%Y-%m-%dT%H:%M}",
    }  # fmt: skip


TABLE: dict[str, Rule] = {
    # public
    "GET /openapi.json": Rule(EVERYONE),
    "GET /docs": Rule(EVERYONE),
    "GET /docs/oauth2-redirect": Rule(EVERYONE),
    "GET /redoc": Rule(EVERYONE),
    "GET /health": Rule(EVERYONE),
    # any key: nothing here belongs to an account
    "GET /me": Rule(KEYS),
    "PATCH /me": Rule(KEYS, body=lambda w: {"job_title": "Matrix tester"}),
    "GET /policies": Rule(KEYS),
    "GET /policies/{key}": Rule(KEYS),
    "POST /policies/{key}/preview": Rule(
        KEYS, body=lambda w: {"received_at": "2026-11-19T17:00:00Z", "priority": "p1"}
    ),
    # Terms as versioned data: admins write; policies are read by every key (the promises
    # customers are made), calendars and regimes by staff. {key} is the world's own copy of
    # e-shot's (or of its calendar, or of the standard regime), so no preset gains a version.
    "POST /policies": Rule(ADMINS, body=lambda w: _copy(w.terms["policy"])),
    "PUT /policies/{key}": Rule(ADMINS, body=lambda w: w.terms["policy"]),
    "GET /policies/{key}/versions": Rule(KEYS),
    "GET /policies/{key}/versions/{version}": Rule(KEYS),
    "POST /policies/{key}/versions/{version}/preview": Rule(
        KEYS, body=lambda w: {"received_at": "2026-11-19T17:00:00Z", "priority": "p1"}
    ),
    "GET /calendars": Rule(STAFF | HANDLERS),
    "POST /calendars": Rule(ADMINS, body=lambda w: _copy(w.terms["calendar"])),
    "GET /calendars/{key}": Rule(STAFF | HANDLERS),
    "PUT /calendars/{key}": Rule(ADMINS, body=lambda w: w.terms["calendar"]),
    "GET /calendars/{key}/versions": Rule(STAFF | HANDLERS),
    "GET /calendars/{key}/versions/{version}": Rule(STAFF | HANDLERS),
    "POST /calendars/{key}/closures.ics": Rule(ADMINS, content=lambda w: MATRIX_ICS),
    "GET /regimes": Rule(STAFF | HANDLERS),
    "POST /regimes": Rule(ADMINS, body=lambda w: _copy(w.terms["regime"])),
    "GET /regimes/{key}": Rule(STAFF | HANDLERS),
    "PUT /regimes/{key}": Rule(ADMINS, body=lambda w: w.terms["regime"]),
    "GET /regimes/{key}/versions": Rule(STAFF | HANDLERS),
    "GET /regimes/{key}/versions/{version}": Rule(STAFF | HANDLERS),
    # A version no one has (concrete() names one for deletes): refused, or 404 once let in.
    "DELETE /policies/{key}/versions/{version}": Rule(ADMINS, seen=True),
    "DELETE /calendars/{key}/versions/{version}": Rule(ADMINS, seen=True),
    "DELETE /regimes/{key}/versions/{version}": Rule(ADMINS, seen=True),
    "POST /policies/{key}/move": Rule(ADMINS, body=lambda w: {"to_version": 1}),
    # the console's pages of the same terms
    "GET /console/policies": Rule(STAFF | HANDLERS, page=True),
    "GET /console/policies/{key}": Rule(STAFF | HANDLERS, page=True),
    "GET /console/policies/{key}/versions/{version}": Rule(STAFF | HANDLERS, page=True),
    "GET /console/policies/{key}/edit": Rule(ADMINS, page=True),
    "GET /console/policies/{key}/copy": Rule(ADMINS, page=True),
    "POST /console/policies/{key}/edit": Rule(
        ADMINS, page=True, form=lambda w: _terms_form(w, "policy")
    ),
    "POST /console/policies/new": Rule(
        ADMINS, page=True, form=lambda w: {"json": json.dumps(_copy(w.terms["policy"]))}
    ),
    "POST /console/policies/preview": Rule(
        ADMINS, page=True, form=lambda w: _terms_form(w, "policy")
    ),
    "GET /console/policies/{key}/versions/{version}/move": Rule(ADMINS, page=True),
    "POST /console/policies/{key}/versions/{version}/move": Rule(ADMINS, page=True),
    "POST /console/policies/{key}/versions/{version}/delete": Rule(ADMINS, page=True, seen=True),
    "GET /console/calendars": Rule(STAFF | HANDLERS, page=True),
    "GET /console/calendars/{key}": Rule(STAFF | HANDLERS, page=True),
    "GET /console/calendars/{key}/versions/{version}": Rule(STAFF | HANDLERS, page=True),
    "GET /console/calendars/{key}/edit": Rule(ADMINS, page=True),
    "POST /console/calendars/{key}/edit": Rule(
        ADMINS, page=True, form=lambda w: _terms_form(w, "calendar")
    ),
    "POST /console/calendars/{key}/closures.ics": Rule(
        ADMINS, page=True, files=lambda w: [("file", ("matrix.ics", MATRIX_ICS, "text/calendar"))]
    ),
    "POST /console/calendars/{key}/versions/{version}/delete": Rule(ADMINS, page=True, seen=True),
    "GET /console/regimes": Rule(STAFF | HANDLERS, page=True),
    "GET /console/regimes/{key}": Rule(STAFF | HANDLERS, page=True),
    "GET /console/regimes/{key}/versions/{version}": Rule(STAFF | HANDLERS, page=True),
    "GET /console/regimes/{key}/edit": Rule(ADMINS, page=True),
    "POST /console/regimes/{key}/edit": Rule(
        ADMINS, page=True, form=lambda w: _terms_form(w, "regime")
    ),
    "POST /console/regimes/{key}/versions/{version}/delete": Rule(ADMINS, page=True, seen=True),
    # keys
    "GET /keys": Rule(ADMINS),
    "POST /keys": Rule(ADMINS, body=lambda w: {"name": "matrix", "role": "agent"}),
    "POST /keys/{key_id}/revoke": Rule(ADMINS),
    "PATCH /keys/{key_id}": Rule(ADMINS, body=lambda w: {"full_name": "Matrix Person"}),
    # accounts
    "POST /accounts": Rule(
        MANAGERS, body=lambda w: {"name": f"Matrix {secrets.token_hex(3)}", "policy": "e-shot"}
    ),
    "GET /accounts": Rule(KEYS, scoped=frozenset({OTHER})),
    "GET /accounts/{account_id}": Rule(ACCOUNT_READERS),
    # e-shot has no account managers: its accounts name a success manager instead.
    "PATCH /accounts/{account_id}": Rule(MANAGERS, body=lambda w: {"success_manager_name": "Sam"}),
    "POST /accounts/{account_id}/contacts": Rule(STAFF, body=_contact),
    "PATCH /accounts/{account_id}/contacts/{contact_id}": Rule(
        STAFF, body=lambda w: {"phone": "01483 911 411", "receives_reports": True}
    ),
    # Removing again changes nothing (204): every staff role is let in.
    "DELETE /accounts/{account_id}/contacts/{contact_id}": Rule(STAFF),
    "GET /accounts/{account_id}/contacts": Rule(ACCOUNT_READERS),
    # tickets
    "POST /tickets": Rule(STAFF_AND_CUSTOMER, body=_ticket),
    "GET /tickets": Rule(STAFF_AND_CUSTOMER, scoped=frozenset({OTHER})),
    "GET /tickets/{reference}": Rule(STAFF_AND_CUSTOMER),
    "POST /tickets/{reference}/responses": Rule(
        STAFF_AND_CUSTOMER, body=lambda w: {"author": "customer", "body": "Any news?"}
    ),
    "POST /tickets/{reference}/notes": Rule(STAFF, body=lambda w: {"body": "Internal only"}),
    "POST /tickets/{reference}/wait": Rule(AGENTS, body=lambda w: {}),
    "POST /tickets/{reference}/resume": Rule(AGENTS, body=lambda w: {}),
    "POST /tickets/{reference}/escalate": Rule(AGENTS, body=lambda w: {}),
    "POST /tickets/{reference}/resolve": Rule(AGENTS, body=lambda w: {}),
    "POST /tickets/{reference}/reopen": Rule(AGENTS, body=lambda w: {}),
    "POST /tickets/{reference}/priority": Rule(AGENTS, body=lambda w: {"priority": "p2"}),
    "POST /tickets/{reference}/assign": Rule(AGENTS, body=lambda w: {"name": "Alex Agent"}),
    "POST /tickets/{reference}/close": Rule(AGENTS, body=lambda w: {}),
    "POST /tickets/{reference}/attachments": Rule(STAFF_AND_CUSTOMER, files=_file),
    "GET /tickets/{reference}/attachments": Rule(STAFF_AND_CUSTOMER),
    "GET /tickets/{reference}/attachments/{attachment_id}": Rule(STAFF_AND_CUSTOMER),
    # monitors: staff watch sites and services; a customer reads its own account's sites.
    # Probes come once a day at most here (a name under .invalid fails without traffic).
    "POST /monitors": Rule(
        STAFF,
        body=lambda w: {
            "url": "https://www.matrix.invalid/",
            "account_id": w.account,
            "interval_seconds": 86_400,
        },
    ),  # fmt: skip
    "GET /monitors": Rule(STAFF_AND_CUSTOMER, scoped=frozenset({OTHER})),
    "GET /monitors/{monitor_id}": Rule(STAFF_AND_CUSTOMER),
    "GET /monitors/{monitor_id}/uptime": Rule(STAFF_AND_CUSTOMER),
    "GET /monitors/{monitor_id}/results": Rule(STAFF_AND_CUSTOMER),
    "PATCH /monitors/{monitor_id}": Rule(STAFF, body=lambda w: {"name": "Matrix site"}),
    "POST /monitors/{monitor_id}/pause": Rule(STAFF),
    "POST /monitors/{monitor_id}/resume": Rule(STAFF),
    # Deleting again changes nothing (204): every staff role is let in.
    "DELETE /monitors/{monitor_id}": Rule(STAFF),
    # incidents on the status page: staff only (their tickets are not the public's)
    "POST /incidents": Rule(STAFF, body=lambda w: _incident_body(w)),
    "GET /incidents": Rule(STAFF),
    "GET /incidents/{incident_id}": Rule(STAFF),
    "POST /incidents/{incident_id}/updates": Rule(
        STAFF, body=lambda w: {"status": "identified", "message": "Found it."}
    ),
    # The world's incident is published when made: 409 (already published) for every role.
    "POST /incidents/{incident_id}/publish": Rule(STAFF),
    "POST /incidents/{incident_id}/links": Rule(
        STAFF, body=lambda w: {"ticket_references": [w.ticket]}
    ),
    "PATCH /incidents/{incident_id}": Rule(
        STAFF, body=lambda w: {"title": "Matrix incident, reworded"}
    ),
    # The world's incident is published: 409 (only a draft is discarded) for every role let
    # in, and it stays for the routes after it.
    "DELETE /incidents/{incident_id}": Rule(STAFF),
    "GET /console/incidents": Rule(STAFF, page=True),
    "GET /console/incidents/new": Rule(STAFF, page=True),
    "POST /console/incidents/new": Rule(
        STAFF,
        page=True,
        form=lambda w: {
            "title": "From the console",
            "services": "api",
            "impact": "degraded",
            "message": "Slow answers.",
        },
    ),  # fmt: skip
    "GET /console/incidents/{incident_id}": Rule(STAFF, page=True),
    "POST /console/incidents/{incident_id}/updates": Rule(
        STAFF, page=True, form=lambda w: {"status": "monitoring", "message": "A fix is out."}
    ),
    "POST /console/incidents/{incident_id}/publish": Rule(STAFF, page=True),
    "POST /console/incidents/{incident_id}/links": Rule(
        STAFF, page=True, form=lambda w: {"ticket_references": w.ticket}
    ),
    "POST /console/incidents/{incident_id}/edit": Rule(
        STAFF,
        page=True,
        form=lambda w: {
            "title": "Matrix incident, from the console",
            "services": "api",
            "impact": "partial",
        },
    ),  # fmt: skip
    "POST /console/incidents/{incident_id}/discard": Rule(STAFF, page=True),
    # the public status page, its feed and subscriptions: anyone, key or none. The tokens
    # here are guesses (a 404 page), the form is refused without an address (422).
    "GET /status": Rule(EVERYONE, scoped=EVERYONE),
    "GET /status/feed.atom": Rule(EVERYONE, scoped=EVERYONE),
    "POST /status/subscribe": Rule(EVERYONE, seen=True, form=lambda w: {"email": ""}),
    # Back to the form (a reload after a refused one): a redirect for anyone.
    "GET /status/subscribe": Rule(EVERYONE, seen=True),
    "GET /status/confirm/{token}": Rule(EVERYONE, seen=True),
    "POST /status/confirm/{token}": Rule(EVERYONE, seen=True),
    "GET /status/unsubscribe/{token}": Rule(EVERYONE, seen=True),
    "POST /status/unsubscribe/{token}": Rule(EVERYONE, seen=True),
    # maintenance: success managers schedule, change and cancel; staff read; a customer reads
    # the windows affecting its account (the matrix's window names account A only)
    "POST /maintenance": Rule(MANAGERS, body=lambda w: _maintenance(w, 3)),
    "GET /maintenance": Rule(STAFF_AND_CUSTOMER, scoped=frozenset({OTHER})),
    "GET /maintenance/{window_id}": Rule(STAFF_AND_CUSTOMER),
    "PATCH /maintenance/{window_id}": Rule(MANAGERS, body=lambda w: {"title": "Matrix upgrade"}),
    "POST /maintenance/{window_id}/cancel": Rule(MANAGERS),
    "GET /console/maintenance": Rule(STAFF, page=True),
    "POST /console/maintenance": Rule(MANAGERS, page=True, form=_maintenance_form),
    "POST /console/maintenance/{window_id}/cancel": Rule(MANAGERS, page=True),
    # the public maintenance calendar: no key needed
    "GET /status/maintenance.ics": Rule(EVERYONE),
    # the on-call rota: staff read it, admins set it
    "GET /on-call": Rule(STAFF),
    "PUT /on-call/{week}": Rule(ADMINS, body=lambda w: {"user_id": w.user}),
    "DELETE /on-call/{week}": Rule(ADMINS),
    # releases
    "POST /releases": Rule(
        AGENTS,
        body=lambda w: {
            "name": f"9.{secrets.randbelow(999)}",
            "policy": "e-shot",
            "kind": "hotfix",
            "planned_for": _today(7),
        },
    ),  # fmt: skip
    "GET /releases": Rule(STAFF),
    "GET /releases/{release_id}": Rule(STAFF),
    "POST /releases/{release_id}/tickets": Rule(AGENTS, body=lambda w: {"references": [w.ticket]}),
    "POST /releases/{release_id}/ship": Rule(AGENTS),
    # complaints: the complaints department only
    "POST /complaints": Rule(HANDLERS, body=_complaint),
    "GET /complaints": Rule(HANDLERS),
    "POST /complaints/feed": Rule(HANDLERS),
    "GET /complaints/feed/{token}.ics": Rule(HANDLERS),
    "GET /complaints/{reference}": Rule(HANDLERS),
    "GET /complaints/{reference}/letters/{number}": Rule(HANDLERS),
    "POST /complaints/{reference}/acknowledge": Rule(HANDLERS, body=lambda w: {}),
    "POST /complaints/{reference}/close": Rule(HANDLERS, body=lambda w: {}),
    "POST /complaints/{reference}/reopen": Rule(HANDLERS, body=lambda w: {}),
    "POST /complaints/{reference}/extend": Rule(
        # Each a day later than the last: an extension must move the date on.
        HANDLERS,
        body=lambda w: {"reason": "Waiting on the bank", "new_reply_by": _today(next(LATER))},
    ),
    "POST /complaints/{reference}/reply": Rule(HANDLERS, body=lambda w: {"body": "Fixed."}),
    "POST /complaints/{reference}/assign": Rule(HANDLERS, body=lambda w: {"name": "Hana"}),
    "GET /metrics/complaints": Rule(HANDLERS, params=lambda w: {"period": _last_month()}),
    # the console's complaints, releases and dashboard pages (forms posted empty are refused)
    "GET /console/complaints": Rule(HANDLERS, page=True),
    "GET /console/complaints/new": Rule(HANDLERS, page=True),
    "POST /console/complaints/new": Rule(
        HANDLERS,
        page=True,
        form=lambda w: {
            "complainant.name": "Page Person",
            "complainant.email": "page@example.com",
            "summary": "Logged from the console",
            "channel": "email",
        },
    ),
    "GET /console/complaints/{reference}": Rule(HANDLERS, page=True),
    "GET /console/complaints/{reference}/letters/{number}": Rule(HANDLERS, page=True),
    "POST /console/complaints/{reference}/acknowledge": Rule(HANDLERS, page=True),
    "POST /console/complaints/{reference}/extend": Rule(
        HANDLERS, page=True, form=lambda w: {"reason": "Waiting", "new_reply_by": _today(60)}
    ),
    "POST /console/complaints/{reference}/reply": Rule(
        HANDLERS, page=True, form=lambda w: {"body": "Our reply"}
    ),
    "POST /console/complaints/{reference}/close": Rule(HANDLERS, page=True),
    "POST /console/complaints/{reference}/reopen": Rule(HANDLERS, page=True),
    "POST /console/complaints/{reference}/assign": Rule(
        HANDLERS, page=True, form=lambda w: {"name": "Hana Handler"}
    ),
    "GET /console/releases": Rule(STAFF, page=True),
    "POST /console/releases": Rule(
        AGENTS,
        page=True,
        form=lambda w: {
            "name": "Page release",
            "policy": "e-shot",
            "kind": "maintenance",
            "planned_for": _today(7),
        },
    ),
    "GET /console/releases/{release_id}": Rule(STAFF, page=True),
    "POST /console/releases/{release_id}/link": Rule(
        AGENTS, page=True, form=lambda w: {"references": w.ticket}
    ),
    "POST /console/releases/{release_id}/ship": Rule(AGENTS, page=True),
    "GET /console/dashboard": Rule(STAFF | HANDLERS, page=True),
    # monitors in the console; by the time these run, DELETE /monitors/{monitor_id} above has
    # deleted the world's monitor, so its pages may answer 404 to those let in (`seen`).
    # mail in: mailboxes are admins', the inbox staff's; the ids are ones nobody has (404 to
    # those let in), so the matrix neither reads a server nor opens a ticket
    "POST /mailboxes": Rule(
        ADMINS,
        body=lambda w: {
            "host": "imap.matrix.invalid",
            "username": "support",
            "password": "matrix-Secret-1",
        },
    ),
    "GET /mailboxes": Rule(ADMINS),
    "GET /mailboxes/{mailbox_id}": Rule(ADMINS, seen=True),
    "PATCH /mailboxes/{mailbox_id}": Rule(ADMINS, seen=True, body=lambda w: {"paused": True}),
    "DELETE /mailboxes/{mailbox_id}": Rule(ADMINS, seen=True),
    "GET /inbox": Rule(STAFF),
    "GET /inbox/{mail_id}": Rule(STAFF, seen=True),
    "POST /inbox/{mail_id}/assign": Rule(
        STAFF, seen=True, body=lambda w: {"account_id": w.account}
    ),
    "POST /inbox/{mail_id}/release": Rule(STAFF, seen=True),
    "POST /inbox/{mail_id}/discard": Rule(STAFF, seen=True, body=lambda w: {"reason": "spam"}),
    "GET /console/inbox": Rule(STAFF, page=True),
    "POST /console/inbox/{mail_id}/assign": Rule(
        STAFF, page=True, seen=True, form=lambda w: {"account_id": str(w.account)}
    ),
    "POST /console/inbox/{mail_id}/release": Rule(STAFF, page=True, seen=True),
    "POST /console/inbox/{mail_id}/discard": Rule(
        STAFF, page=True, seen=True, form=lambda w: {"reason": "spam"}
    ),
    "GET /console/monitors": Rule(STAFF, page=True),
    "GET /console/monitors/new": Rule(STAFF, page=True),
    "POST /console/monitors": Rule(
        STAFF,
        page=True,
        form=lambda w: {
            "url": "https://www.matrix-page.invalid/",
            "account_id": str(w.account),
            "interval_seconds": "86400",
            "expected_status": "200",
        },
    ),  # fmt: skip
    "GET /console/monitors/{monitor_id}": Rule(STAFF, page=True, seen=True),
    "GET /console/monitors/{monitor_id}/edit": Rule(STAFF, page=True, seen=True),
    "POST /console/monitors/{monitor_id}/edit": Rule(
        STAFF,
        page=True,
        seen=True,
        form=lambda w: {
            "url": "https://www.account-a.invalid/",
            "name": "Matrix page site",
            "interval_seconds": "86400",
            "expected_status": "200",
        },
    ),  # fmt: skip
    "POST /console/monitors/{monitor_id}/pause": Rule(STAFF, page=True, seen=True),
    "POST /console/monitors/{monitor_id}/resume": Rule(STAFF, page=True, seen=True),
    "POST /console/monitors/{monitor_id}/delete": Rule(
        STAFF, page=True, seen=True, form=lambda w: {"confirm": "yes"}
    ),
    # the huddle and the on-call rota
    "GET /console/huddle": Rule(STAFF | HANDLERS, page=True),
    "GET /console/on-call": Rule(STAFF, page=True),
    "POST /console/on-call": Rule(
        ADMINS, page=True, form=lambda w: {"week": "2030-W11", "user_id": str(w.user)}
    ),
    "POST /console/on-call/{week}/clear": Rule(ADMINS, page=True),
    # reports
    "POST /accounts/{account_id}/reports": Rule(MANAGERS, body=lambda w: {"period": _last_month()}),
    "GET /accounts/{account_id}/reports": Rule(STAFF_AND_CUSTOMER),
    "GET /reports/{report_id}/pdf": Rule(STAFF_AND_CUSTOMER),
    # reviews
    "POST /accounts/{account_id}/reviews": Rule(
        MANAGERS, body=lambda w: {"starts_at": _review_start(15)}
    ),
    "GET /accounts/{account_id}/reviews": Rule(STAFF_AND_CUSTOMER),
    "POST /reviews/{review_id}/reschedule": Rule(
        MANAGERS, body=lambda w: {"starts_at": _review_start(12)}
    ),
    "POST /reviews/{review_id}/cancel": Rule(MANAGERS),
    "PUT /reviews/{review_id}/recommendations": Rule(MANAGERS, body=lambda w: {"text": "More"}),
    "GET /reviews/{review_id}/invite.ics": Rule(STAFF_AND_CUSTOMER),
    "GET /reviews/{review_id}/pack": Rule(STAFF_AND_CUSTOMER, seen=True),
    "POST /reviews/{review_id}/outcome": Rule(MANAGERS, body=_outcome),
    "GET /reviews/{review_id}/actions": Rule(STAFF_AND_CUSTOMER),
    "POST /review-actions/{action_id}/done": Rule(MANAGERS),
    # objectives and measurements
    "POST /accounts/{account_id}/objectives": Rule(MANAGERS, body=_objective),
    "GET /accounts/{account_id}/objectives": Rule(STAFF_AND_CUSTOMER),
    "POST /accounts/{account_id}/metrics": Rule(
        MANAGERS, body=lambda w: {"name": "subscribers", "value": 4100}
    ),
    "GET /accounts/{account_id}/metrics": Rule(STAFF_AND_CUSTOMER),
    "GET /accounts/{account_id}/plan": Rule(STAFF_AND_CUSTOMER, seen=True),
    "GET /metrics/sla": Rule(
        STAFF_AND_CUSTOMER, params=lambda w: {"account_id": w.account, "period": _last_month()}
    ),
    "GET /metrics/satisfaction": Rule(
        STAFF_AND_CUSTOMER, params=lambda w: {"account_id": w.account, "period": _last_month()}
    ),
    "POST /accounts/{account_id}/webhook-secret": Rule(MANAGERS),
    # operations
    "POST /system/checks": Rule(ADMINS),
    "GET /system/failures": Rule(ADMINS),
    # the payload codec: admin keys, or the operator token the UI is given (none here)
    "POST /codec/decode": Rule(ADMINS, body=lambda w: {"payloads": []}),
    "POST /codec/encode": Rule(ADMINS, body=lambda w: {"payloads": []}),
    "POST /codec/ui/{token}/decode": Rule(frozenset(), body=lambda w: {"payloads": []}),
    "POST /codec/ui/{token}/encode": Rule(frozenset(), body=lambda w: {"payloads": []}),
    # the customer's tracking page: the signed link lets in whoever holds it, key or none
    "GET /track/{reference}": Rule(EVERYONE, params=lambda w: {"token": w.track_token}),
    # the rating page, likewise. By the time it is called the matrix's earlier calls have
    # resolved (and may have closed) the ticket, so its contact was asked: a press is
    # recorded (303 back to the page) or, once closed and answered, refused (409)
    "GET /rate/{reference}": Rule(EVERYONE, params=lambda w: {"token": w.rate_token}),
    "POST /rate/{reference}": Rule(
        EVERYONE,
        params=lambda w: {"token": w.rate_token},
        form=lambda w: {"rating": "good"},
        seen=True,
    ),
    # the console's accounts pages (staff only; its forms are the API's actions)
    "GET /console/accounts": Rule(STAFF, page=True),
    "GET /console/accounts/new": Rule(MANAGERS, page=True),
    "POST /console/accounts": Rule(
        MANAGERS,
        page=True,
        form=lambda w: {"name": f"Page {secrets.token_hex(3)}", "policy": "e-shot"},
    ),
    "GET /console/accounts/{account_id}": Rule(STAFF, page=True),
    "POST /console/accounts/{account_id}/settings": Rule(
        MANAGERS, page=True, form=lambda w: {"edition": "standard", "success_manager_name": "Sam"}
    ),
    "POST /console/accounts/{account_id}/contacts": Rule(STAFF, page=True, form=_contact),
    "POST /console/accounts/{account_id}/contacts/{contact_id}": Rule(
        STAFF,
        page=True,
        form=lambda w: {"name": "Page Person", "email": "page@customer.example.com"},
    ),
    "POST /console/accounts/{account_id}/contacts/{contact_id}/remove": Rule(STAFF, page=True),
    "POST /console/accounts/{account_id}/contacts/{contact_id}/portal-invitation": Rule(
        MANAGERS, page=True
    ),
    "POST /console/accounts/{account_id}/contacts/{contact_id}/portal-withdraw": Rule(
        STAFF, page=True
    ),
    "POST /console/accounts/{account_id}/reports": Rule(
        MANAGERS, page=True, form=lambda w: {"period": _last_month()}
    ),
    "GET /console/accounts/{account_id}/reports/{report_id}/pdf": Rule(STAFF, page=True),
    "POST /console/accounts/{account_id}/reviews": Rule(
        MANAGERS, page=True, form=lambda w: {"starts_at": _review_local(16)}
    ),
    "POST /console/accounts/{account_id}/reviews/{review_id}/reschedule": Rule(
        MANAGERS, page=True, form=lambda w: {"starts_at": _review_local(13)}
    ),
    "POST /console/accounts/{account_id}/reviews/{review_id}/cancel": Rule(MANAGERS, page=True),
    "POST /console/accounts/{account_id}/reviews/{review_id}/recommendations": Rule(
        MANAGERS, page=True, form=lambda w: {"text": "More"}
    ),
    "POST /console/accounts/{account_id}/reviews/{review_id}/outcome": Rule(
        MANAGERS, page=True, form=_outcome_form
    ),
    "POST /console/accounts/{account_id}/actions/{action_id}/done": Rule(MANAGERS, page=True),
    "GET /console/accounts/{account_id}/reviews/{review_id}/invite.ics": Rule(STAFF, page=True),
    "GET /console/accounts/{account_id}/reviews/{review_id}/pack": Rule(
        STAFF, page=True, seen=True
    ),
    "POST /console/accounts/{account_id}/objectives": Rule(
        MANAGERS, page=True, form=_objective_form
    ),
    "POST /console/accounts/{account_id}/measurements": Rule(
        MANAGERS, page=True, form=lambda w: {"name": "subscribers", "value": "4200"}
    ),
    # the console: staff pages; agents act (a success manager is refused as by the API)
    "GET /console": Rule(STAFF, page=True),
    "GET /console/queue/rows": Rule(STAFF, page=True),
    "GET /console/tickets/{reference}": Rule(STAFF, page=True),
    "POST /console/tickets/{reference}/reply": Rule(
        STAFF, page=True, form=lambda w: {"body": "From the console"}
    ),
    "POST /console/tickets/{reference}/note": Rule(
        STAFF, page=True, form=lambda w: {"body": "Internal, from the console"}
    ),
    "POST /console/tickets/{reference}/wait": Rule(AGENTS, page=True, form=lambda w: {}),
    "POST /console/tickets/{reference}/resume": Rule(AGENTS, page=True, form=lambda w: {}),
    "POST /console/tickets/{reference}/priority": Rule(
        AGENTS, page=True, form=lambda w: {"priority": "p3"}
    ),
    "POST /console/tickets/{reference}/escalate": Rule(AGENTS, page=True, form=lambda w: {}),
    "POST /console/tickets/{reference}/assign": Rule(
        AGENTS, page=True, form=lambda w: {"name": "Alex Agent"}
    ),
    "POST /console/tickets/{reference}/resolve": Rule(AGENTS, page=True, form=lambda w: {}),
    "POST /console/tickets/{reference}/close": Rule(AGENTS, page=True, form=lambda w: {}),
    "POST /console/tickets/{reference}/reopen": Rule(AGENTS, page=True, form=lambda w: {}),
    "POST /console/tickets/{reference}/link": Rule(
        AGENTS, page=True, form=lambda w: {"release_id": w.release}
    ),
    "POST /console/tickets/{reference}/attachments": Rule(STAFF, page=True, files=_file),
    "GET /console/tickets/{reference}/attachments/{attachment_id}": Rule(STAFF, page=True),
    # signing in, out, and choosing a password through a mailed link: anyone may try
    "GET /login": Rule(EVERYONE),
    "POST /login": Rule(EVERYONE, seen=True),
    "POST /logout": Rule(EVERYONE, seen=True),
    "GET /password/forgot": Rule(EVERYONE),
    "POST /password/forgot": Rule(EVERYONE, seen=True),
    "GET /password/reset/{token}": Rule(EVERYONE, seen=True),
    "POST /password/reset/{token}": Rule(EVERYONE, seen=True),
    "GET /invitations/{token}": Rule(EVERYONE, seen=True),
    "POST /invitations/{token}": Rule(EVERYONE, seen=True),
    # the customer portal: signing in by a mailed link is open to anyone, the rest to nobody
    # holding a key (each customer's own sign-in only)
    "GET /portal/login": Rule(EVERYONE),
    "POST /portal/login": Rule(EVERYONE, seen=True),
    "GET /portal/link/{token}": Rule(EVERYONE, seen=True),
    "POST /portal/link/{token}": Rule(EVERYONE, seen=True),
    "POST /portal/logout": Rule(EVERYONE, seen=True),
    "GET /portal": Rule(frozenset(), portal=True),
    "GET /portal/tickets/{reference}": Rule(frozenset(), portal=True),
    "POST /portal/tickets/{reference}/reply": Rule(frozenset(), portal=True),
    "POST /portal/tickets/{reference}/close": Rule(frozenset(), portal=True),
    "POST /portal/tickets/{reference}/not-fixed": Rule(frozenset(), portal=True),
    "GET /portal/tickets/{reference}/attachments/{attachment_id}": Rule(frozenset(), portal=True),
    "GET /portal/tickets/new": Rule(frozenset(), portal=True),
    "POST /portal/tickets/new": Rule(frozenset(), portal=True),
    "POST /portal/tickets/new/promises": Rule(frozenset(), portal=True),
    "GET /portal/tickets/{reference}/raised": Rule(frozenset(), portal=True),
    "GET /portal/support": Rule(frozenset(), portal=True),
    "GET /portal/documents": Rule(frozenset(), portal=True),
    "GET /portal/monitors": Rule(frozenset(), portal=True),
    "GET /portal/monitors/{monitor_id}": Rule(frozenset(), portal=True),
    "GET /portal/documents/reports/{report_id}.pdf": Rule(frozenset(), portal=True),
    "GET /portal/reviews/{review_id}/invite.ics": Rule(frozenset(), portal=True),
    "GET /portal/reviews/{review_id}/pack.pdf": Rule(frozenset(), portal=True),
    "POST /portal/tickets/{reference}/rating": Rule(
        frozenset(), portal=True, form=lambda w: {"rating": "good"}
    ),
    "POST /accounts/{account_id}/contacts/{contact_id}/portal-invitation": Rule(MANAGERS),
    # the console's admin pages
    "GET /console/admin": Rule(ADMINS, page=True),
    "POST /console/admin/users": Rule(ADMINS, page=True, seen=True),
    "POST /console/admin/users/{user_id}/reinvite": Rule(ADMINS, page=True, seen=True),
    "POST /console/admin/users/{user_id}/roles": Rule(ADMINS, page=True, seen=True),
    "POST /console/admin/users/{user_id}/remove": Rule(ADMINS, page=True, seen=True),
    "POST /console/admin/keys": Rule(ADMINS, page=True, seen=True),
    "POST /console/admin/keys/{key_id}/revoke": Rule(ADMINS, page=True, seen=True),
    # CORS preflights answer anyone; what they allow depends on the origin alone
    "OPTIONS /codec/{operation}": Rule(EVERYONE),
    "OPTIONS /codec/ui/{token}/{operation}": Rule(EVERYONE),
}


MATRIX_ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//matrix//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:matrix-closure@pledge.invalid\r\nDTSTAMP:20260101T000000Z\r\n"
    b"DTSTART;VALUE=DATE:20301230\r\nDTEND;VALUE=DATE:20301231\r\n"
    b"SUMMARY:Matrix closure\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
TERM_PATHS = {"policy": "/policies", "calendar": "/calendars", "regime": "/regimes"}


def _copy(terms: dict[str, Any]) -> dict[str, Any]:
    return {**terms, "key": f"matrix-{secrets.token_hex(4)}"}


def _terms_form(world: World, kind: str) -> dict[str, str]:
    """An edit form carrying the world's copy unchanged: saved, it makes no new version."""
    return {"action": "save", "json": json.dumps(world.terms[kind])}


async def _terms_copies(http: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    """The world's own copy of each kind of terms, as GET returns it."""
    copies = {}
    sources = {"policy": "e-shot", "calendar": "e-shot-support", "regime": "standard"}
    for kind, source in sources.items():
        original = await http.get(f"{TERM_PATHS[kind]}/{source}", headers=admin)
        assert original.status_code == 200, original.text
        made = await http.post(TERM_PATHS[kind], json=_copy(original.json()), headers=admin)
        assert made.status_code == 201, made.text
        copies[kind] = made.json()
    return copies


def _incident_body(world: World) -> dict[str, Any]:
    return {
        "title": "Matrix incident",
        "services": ["api"],
        "impact": "degraded",
        "message": "Slow answers.",
        "ticket_references": [world.ticket],
    }


def _last_month() -> str:
    first = date.today().replace(day=1) - timedelta(days=1)
    return f"{first:%Y-%m}"


def concrete(operation: Operation, world: World, role: str) -> str:
    complaints = operation.path.startswith(("/complaints", "/console/complaints"))
    values = {
        "account_id": world.account,
        "key_id": world.spare_key,
        "contact_id": world.contact,
        "key": world.terms[_kind_of(operation.path)]["key"],
        # Deletes name a version nobody has: the world's own copies stay whole.
        "version": MAX_INTEGER
        if operation.method == "DELETE" or operation.path.endswith("/delete")
        else 1,
        "reference": world.complaint if complaints else world.ticket,
        "release_id": world.release,
        "report_id": world.report,
        "review_id": world.review,
        "action_id": world.action,
        "number": world.letter,
        "attachment_id": world.attachment,
        "monitor_id": world.monitor,
        "mailbox_id": "no-such-mailbox",
        "mail_id": "no-such-mail",
        "incident_id": world.incident,
        "window_id": world.maintenance,
        "operation": "decode",
        "week": "2030-W10",
        "user_id": MAX_INTEGER,  # no such user: the pages answer 404 to those let in
        # A role that could not get a feed address of its own has only a guess.
        "token": world.feed_tokens.get(role, secrets.token_urlsafe(16)),
    }
    path = operation.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, f"no value for a parameter of {operation}"
    return path


def _kind_of(path: str) -> str:
    path = path.removeprefix("/console")
    return (
        "calendar"
        if path.startswith("/calendars")
        else ("regime" if path.startswith("/regimes") else "policy")
    )


def verdict(rule: Rule, role: str, response: httpx.Response, world: World) -> str | None:
    """What is wrong with the answer, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status} {response.text[:200]}"
    if rule.portal:
        where = response.headers.get("location", "")
        if status == 303 and where.startswith("/portal/login?next=/portal"):
            return None
        return f"{status} {where}, expected a redirect to /portal/login"
    if rule.page:
        return page_verdict(rule, role, response)
    if role in rule.scoped:
        leaked = world.leaks(response.text)
        if not 200 <= status < 300 or leaked:
            return f"{status}, expected a 2xx without account A's records; it shows {leaked}"
        return None
    if rule.page and role == ANONYMOUS:
        where = response.headers.get("location", "")
        return None if status == 303 and where.startswith("/login?next=") else f"{status} {where}"
    if rule.page and role in rule.ok and status == 303:
        return None  # a form done: back to the page
    if role in rule.ok:
        if rule.seen:
            return None if status not in (401, 403) else f"{status}, expected to be let in"
        return None if 200 <= status < 300 or status == 409 else f"{status} {response.text[:200]}"
    if role == ANONYMOUS and status != 401:
        return f"{status} without a key, expected 401"
    if status not in (401, 403, 404):
        return f"{status}, expected a refusal: {response.text[:200]}"
    return None


def page_verdict(rule: Rule, role: str, response: httpx.Response) -> str | None:
    status, location = response.status_code, response.headers.get("location", "")
    if role == ANONYMOUS:
        if status == 303 and location.startswith("/login?next=/console"):
            return None
        return f"{status} without a key, expected a redirect to /login"
    if role in rule.ok:
        if status in (401, 403) or location.startswith("/login"):
            return f"{status}, expected to be let in"
        if rule.seen or 200 <= status < 300 or status == 409:
            return None
        if status == 303 and location.startswith("/console/"):
            return None
        return f"{status} {response.text[:200]}"
    if status not in (403, 404):
        return f"{status}, expected a refusal: {response.text[:200]}"
    return None


async def settled(client: Client, task_queue: str) -> bool:
    """Nothing left for the worker to do on this task queue, for now."""
    running = client.list_workflows(f'TaskQueue="{task_queue}" AND ExecutionStatus="Running"')
    async for execution in running:
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        description = (await handle.describe()).raw_description
        if description.pending_activities or description.HasField("pending_workflow_task"):
            return False
    return True


@dataclass
class Settle:
    """Wait for the worker to settle after a write (see the module's docstring)."""

    client: Client
    task_queue: str

    async def __call__(self) -> None:
        await eventually(lambda: settled(self.client, self.task_queue), timeout=60)


def feed_token_in(response: httpx.Response) -> str:
    return urlsplit(response.json()["url"]).path.rsplit("/", 1)[-1].removesuffix(".ics")


async def feed_token(http: httpx.AsyncClient, headers: dict[str, str]) -> str | None:
    """The calendar-feed token this key can mint, or None for a role that may not."""
    response = await http.post("/complaints/feed", headers=headers)
    if response.status_code == 403:
        return None
    assert response.status_code in (200, 201), response.text
    return feed_token_in(response)


async def build_world(
    live: Live, engine: AsyncEngine, keys: dict[str, dict[str, str]], settle: Settle
) -> World:
    account = await live.account("e-shot", edition="standard")  # e-shot sells no other
    await settle()
    other = await live.account("e-shot", edition="standard")
    await settle()
    contact = await live.contact(account["id"], is_representative=True)
    await settle()
    opened = await live.open(account_id=account["id"], contact_id=contact["id"], priority="p3")
    assert opened.status_code == 201, opened.text
    await settle()
    complained = await live.complain(account_id=account["id"])
    assert complained.status_code == 201, complained.text
    await settle()
    complaint = complained.json()["reference"]
    # Acknowledged by letter, so there is a letter to download.
    acknowledged = await live.http.post(
        f"/complaints/{complaint}/acknowledge", json={}, headers=keys[HANDLER]
    )
    assert acknowledged.status_code == 200, acknowledged.text
    await settle()

    async def letters() -> list[dict[str, Any]]:
        detail = await live.http.get(f"/complaints/{complaint}", headers=keys[ADMIN])
        return detail.json()["letters"]

    [letter] = await eventually(letters, timeout=60)
    release = await live.http.post(
        "/releases",
        json={
            "name": f"8.{secrets.randbelow(999)}",
            "policy": "e-shot",
            "kind": "maintenance",
            "planned_for": _today(9),
        },
        headers=keys[AGENT],
    )
    assert release.status_code == 201, release.text
    await settle()
    report = await live.http.post(
        f"/accounts/{account['id']}/reports", json={"period": _last_month()}, headers=keys[MANAGER]
    )
    assert report.status_code == 201, report.text
    report_id = report.json()["id"]

    async def rendered() -> bool:
        pdf = await live.http.get(f"/reports/{report_id}/pdf", headers=keys[ADMIN])
        return pdf.status_code == 200

    await eventually(rendered, timeout=60)
    await settle()
    review = await live.http.post(
        f"/accounts/{account['id']}/reviews",
        json={"starts_at": _review_start(10)},
        headers=keys[MANAGER],
    )
    assert review.status_code == 201, review.text
    await settle()
    review_id = review.json()["id"]
    async with AsyncSession(engine) as session, session.begin():  # the meeting has happened
        await session.execute(update(Review).where(Review.id == review_id).values(status="held"))
    outcome = await live.http.post(
        f"/reviews/{review_id}/outcome",
        json=_outcome(None),
        headers=keys[MANAGER],
    )
    assert outcome.status_code == 201, outcome.text
    await settle()
    attachment = await _attached(live, opened.json()["reference"], keys[AGENT])
    await settle()
    elsewhere = await live.open(account_id=other["id"], priority="p3")
    assert elsewhere.status_code == 201, elsewhere.text
    await settle()
    other_attachment = await _attached(live, elsewhere.json()["reference"], keys[AGENT])
    await settle()
    monitor = await live.http.post(
        "/monitors",
        json={
            "url": "https://www.account-a.invalid/", "account_id": account["id"],
            "interval_seconds": 86_400,
        },
        headers=keys[AGENT],
    )  # fmt: skip
    assert monitor.status_code == 201, monitor.text
    await settle()
    incident = await live.http.post(
        "/incidents",
        json={
            # Published at once: DELETE /incidents/{id} (drafts only) must not take it away
            # from the routes after it (routes run in the app's order, not the table's).
            "title": "Matrix incident", "services": ["api"], "impact": "partial",
            "message": "Looking into it.", "ticket_references": [opened.json()["reference"]],
            "publish": True,
        },
        headers=keys[AGENT],
    )  # fmt: skip
    assert incident.status_code == 201, incident.text
    window = await live.http.post(
        "/maintenance", json=_maintenance_for(account["id"]), headers=keys[MANAGER]
    )
    assert window.status_code == 201, window.text
    await settle()
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        spare = await mint_key(session, name="spare", role=Role.AGENT)
        on_call = User(
            email=f"oncall-{secrets.token_hex(3)}@pledge.example.com",
            full_name="Olive On-Call",
            roles=["agent"],
            prefix=secrets.token_hex(4),
        )
        on_call.email_key = on_call.email
        session.add(on_call)
        await session.flush()
    world = World(
        account=account["id"],
        other_account=other["id"],
        contact=contact["id"],
        ticket=opened.json()["reference"],
        complaint=complaint,
        letter=letter["url"].rsplit("/", 1)[-1],
        release=release.json()["id"],
        report=report_id,
        review=review_id,
        action=outcome.json()[0]["id"],
        spare_key=spare.key.id,
        attachment=attachment,
        other_attachment=other_attachment,
        monitor=monitor.json()["id"],
        incident=incident.json()["id"],
        maintenance=window.json()["id"],
        user=on_call.id,
        terms=await _terms_copies(live.http, keys[ADMIN]),
    )
    return world


async def _attached(live: Live, reference: str, headers: dict[str, str]) -> str:
    """A public file on the ticket: its id."""
    response = await live.http.post(
        f"/tickets/{reference}/attachments",
        files=[("file", ("world.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))],
        data={"public": "true"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()[0]["id"])


async def attachments_stay_with_their_ticket(
    http: httpx.AsyncClient, world: World, keys: dict[str, dict[str, str]]
) -> list[str]:
    """Another account's customer gets for account A's files the very 404 an unknown ticket
    gets; a file of another ticket, asked for under this one, is 404 for everyone."""
    wrong = []
    unknown = (await http.get("/tickets/T-0000-0000/attachments", headers=keys[OTHER])).json()
    expected = unknown["detail"].replace("T-0000-0000", world.ticket)
    for path in (
        f"/tickets/{world.ticket}/attachments",
        f"/tickets/{world.ticket}/attachments/{world.attachment}",
    ):
        response = await http.get(path, headers=keys[OTHER])
        if response.status_code != 404 or response.json()["detail"] != expected:
            wrong.append(f"GET {path} as {OTHER}: {response.status_code} {response.text[:200]}")
    for role in (CUSTOMER, AGENT, MANAGER, ADMIN):
        for path in (
            f"/tickets/{world.ticket}/attachments/{world.other_attachment}",
            f"/console/tickets/{world.ticket}/attachments/{world.other_attachment}",
        ):
            response = await http.get(path, headers=keys[role])
            if response.status_code != 404 and not (role == CUSTOMER and "/console" in path):
                wrong.append(f"GET {path} as {role}: {response.status_code}, expected 404")
    return wrong


async def test_every_route_for_every_role_and_another_accounts_customer(
    live: Live, engine: AsyncEngine, settings: Settings, dev_server_env: WorkflowEnvironment
) -> None:
    app = create_app(settings)
    routes = operations(app)
    names = {str(operation) for operation in routes}
    assert not names - TABLE.keys(), (
        f"routes missing from the matrix: {sorted(names - TABLE.keys())}"
    )
    assert not TABLE.keys() - names, (
        f"the matrix names routes the app lacks: {TABLE.keys() - names}"
    )

    keys = {role: live.as_(role) for role in (HANDLER, AGENT, MANAGER, ADMIN)}
    settle = Settle(dev_server_env.client, settings.temporal_task_queue)
    world = await build_world(live, engine, keys, settle)
    world.track_token = track_token(link_secret(settings), world.ticket)
    world.rate_token = rate_token(link_secret(settings), world.ticket)
    keys[CUSTOMER] = await customer_key(engine, world.account)
    keys[OTHER] = await customer_key(engine, world.other_account)
    keys[ANONYMOUS] = {}
    declared = app.openapi()["paths"]

    await settle()
    for role in (HANDLER, AGENT, MANAGER, ADMIN):
        token = await feed_token(live.http, keys[role])
        if token:
            world.feed_tokens[role] = token

    wrong: list[str] = []
    calls = 0
    for operation in routes:
        rule = TABLE[str(operation)]
        for role in ROLES:
            response = await live.http.request(
                operation.method,
                concrete(operation, world, role),
                headers=keys[role],
                json=rule.body(world) if rule.body else None,
                data=rule.form(world) if rule.form else None,
                files=rule.files(world) if rule.files else None,
                content=rule.content(world) if rule.content else None,
                params=rule.params(world) if rule.params else None,
            )
            calls += 1
            if operation.method != "GET" and (
                200 <= response.status_code < 300 or (rule.page and response.status_code == 303)
            ):
                await settle()
            if str(operation) == "POST /complaints/feed" and response.status_code == 200:
                world.feed_tokens[role] = feed_token_in(response)  # minting replaces the last
            problem = verdict(rule, role, response, world)
            if problem:
                wrong.append(f"{operation} as {role}: {problem}")
            if operation.in_schema:
                statuses = declared[operation.path][operation.method.lower()]["responses"]
                if str(response.status_code) not in statuses:
                    wrong.append(f"{operation} as {role}: {response.status_code} is not declared")
    wrong += await attachments_stay_with_their_ticket(live.http, world, keys)
    print(f"cross-tenant matrix: {len(routes)} routes x {len(ROLES)} roles = {calls} calls")
    assert calls == len(routes) * len(ROLES)
    assert not wrong, "\n".join(wrong)
