"""retention programmes and their members

Revision ID: 45385b5747bc
Revises: c7e2a91d4f30
Create Date: 2026-11-30 08:28:28.384322
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "45385b5747bc"
down_revision: str | None = "c7e2a91d4f30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("goal", sa.String(length=500), nullable=False),
        sa.Column("content", sa.String(length=2000), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("cost_per_contact", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column("contacts_per_member", sa.Integer(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("due_within_hours", sa.Integer(), nullable=False),
        sa.Column("control_share", sa.Float(), nullable=False),
        sa.Column("measurement_days", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("launched_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("treated_count", sa.Integer(), nullable=False),
        sa.Column("control_count", sa.Integer(), nullable=False),
        sa.Column("rounds_sent", sa.Integer(), nullable=False),
        sa.Column("last_round_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("contacts_requested", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
    )
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.create_index("ix_programme_created_at_id", ["created_at", "id"], unique=False)

    op.create_table(
        "programme_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("member_group", sa.String(length=8), nullable=False),
        sa.Column("drawn_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("baseline_spend", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("churn_risk", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_member_programme_id_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_member")),
        sa.UniqueConstraint(
            "programme_id", "customer_id", name=op.f("uq_programme_member_programme_id_customer_id")
        ),
    )
    # Members are paged per programme on (drawn_at, id); the unique key serves the joins.
    with op.batch_alter_table("programme_member", schema=None) as batch_op:
        batch_op.create_index(
            "ix_programme_member_programme_id_drawn_at_id",
            ["programme_id", "drawn_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("programme_member", schema=None) as batch_op:
        batch_op.drop_index("ix_programme_member_programme_id_drawn_at_id")

    op.drop_table("programme_member")
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_index("ix_programme_created_at_id")

    op.drop_table("programme")
