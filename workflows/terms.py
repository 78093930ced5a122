"""The calendar an account-level workflow counts in, from the terms it was started with.

Onboarding, reviews, their actions and the account's monthly cycle count working days in the
account's calendar inside workflow code, so it must be the same on every replay: each run
carries the snapshot of the policy it was started under (passed on when it continues as new,
or read afresh by an activity each cycle), and never reads the newest version by key, which an
admin may change between a run and its replay. Runs started before snapshots were carried
still read the policy by key, as they always did.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import sla
    from sla import Calendar
    from sla.snapshot import PolicySnapshot


def calendar_of(policy: str, calendar: str | None, terms: PolicySnapshot | None) -> Calendar:
    """Calendar `calendar` (None: the default) of `terms`, else of policy `policy` by key."""
    rules = terms.policy() if terms is not None else sla.get_policy(policy)
    return rules.calendar(calendar)
