"""The daily huddle: every working morning of the team calendar, at PLEDGE_HUDDLE_TIME local
time, the digest is mailed (workflow id `huddle`, started by the worker).

Real timers to the next huddle (sla.team.next_huddle skips weekends and bank holidays); after a
month of mornings the run continues as new, reading the settings it was started with again.
"""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.huddle import HuddleActivities, HuddleRequest
    from sla.team import next_huddle, team_calendar
    from workflows.journal import NOTICE_RETRY, delivered_or_recorded

HUDDLES_PER_RUN = 22  # about a month of working mornings
SEND_TIMEOUT = timedelta(minutes=2)


class HuddleStart(BaseModel):
    calendar: str  # PLEDGE_TEAM_CALENDAR, e.g. e-shot:support
    at: time  # PLEDGE_HUDDLE_TIME, local


@workflow.defn
class HuddleWorkflow:
    @workflow.run
    async def run(self, start: HuddleStart) -> None:
        calendar = team_calendar(start.calendar)
        for _ in range(HUDDLES_PER_RUN):
            now = workflow.now()
            due = next_huddle(calendar, now, start.at)  # strictly after now: a positive sleep
            await workflow.sleep(due - now)
            await delivered_or_recorded(
                workflow.execute_activity_method(
                    HuddleActivities.send_huddle,
                    HuddleRequest(at=due),
                    start_to_close_timeout=SEND_TIMEOUT,
                    retry_policy=NOTICE_RETRY,
                ),
                f"huddle-{due.date().isoformat()}",
                subject="huddle",
                what="the huddle's digest",
            )
        workflow.continue_as_new(start)
