"""Uptime history: monitors' hours and days rolled up from raw results, how far the roll-up
has gone (raw results go after 30 days, once rolled up), and results indexed by instant.

Revision ID: 0024
Revises: 0022
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision = "0024"
down_revision = "0026"
branch_labels = None
depends_on = None


def _figures() -> list[sa.Column]:
    return [
        sa.Column("probes", sa.Integer(), nullable=False),
        sa.Column("ok_probes", sa.Integer(), nullable=False),
        sa.Column("known_seconds", sa.Integer(), nullable=False),
        sa.Column("down_seconds", sa.Integer(), nullable=False),
        sa.Column("maintenance_seconds", sa.Integer(), nullable=False),
        sa.Column("rt_count", sa.Integer(), nullable=False),
        sa.Column("rt_sum", sa.Integer(), nullable=False),
        sa.Column("rt_min", sa.Integer(), nullable=True),
        sa.Column("rt_max", sa.Integer(), nullable=True),
        sa.Column("rt_p95", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    # The roll-up reads all monitors' results of an hour, and retention deletes by age.
    op.create_index("ix_monitor_results_at", "monitor_results", ["at"])
    op.create_table(
        "monitor_hours",
        sa.Column("monitor_id", sa.String(length=20), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        *_figures(),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name=op.f("fk_monitor_hours_monitor_id_monitors")
        ),
        sa.PrimaryKeyConstraint("monitor_id", "hour", name=op.f("pk_monitor_hours")),
    )
    op.create_table(
        "monitor_days",
        sa.Column("monitor_id", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        *_figures(),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name=op.f("fk_monitor_days_monitor_id_monitors")
        ),
        sa.PrimaryKeyConstraint("monitor_id", "day", name=op.f("pk_monitor_days")),
    )
    op.create_table(
        "uptime_rollups",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("through", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_uptime_rollups")),
    )


def downgrade() -> None:
    op.drop_table("uptime_rollups")
    op.drop_table("monitor_days")
    op.drop_table("monitor_hours")
    op.drop_index("ix_monitor_results_at", table_name="monitor_results")
