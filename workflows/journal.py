"""What every promise-keeping workflow does alike: number its history, and let side jobs run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.history import EventRow


class Journal:
    """History events numbered by the workflow (so a retried write is a no-op), held until the
    next save writes them."""

    def __init__(self, reference: str, seq: int = 0) -> None:
        self.reference = reference
        self.seq = seq
        self._pending: list[EventRow] = []

    def add(self, kind: str, actor: str, summary: str, **data: Any) -> str:
        """Record an event now; returns its id, which also keys the notices it causes."""
        self.seq += 1
        event_id = f"{self.reference}:{self.seq}"
        self._pending.append(
            EventRow(
                id=event_id,
                seq=self.seq,
                kind=kind,
                actor=actor,
                at=workflow.now(),
                summary=summary,
                data={key: value for key, value in data.items() if value not in (None, "")},
            )
        )
        return event_id

    def take(self) -> list[EventRow]:
        """The events since the last save, handed to it."""
        events, self._pending = self._pending, []
        return events


class SideJobs:
    """Activities started without waiting (e-mail, webhooks) that must end before the run does."""

    def __init__(self) -> None:
        self._running: list[asyncio.Future[Any]] = []

    def start(self, job: Awaitable[Any]) -> None:
        self._running.append(asyncio.ensure_future(job))

    async def drain(self) -> None:
        """Wait for running handlers and side jobs; failures were retried by their policies."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
            self._running = []
