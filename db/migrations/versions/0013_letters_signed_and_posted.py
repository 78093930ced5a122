"""Letters signed by a person, and complaints from people with only a postal address.

An API key names the person behind it (full name and job title) so the letters they send are
signed by them; a complaint keeps its handler's job title for the same reason. A complainant
may have no e-mail address: their letters are printed and posted, and each letter records how
it went (e-mail or post).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("job_title", sa.String(length=200), nullable=True))
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handler_title", sa.String(length=200), nullable=True))
        batch_op.alter_column(
            "complainant_email", existing_type=sa.String(length=320), nullable=True
        )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_column("delivery")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.alter_column(
            "complainant_email", existing_type=sa.String(length=320), nullable=False
        )
        batch_op.drop_column("handler_title")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("job_title")
        batch_op.drop_column("full_name")
