"""What every activity class is given: the database, the settings and who is running it."""

from __future__ import annotations

from dataclasses import dataclass

from activities.mail import Mailer
from db.session import SessionFactory
from settings import Settings


@dataclass(frozen=True)
class ActivityDeps:
    session_factory: SessionFactory
    settings: Settings
    worker_identity: str
    mailer: Mailer
