"""Customer satisfaction: that a ticket's contact was asked how it went, and their answer.

`satisfaction_asks` is written once per ticket by the activity that mails the first resolution
(a ticket reopened and resolved again is not asked twice); `ticket_ratings` holds the answer,
good or bad with a comment, written when the contact presses a button.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "satisfaction_asks",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_satisfaction_asks_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_satisfaction_asks")),
    )
    op.create_table(
        "ticket_ratings",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("rated_by", sa.String(length=200), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_ticket_ratings_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_ratings_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_ratings")),
    )
    op.create_index(
        op.f("ix_ticket_ratings_rated_at"), "ticket_ratings", ["rated_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_ratings_rated_at"), table_name="ticket_ratings")
    op.drop_table("ticket_ratings")
    op.drop_table("satisfaction_asks")
