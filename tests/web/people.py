"""Staff users for the console's tests, made through the same service the admin pages use."""

from __future__ import annotations

import secrets

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role, User
from services import users

PASSWORD = "correct horse battery staple"


async def make_user(
    session: AsyncSession,
    *roles: Role,
    full_name: str = "Priya Shah",
    job_title: str | None = "Complaints Officer",
    password: str = PASSWORD,
) -> User:
    user = await users.create_user(
        session,
        email=f"priya.{secrets.token_hex(3)}@example.com",
        full_name=full_name,
        job_title=job_title,
        roles=roles or (Role.AGENT,),
        password=password,
    )
    await session.commit()
    return user


async def sign_in(
    http: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    return await http.post("/login", data={"email": email, "password": password, **extra})
