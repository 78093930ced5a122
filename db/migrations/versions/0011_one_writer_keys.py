"""Objectives and measurements keyed by the request that made them.

The onboarding workflow's activities write both; an activity may run again after it
committed (a worker lost mid-answer), and a client may retry with the same Idempotency-Key.
The unique key makes either a no-op; the fingerprint tells a true retry from a reused key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("objectives", "measurements")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("key", sa.String(length=200), nullable=True))
            batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_key"), ["key"])


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_key"), type_="unique")
            batch_op.drop_column("fingerprint")
            batch_op.drop_column("key")
