"""Support mailboxes read over IMAP, and every mail read from them (mail in, issue 16).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tls", sa.Boolean(), nullable=False),
        sa.Column("folder", sa.String(length=200), nullable=False),
        sa.Column("moved_to", sa.String(length=200), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("password_sealed", sa.Text(), nullable=False),
        sa.Column("creates", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=32), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailboxes")),
    )
    op.create_table(
        "received_mails",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("mailbox_id", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=1000), nullable=False),
        sa.Column("uid", sa.Integer(), nullable=True),
        sa.Column("uid_validity", sa.BigInteger(), nullable=True),
        sa.Column("arrived_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("message_id", sa.String(length=1000), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("automatic", sa.String(length=100), nullable=True),
        sa.Column("display_text", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("ticket_reference", sa.String(length=20), nullable=True),
        sa.Column("complaint_reference", sa.String(length=20), nullable=True),
        sa.Column("handled_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("moved_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            name=op.f("fk_received_mails_mailbox_id_mailboxes"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_received_mails_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_mails")),
        sa.UniqueConstraint("mailbox_id", "dedupe_key", name=op.f("uq_received_mails_mailbox_id")),
    )
    op.create_index(
        op.f("ix_received_mails_mailbox_id"), "received_mails", ["mailbox_id"], unique=False
    )
    op.create_index(
        op.f("ix_received_mails_ticket_reference"),
        "received_mails",
        ["ticket_reference"],
        unique=False,
    )
    op.create_index(
        "ix_received_mails_sender_arrived", "received_mails", ["sender", "arrived_at"], unique=False
    )
    op.create_index("ix_received_mails_outcome", "received_mails", ["outcome"], unique=False)


def downgrade() -> None:
    op.drop_table("received_mails")
    op.drop_table("mailboxes")
