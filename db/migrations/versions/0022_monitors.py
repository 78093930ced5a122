"""Monitors: watched URLs, their raw probe results, outages and TLS expiry warnings sent.

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision = "0022"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=32), nullable=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("expected_status", sa.Integer(), nullable=False),
        sa.Column("keyword", sa.String(length=200), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_monitors_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitors")),
    )
    op.create_index(op.f("ix_monitors_account_id"), "monitors", ["account_id"])
    op.create_index(op.f("ix_monitors_service"), "monitors", ["service"])
    op.create_table(
        "monitor_results",
        sa.Column("monitor_id", sa.String(length=20), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("cert_expires_at", UTCDateTime(), nullable=True),
        sa.Column("lag_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name=op.f("fk_monitor_results_monitor_id_monitors")
        ),
        sa.PrimaryKeyConstraint("monitor_id", "at", name=op.f("pk_monitor_results")),
    )
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.String(length=20), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("cause", sa.String(length=500), nullable=True),
        sa.Column("ticket_reference", sa.String(length=20), nullable=True),
        sa.Column("in_maintenance", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name=op.f("fk_outages_monitor_id_monitors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
    )
    op.create_index(op.f("ix_outages_started_at"), "outages", ["started_at"])
    op.create_index(
        "uq_outages_monitor_started", "outages", ["monitor_id", "started_at"], unique=True
    )
    op.create_table(
        "monitor_tls_warnings",
        sa.Column("monitor_id", sa.String(length=20), nullable=False),
        sa.Column("cert_expires_at", UTCDateTime(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_monitor_tls_warnings_monitor_id_monitors"),
        ),
        sa.PrimaryKeyConstraint(
            "monitor_id", "cert_expires_at", "days", name=op.f("pk_monitor_tls_warnings")
        ),
    )


def downgrade() -> None:
    op.drop_table("monitor_tls_warnings")
    op.drop_index("uq_outages_monitor_started", table_name="outages")
    op.drop_index(op.f("ix_outages_started_at"), table_name="outages")
    op.drop_table("outages")
    op.drop_table("monitor_results")
    op.drop_index(op.f("ix_monitors_service"), table_name="monitors")
    op.drop_index(op.f("ix_monitors_account_id"), table_name="monitors")
    op.drop_table("monitors")
