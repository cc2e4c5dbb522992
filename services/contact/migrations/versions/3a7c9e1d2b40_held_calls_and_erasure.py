"""held calls for shared numbers, announced events, customer erasure

A call may wait without a customer while its number is shared; what each call and call event
has published is recorded. Existing calls keep their customer and count everything they have
reached as announced, because it was published when it happened.

Revision ID: 3a7c9e1d2b40
Revises: 15ce5bff52e8
Create Date: 2026-11-22 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "3a7c9e1d2b40"
down_revision: str | None = "15ce5bff52e8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _reached(state: str, outcome: str | None, connected: bool) -> list[str]:
    reached = ["started"]
    if connected:
        reached.append("connected")
    if state == "ended":
        reached.append("ended")
        if outcome == "abandoned":
            reached.append("abandoned")
    return reached


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deleted_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("call_event", schema=None) as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Uuid(), nullable=True)
    with op.batch_alter_table("call_log_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("announced", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(
            sa.Column(
                "identification", sa.String(length=20), nullable=False, server_default="caller_id"
            )
        )
        batch_op.add_column(sa.Column("candidate_customer_ids", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("announced", sa.JSON(), nullable=True))
        batch_op.create_index(
            "ix_call_identification_started_at", ["identification", "started_at"], unique=False
        )

    calls = sa.table(
        "call",
        sa.column("id", sa.Uuid()),
        sa.column("state", sa.String()),
        sa.column("outcome", sa.String()),
        sa.column("connected_at", shared.db.UTCDateTime(timezone=True)),
        sa.column("candidate_customer_ids", sa.JSON()),
        sa.column("announced", sa.JSON()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(calls.c.id, calls.c.state, calls.c.outcome, calls.c.connected_at))
    for row in rows.all():
        bind.execute(
            calls.update()
            .where(calls.c.id == row.id)
            .values(
                candidate_customer_ids=[],
                announced=_reached(row.state, row.outcome, row.connected_at is not None),
            )
        )

    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.alter_column("candidate_customer_ids", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("announced", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("call_log_entry", schema=None) as batch_op:
        batch_op.alter_column("announced", existing_type=sa.Boolean(), server_default=None)
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.alter_column("identification", existing_type=sa.String(20), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index("ix_call_identification_started_at")
        batch_op.drop_column("announced")
        batch_op.drop_column("candidate_customer_ids")
        batch_op.drop_column("identification")
        batch_op.alter_column("customer_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("call_log_entry", schema=None) as batch_op:
        batch_op.drop_column("announced")
    with op.batch_alter_table("call_event", schema=None) as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
