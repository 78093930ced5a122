"""Request-scoped dependencies: one database session per request, the shared Temporal client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.client import Client

from services import terms
from settings import Settings

# Methods that change things: their transactions take SQLite's write lock when they begin, so
# a request that reads and then writes never finds its snapshot stale (see db/busy.py).
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    # Commit when the route returns normally; anything raised rolls the whole request back,
    # so a refused request never leaves half its writes behind.
    state = request.app.state
    factory = (
        state.write_session_factory if request.method in UNSAFE_METHODS else state.session_factory
    )
    async with factory() as session:
        try:
            await terms.keep_fresh(session)
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def _temporal(request: Request) -> Client:
    return request.app.state.temporal


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


# scope="function": commit before the response is sent, so a failed commit is an error the
# client sees rather than a 201 for something that was never stored.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Temporal = Annotated[Client, Depends(_temporal)]
AppSettings = Annotated[Settings, Depends(_settings)]
DatabaseEngine = Annotated[AsyncEngine, Depends(_engine)]
