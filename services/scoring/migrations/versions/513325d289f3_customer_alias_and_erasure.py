"""customer alias and erasure tombstones

Revision ID: 513325d289f3
Revises: b5f486460ca5
Create Date: 2026-11-22 15:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "513325d289f3"
down_revision: str | None = "b5f486460ca5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_alias",
        sa.Column("merged_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("merged_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merged_id", name=op.f("pk_customer_alias")),
    )
    with op.batch_alter_table("customer_alias", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_alias_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "erased_customer",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("erased_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_erased_customer")),
    )
    # Merges and erasures move or delete a customer's complaint states by customer id.
    with op.batch_alter_table("complaint_state", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_state_customer_id"), ["customer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_state_customer_id"))

    op.drop_table("erased_customer")
    with op.batch_alter_table("customer_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_alias_customer_id"))

    op.drop_table("customer_alias")
