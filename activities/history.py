"""An entry in a workflow's append-only history, as its record activity writes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class EventRow(BaseModel):
    id: str  # "<reference>:<seq>": numbered by the workflow, so a retried write is a no-op
    seq: int
    kind: str
    actor: str
    at: datetime
    summary: str
    data: dict[str, Any] = {}
