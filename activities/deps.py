"""What every activity class is given: the database, the settings and who is running it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session, sessionmaker

from activities.mail import Mailer
from db.session import SessionFactory, make_session_factory, make_sync_session_factory
from reports.render import Renderer
from settings import Settings


@dataclass(frozen=True)
class ActivityDeps:
    session_factory: SessionFactory
    settings: Settings
    worker_identity: str
    mailer: Mailer
    # Synchronous activities (PDF rendering, on the worker's thread pool) write through this.
    sync_session_factory: sessionmaker[Session]
    renderer: Renderer

    @classmethod
    def create(
        cls, settings: Settings, identity: str, engine: AsyncEngine, sync_engine: Engine
    ) -> ActivityDeps:
        """The dependencies of a worker on these engines (whose lifetime the caller owns)."""
        return cls(
            # Activities write: their transactions take SQLite's write lock as they begin.
            session_factory=make_session_factory(engine, writes=True),
            settings=settings,
            worker_identity=identity,
            mailer=Mailer(settings),
            sync_session_factory=make_sync_session_factory(sync_engine, writes=True),
            renderer=Renderer(settings.templates_dir),
        )
