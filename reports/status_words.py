"""How the status page, its feed and its mails word things: the same words everywhere.

Times of own services are written in the team's zone (activities.monitors.TEAM_ZONE, UTC until
the team has a calendar), always with the zone named.
"""

from __future__ import annotations

from datetime import datetime

from reports.customer_words import plain_time, zone_words

# As activities.monitors.TEAM_ZONE (not imported: this module is pure words).
STATUS_ZONE = "UTC"

# A service's key, as people call it, unless a monitor of it names it otherwise.
SERVICE_NAMES = {"platform": "The platform", "api": "The API", "sending": "Sending"}

STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
IMPACT_WORDS = {
    "degraded": "Degraded performance",
    "partial": "Partial outage",
    "major": "Major outage",
}
STATE_WORDS = {
    "up": "Operational",
    "degraded": "Degraded",
    "down": "Down",
    "maintenance": "Under maintenance",
    "unknown": "Not checked yet",
}


def service_name(key: str, names: dict[str, str] | None = None) -> str:
    return (names or {}).get(key) or SERVICE_NAMES.get(key) or key.replace("-", " ").capitalize()


def services_words(keys: list[str], names: dict[str, str] | None = None) -> str:
    """'The API and Sending'; 'every service' for none named."""
    shown = [service_name(k, names) for k in keys]
    if not shown:
        return "every service"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def status_time(at: datetime, now: datetime | None = None) -> str:
    """'10:30 on Tuesday 1 December (UTC)'."""
    return plain_time(at, STATUS_ZONE, now)


def zone_named(at: datetime) -> str:
    return zone_words(at, STATUS_ZONE)


OVERALL_WORDS = {
    "operational": "All systems operational",
    "degraded": "Degraded performance",
    "partial": "Partial outage",
    "major": "Major outage",
    "maintenance": "Maintenance in progress",
    "unknown": "Our services are not checked yet",
}
