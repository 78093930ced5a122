"""What the uptime roll-up workflow and its activity say to each other (neither imports the
other's module)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class RollupStart(BaseModel):
    """The roll-up's input; versioned as a contract between runs (continue-as-new)."""

    version: int = 1
    runs: int = 0  # roll-ups done by earlier runs, for the record


class RollupRequest(BaseModel):
    now: datetime


class RollupDone(BaseModel):
    hours: int  # hours rolled up this time
    hour_rows: int
    day_rows: int
    results_deleted: int
    hour_rows_deleted: int
    # Every monitor's hours before this are rolled up; None when there is nothing yet.
    through: datetime | None
    # False: there were more hours than one call rolls; call again at once.
    caught_up: bool
