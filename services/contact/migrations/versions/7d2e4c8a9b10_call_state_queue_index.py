"""index of calls by state and queue, for the waiting list

Revision ID: 7d2e4c8a9b10
Revises: 3a7c9e1d2b40
Create Date: 2026-11-22 16:35:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7d2e4c8a9b10"
down_revision: str | None = "3a7c9e1d2b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.create_index("ix_call_state_queue", ["state", "queue"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index("ix_call_state_queue")
