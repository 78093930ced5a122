"""Versions of the terms admins write (SLA policies, calendars, complaint regimes); the shipped
presets, their calendars and the regimes become version 1 of each.

Revision ID: 0027
Revises: 0024
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime, utcnow

revision = "0027"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
        sa.UniqueConstraint("kind", "key", "version", name=op.f("uq_policy_versions_kind")),
    )
    # The terms as the code ships them today: a new database starts from the presets, as the
    # engine's preset path does (sla.get_policy), so both agree on version 1.
    from sla.authoring import shipped_terms
    from sla.snapshot import digest_of

    now = utcnow()
    op.bulk_insert(
        table,
        [
            {
                "kind": kind,
                "key": key,
                "version": 1,
                "body": body,
                "digest": digest_of(body),
                "created_at": now,
                "created_by": "Pledge (shipped preset)",
            }
            for kind, key, body in shipped_terms()
        ],
    )


def downgrade() -> None:
    op.drop_table("policy_versions")
