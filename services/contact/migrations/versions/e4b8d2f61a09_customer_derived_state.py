"""the customer state scoring derives from events, kept on the customer

Revision ID: e4b8d2f61a09
Revises: 77f7dc135d3e
Create Date: 2026-11-30 08:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4b8d2f61a09"
down_revision: str | None = "77f7dc135d3e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("derived_state", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("derived_state")
