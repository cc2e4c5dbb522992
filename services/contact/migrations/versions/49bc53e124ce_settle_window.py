"""settle window: provider calls and Amazon Connect contacts publish once their events settle

A call or contact that owes the outbox gets `settles_at`; an Amazon Connect contact whose events
so far name nobody waits without a customer.

Revision ID: 49bc53e124ce
Revises: 733730b08df1
Create Date: 2026-11-30 11:37:20.347324
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "49bc53e124ce"
down_revision: str | None = "733730b08df1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("settles_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_call_settles_at", ["settles_at"], unique=False)

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("settles_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("customer_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_index("ix_contact_settles_at", ["settles_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_settles_at")
        batch_op.alter_column("customer_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("settles_at")

    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index("ix_call_settles_at")
        batch_op.drop_column("settles_at")
