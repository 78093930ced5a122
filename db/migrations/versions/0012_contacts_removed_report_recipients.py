"""Contacts who leave, and contacts who receive the reports.

A leaver is removed softly (`removed_at`): their tickets keep naming them, and nothing is mailed
to them again. `receives_reports` says who gets monthly reports and review invitations; null
follows `is_representative`, so accounts made before it keep their recipients.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receives_reports", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("removed_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
        batch_op.drop_column("receives_reports")
