"""customer states and their history, cost to serve, churn signals, loyalty inputs

Revision ID: c7e2a91d4f30
Revises: 513325d289f3
Create Date: 2026-11-30 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "c7e2a91d4f30"
down_revision: str | None = "513325d289f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "state_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("previous_state", sa.String(length=16), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("transition", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("causes", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_change")),
    )
    with op.batch_alter_table("state_change", schema=None) as batch_op:
        batch_op.create_index("ix_state_change_customer_id_id", ["customer_id", "id"], unique=False)
        batch_op.create_index("ix_state_change_occurred_at", ["occurred_at"], unique=False)

    with op.batch_alter_table("customer_stats", schema=None) as batch_op:
        for name in ("handle_seconds", "calls_abandoned", "sla_breaches"):
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column(
                "discounted",
                sa.Numeric(precision=18, scale=2),
                server_default="0",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("declared_wallet", sa.Numeric(precision=18, scale=2), nullable=True)
        )
        batch_op.add_column(sa.Column("state", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("state_since", shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_stats", schema=None) as batch_op:
        for name in (
            "state_since",
            "state",
            "declared_wallet",
            "discounted",
            "sla_breaches",
            "calls_abandoned",
            "handle_seconds",
        ):
            batch_op.drop_column(name)

    with op.batch_alter_table("state_change", schema=None) as batch_op:
        batch_op.drop_index("ix_state_change_occurred_at")
        batch_op.drop_index("ix_state_change_customer_id_id")

    op.drop_table("state_change")
