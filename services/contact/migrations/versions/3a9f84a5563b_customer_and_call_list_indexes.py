"""indexes of customers by (created_at, id) and calls by (started_at, id), for their lists

Revision ID: 3a9f84a5563b
Revises: 49bc53e124ce
Create Date: 2026-11-30 14:43:42.750987
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3a9f84a5563b"
down_revision: str | None = "49bc53e124ce"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.create_index("ix_call_started_at_id", ["started_at", "id"], unique=False)
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index("ix_customer_created_at_id", ["created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_created_at_id")
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index("ix_call_started_at_id")
