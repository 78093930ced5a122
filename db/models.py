"""The tables Pledge keeps, as SQLAlchemy 2 typed models."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import UTCDateTime, utcnow

# Explicit constraint names keep Alembic's batch migrations on SQLite and its autogenerate
# comparisons on PostgreSQL stable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(enum_class: type[enum.Enum]) -> Enum:
    """An enum stored as its value in a VARCHAR, so adding a member needs no ALTER TYPE."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    """What an API key may do."""

    ADMIN = "admin"
    AGENT = "agent"
    SUCCESS_MANAGER = "success_manager"
    COMPLAINTS_HANDLER = "complaints_handler"
    CUSTOMER = "customer"


class ApiKey(Base):
    """A bearer key; only its SHA-256 is stored, the secret is shown once at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    # A customer key sees one account only; every other role leaves this empty.
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class SystemCheck(Base):
    """One end-to-end round trip: API -> Temporal -> worker -> activity -> database."""

    __tablename__ = "system_checks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    worker_identity: Mapped[str] = mapped_column(String(200))
