"""A per-account secret that signs webhooks; accounts that already have a webhook get one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("webhook_secret", sa.String(length=100), nullable=True))
    # Every webhook is signed from now on: an existing receiver learns its secret by rotating
    # it (POST /accounts/{id}/webhook-secret), which an admin does once after upgrading.
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.Integer),
        sa.column("webhook_url", sa.String),
        sa.column("webhook_secret", sa.String),
    )
    connection = op.get_bind()
    ids = connection.scalars(
        sa.select(accounts.c.id).where(accounts.c.webhook_url.is_not(None))
    ).all()
    for account_id in ids:
        connection.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(webhook_secret="whsec_" + secrets.token_hex(32))
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("webhook_secret")
