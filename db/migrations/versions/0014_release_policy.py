"""Releases name the policy (product) they ship for.

Only that policy's tickets can be linked to a release, and only its accounts' reports list it.
A release planned before this knew no product: it takes the policy of the tickets linked to it
(they were all one product in practice; the lowest key wins if not). One never linked stays
NULL: it met no one's promise, so no report lists it, and it accepts any policy's tickets.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_releases_policy"), ["policy"], unique=False)
    op.execute(
        "UPDATE releases SET policy = ("
        " SELECT MIN(tickets.policy) FROM release_tickets"
        " JOIN tickets ON tickets.id = release_tickets.ticket_id"
        " WHERE release_tickets.release_id = releases.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_policy"))
        batch_op.drop_column("policy")
