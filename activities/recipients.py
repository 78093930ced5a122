"""Who hears of a warning or breach: the policy's chain, the success manager, then the team.

The ticket workflow names the chain's roles (the policy's `escalation`, or assignee then account
manager); this module completes it where the workflow cannot know better, with no change to the
workflow and so nothing to replay differently:

- a policy without account managers (e-shot) has no account-manager step;
- the account's success manager, where it has one, follows the account manager;
- a breach reaches the account's escalation contact, where its contract names one (e-shot's
  named director), but a warning does not: the point of escalation is a promise missed;
- the team address (the policy's `team_email`, else PLEDGE_TEAM_EMAIL) comes last, and only
  when neither an assignee nor an account manager is there to hear: so an unassigned ticket at
  an account without an account manager still reaches a person.
"""

from __future__ import annotations

from sla import Policy, UnknownPolicy, get_policy

ESCALATIONS = frozenset({"warning", "breach"})
# Whose presence means somebody is already looking after the ticket.
HANDLERS = ("assignee", "account_manager")


def policy_or_none(key: str) -> Policy | None:
    """The preset policy, or None for one no longer shipped (its tickets still get mail)."""
    try:
        return get_policy(key)
    except UnknownPolicy:
        return None


def team_address(policy: Policy | None, default: str | None) -> str | None:
    """The policy's own team address, else the deployment's."""
    return (policy.team_email if policy else None) or default


def escalation_roles(
    kind: str, roles: list[str], policy: Policy | None, *, escalation_contact: bool = False
) -> list[str]:
    """The roles a notice is sent along, in order: `roles` as the workflow gave them, completed
    for warnings and breaches (see the module's docstring); with `escalation_contact` (the
    account's contract names one) a breach also reaches that person, before the team."""
    if kind not in ESCALATIONS:
        return list(roles)
    chain = [
        role
        for role in roles
        if role != "account_manager" or policy is None or policy.has_account_managers
    ]
    if "success_manager" not in chain:
        after = chain.index("account_manager") + 1 if "account_manager" in chain else None
        if after is None:
            after = chain.index("assignee") + 1 if "assignee" in chain else 0
        chain.insert(after, "success_manager")
    if escalation_contact and kind == "breach" and "escalation_contact" not in chain:
        chain.append("escalation_contact")
    if "team" not in chain:
        chain.append("team")
    return chain


def team_is_needed(addresses: dict[str, str | None], chain: list[str]) -> bool:
    """Whether nobody who handles the ticket is in the chain with an address."""
    return not any(addresses.get(role) for role in HANDLERS if role in chain)
