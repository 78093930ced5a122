"""Internal names said the way a customer reads them."""

from __future__ import annotations

TARGETS = {
    "first_response": "First response",
    "resolution": "Resolution",
    "final_resolution": "Final resolution",
}
RELEASE_KINDS = {"hotfix": "Hot fix", "maintenance": "Maintenance release"}


def target_name(clock: str) -> str:
    """'first_response' -> 'First response'."""
    return TARGETS.get(clock) or clock.replace("_", " ").capitalize()


def release_kind(kind: str) -> str:
    return RELEASE_KINDS.get(kind) or kind.replace("_", " ").capitalize()


def promised(target: str) -> str:
    """'8 business_hours' -> '8 business hours'; 'maintenance release' -> 'the next
    maintenance release'; '1 working_days' -> '1 working day'."""
    amount, _, unit = target.partition(" ")
    if not amount.isdigit():
        return "the next " + target.replace("hotfix", "hot fix").replace("_", " ")
    words = unit.replace("_", " ")
    if amount == "1" and words.endswith("s"):
        words = words[:-1]
    return f"{amount} {words}"


def metric_name(metric: str) -> str:
    """'campaigns_sent' -> 'Campaigns sent'."""
    return metric.replace("_", " ").capitalize()


def share_percent(part: int, whole: int) -> int:
    """A share as a whole percentage, halves rounded up (3 of 8 is 38%, not 37%)."""
    return (200 * part + whole) // (2 * whole)


def satisfaction_score(good: int, bad: int) -> str:
    """'4 of 5 customers rated their ticket good (80%)'. With no answers it says so: a score
    of nothing is neither 0% nor 100%."""
    rated = good + bad
    if not rated:
        return "No customer rated their ticket"
    people = "customer" if rated == 1 else "customers"
    return f"{good} of {rated} {people} rated their ticket good ({share_percent(good, rated)}%)"


def satisfaction_short(good: int, bad: int) -> str:
    """'4 of 5 good (80%)', or 'No ratings': for a table's cell."""
    rated = good + bad
    return f"{good} of {rated} good ({share_percent(good, rated)}%)" if rated else "No ratings"


def possessive(name: str) -> str:
    """ "Brightwell Software's", but "Bluebell Florists'" (a name ending in s takes only the
    apostrophe, as a customer writes their own name)."""
    name = name.strip()
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def uptime_percent(share: float | None) -> str:
    """'99.95%': two decimals at most, never rounded up to 100% (a day with a minute down is
    not shown as perfect); 'no data' for None."""
    if share is None:
        return "no data"
    hundredths = int(share * 10000) / 100  # down, not to the nearest
    text = f"{hundredths:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
