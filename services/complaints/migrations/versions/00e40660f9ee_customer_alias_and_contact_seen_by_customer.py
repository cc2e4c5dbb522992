"""customer alias (merged ids) and contact_seen by customer

Revision ID: 00e40660f9ee
Revises: c11443e1bdcc
Create Date: 2026-11-22 15:45:43.090475
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "00e40660f9ee"
down_revision: str | None = "c11443e1bdcc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_alias",
        sa.Column("merged_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("merged_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merged_id", name=op.f("pk_customer_alias")),
    )
    with op.batch_alter_table("customer_alias", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_alias_customer_id"), ["customer_id"], unique=False
        )
    # Merges and erasures move or drop a customer's contacts.
    with op.batch_alter_table("contact_seen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_seen_customer_id"), ["customer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_seen_customer_id"))
    with op.batch_alter_table("customer_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_alias_customer_id"))
    op.drop_table("customer_alias")
