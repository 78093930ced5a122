"""The on-call rota: one row per week of the team calendar, with an optional holiday cover.

Revision ID: 0026
Revises: 0022
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision = "0026"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "on_call_weeks",
        sa.Column("monday", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("holiday_user_id", sa.Integer(), nullable=True),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_on_call_weeks_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["holiday_user_id"],
            ["users.id"],
            name=op.f("fk_on_call_weeks_holiday_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("monday", name=op.f("pk_on_call_weeks")),
    )


def downgrade() -> None:
    op.drop_table("on_call_weeks")
