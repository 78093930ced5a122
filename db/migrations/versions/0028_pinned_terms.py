"""Each ticket and complaint names the version of its terms; accounts get an escalation contact.

`tickets.policy_version` and `complaints.regime_version` say which version of the policy (or
regime) a case runs under; its workflow holds that version's snapshot. Cases opened before
this migration ran under the preset files, which migration 0027 stored as version 1 (their
snapshots' digests are version 1's), so they are marked version 1.

`accounts.escalation_name`/`escalation_email`: a person a contract names as the escalation
point (e-shot's named director), told of warnings and breaches after the account's managers.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("policy_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("regime_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("escalation_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("escalation_email", sa.String(length=320), nullable=True))
    op.execute("UPDATE tickets SET policy_version = 1")
    op.execute("UPDATE complaints SET regime_version = 1")
    op.create_index("ix_tickets_policy_version", "tickets", ["policy", "policy_version"])


def downgrade() -> None:
    op.drop_index("ix_tickets_policy_version", table_name="tickets")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("escalation_email")
        batch.drop_column("escalation_name")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("regime_version")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("policy_version")
