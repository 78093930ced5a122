"""Calendar feed tokens stored as SHA-256 hashes, like the API keys they belong to.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

A feed token is a bearer secret in a URL; kept in clear, anyone who reads the table could read
every handler's complaints feed. Existing tokens are hashed in place, so feeds people already
subscribed to keep working. Downgrading cannot recover the tokens: it clears them, and handlers
mint new feed addresses.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

api_keys = sa.table(
    "api_keys",
    sa.column("id", sa.Integer()),
    sa.column("feed_token", sa.String()),
    sa.column("feed_token_hash", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_token_hash", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(api_keys.c.id, api_keys.c.feed_token).where(api_keys.c.feed_token.is_not(None))
    ).all()
    for key_id, token in rows:
        connection.execute(
            api_keys.update()
            .where(api_keys.c.id == key_id)
            .values(feed_token_hash=hashlib.sha256(token.encode()).hexdigest())
        )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_keys_feed_token"), type_="unique")
        batch_op.drop_column("feed_token")
        batch_op.create_unique_constraint(
            batch_op.f("uq_api_keys_feed_token_hash"), ["feed_token_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_keys_feed_token_hash"), type_="unique")
        batch_op.drop_column("feed_token_hash")
        batch_op.add_column(sa.Column("feed_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_api_keys_feed_token"), ["feed_token"])
