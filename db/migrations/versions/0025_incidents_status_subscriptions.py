"""Incidents on the status page (their updates, monitors and tickets) and its subscribers.

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision = "0025"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("impact", sa.String(length=16), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(op.f("ix_incidents_published_at"), "incidents", ["published_at"])
    op.create_index(op.f("ix_incidents_resolved_at"), "incidents", ["resolved_at"])
    op.create_table(
        "incident_updates",
        sa.Column("incident_id", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("posted_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_updates_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "number", name=op.f("pk_incident_updates")),
    )
    op.create_table(
        "incident_monitors",
        sa.Column("incident_id", sa.String(length=20), nullable=False),
        sa.Column("monitor_id", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_monitors_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name=op.f("fk_incident_monitors_monitor_id_monitors")
        ),
        sa.PrimaryKeyConstraint("incident_id", "monitor_id", name=op.f("pk_incident_monitors")),
    )
    op.create_table(
        "incident_tickets",
        sa.Column("incident_id", sa.String(length=20), nullable=False),
        sa.Column("ticket_reference", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_tickets_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint(
            "incident_id", "ticket_reference", name=op.f("pk_incident_tickets")
        ),
    )
    op.create_table(
        "status_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("services", sa.JSON(), nullable=True),
        sa.Column("confirmed_at", UTCDateTime(), nullable=False),
        sa.Column("unsubscribed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_subscriptions")),
        sa.UniqueConstraint("email", name=op.f("uq_status_subscriptions_email")),
    )
    op.create_table(
        "status_subscription_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("services", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_subscription_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_status_subscription_links_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("status_subscription_links")
    op.drop_table("status_subscriptions")
    op.drop_table("incident_tickets")
    op.drop_table("incident_monitors")
    op.drop_table("incident_updates")
    op.drop_index(op.f("ix_incidents_resolved_at"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_published_at"), table_name="incidents")
    op.drop_table("incidents")
