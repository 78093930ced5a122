"""How the status page, its feed and its mails word things: the same words everywhere.

Times of own services are written in the team's zone (activities.monitors.TEAM_ZONE, UTC until
the team has a calendar), always with the zone named.
"""

from __future__ import annotations

from datetime import datetime

from reports.customer_words import plain_time, zone_words
from reports.maintenance import SERVICE_WORDS

# As activities.monitors.TEAM_ZONE (not imported: this module is pure words).
STATUS_ZONE = "UTC"

# A service's key, as people call it, unless a monitor of it names it otherwise: as a heading
# or at the start of a sentence. Mid-sentence the same services are SERVICE_WORDS ("the
# platform"), the one table maintenance notices use too.
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


def service_in_sentence(key: str, names: dict[str, str] | None = None) -> str:
    """A service as written mid-sentence: 'the platform', 'the API'; a monitor's own name
    with its leading article in lower case ('The web app' -> 'the web app')."""
    name = service_name(key, names)
    if name == SERVICE_NAMES.get(key) and key in SERVICE_WORDS:
        return SERVICE_WORDS[key]
    for article in ("The ", "A ", "An "):
        if name.startswith(article):
            return article.lower() + name[len(article) :]
    return name


def services_words(
    keys: list[str], names: dict[str, str] | None = None, start: bool = False
) -> str:
    """'the API and sending', for the middle of a sentence ('every service' for none named);
    `start`: with a capital, for the start of a sentence or a cell ('The API and sending')."""
    shown = [service_in_sentence(k, names) for k in keys]
    if not shown:
        words = "every service"
    elif len(shown) == 1:
        words = shown[0]
    else:
        words = ", ".join(shown[:-1]) + " and " + shown[-1]
    return words[:1].upper() + words[1:] if start else words


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
