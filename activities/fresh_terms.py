"""Before each activity, the worker's saved terms are brought up to date (services/terms.py).

An activity that names an account's policy (a mail's time zone, a report's targets, a ticket a
monitor opens) finds a policy an admin saved a moment ago in the API's process, as the API
does; a look at the table costs one indexed query, at most once a second per process.
"""

from __future__ import annotations

import logging
from typing import Any

from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from db.session import SessionFactory
from services import terms
from sla import SlaLookupError

log = logging.getLogger("pledge.worker")


class FreshTerms(Interceptor):
    """The worker's interceptor: see the module's docstring."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Fresh(next, self._session_factory)


class _Fresh(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, session_factory: SessionFactory) -> None:
        super().__init__(next)
        self._session_factory = session_factory

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            async with self._session_factory() as session:
                await terms.keep_fresh(session)
        except Exception as exc:  # noqa: BLE001 - the activity runs on the terms it has
            # The database away: the activity's own work meets it and retries; the terms
            # held stay the last ones read.
            log.debug("saved terms not refreshed: %s", exc)
        try:
            return await super().execute_activity(input)
        except SlaLookupError:
            # A policy saved in the API's process since this process last looked (within the
            # second it waits between looks): read the terms again and try once more.
            async with self._session_factory() as session:
                await terms.load(session)
            return await super().execute_activity(input)
