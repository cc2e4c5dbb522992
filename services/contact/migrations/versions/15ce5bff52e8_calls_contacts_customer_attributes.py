"""calls, contacts, customer attributes

Existing rows get defaults: customers are consumer individuals, identities their first owner.

Revision ID: 15ce5bff52e8
Revises: ff15c6ba7edb
Create Date: 2026-11-22 13:51:06.189576
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "15ce5bff52e8"
down_revision: str | None = "ff15c6ba7edb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("call_key", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=True),
        sa.Column("from_number", sa.String(length=64), nullable=True),
        sa.Column("to_number", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("started_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ringing_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("queued_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("connected_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("queue", sa.String(length=200), nullable=True),
        sa.Column("agent", sa.String(length=200), nullable=True),
        sa.Column("wrap_up_code", sa.String(length=100), nullable=True),
        sa.Column("disposition", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recording_url", sa.String(length=1000), nullable=True),
        sa.Column("ivr_path", sa.JSON(), nullable=False),
        sa.Column("legs", sa.JSON(), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_call_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call")),
        sa.UniqueConstraint("provider", "call_key", name=op.f("uq_call_provider_call_key")),
    )
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_customer_id_started_at", ["customer_id", "started_at"], unique=False
        )

    op.create_table(
        "contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("agent", sa.String(length=200), nullable=True),
        sa.Column("queue", sa.String(length=200), nullable=True),
        sa.Column("disposition", sa.String(length=100), nullable=True),
        sa.Column("wrap_up_code", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("occurred_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_contact_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_contact_channel_external_id")),
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_customer_id_occurred_at", ["customer_id", "occurred_at"], unique=False
        )

    op.create_table(
        "call_log_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("leg_id", sa.String(length=128), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("occurred_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_call_log_entry_call_id_call")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_log_entry")),
        sa.UniqueConstraint(
            "provider", "dedup_key", name=op.f("uq_call_log_entry_provider_dedup_key")
        ),
    )
    with op.batch_alter_table("call_log_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_log_entry_call_id"), ["call_id"], unique=False)

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("name_key", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="consumer")
        )
        batch_op.add_column(
            sa.Column("party", sa.String(length=20), nullable=False, server_default="individual")
        )
        batch_op.add_column(sa.Column("man_money", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("man_authority", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("man_need", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("tier", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("churn_risk", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("scored_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_customer_name_key"), ["name_key"], unique=False)

    with op.batch_alter_table("customer_identity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ordinal", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint(batch_op.f("uq_customer_identity_kind_value"), type_="unique")
        batch_op.create_index("ix_customer_identity_kind_value", ["kind", "value"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_customer_identity_customer_id_kind_value"),
            ["customer_id", "kind", "value"],
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_customer_identity_kind_value_ordinal"), ["kind", "value", "ordinal"]
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_identity", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_customer_identity_kind_value_ordinal"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_customer_identity_customer_id_kind_value"), type_="unique"
        )
        batch_op.drop_index("ix_customer_identity_kind_value")
        batch_op.create_unique_constraint(
            batch_op.f("uq_customer_identity_kind_value"), ["kind", "value"]
        )
        batch_op.drop_column("ordinal")

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_name_key"))
        batch_op.drop_column("updated_at")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("scored_at")
        batch_op.drop_column("churn_risk")
        batch_op.drop_column("tier")
        batch_op.drop_column("man_need")
        batch_op.drop_column("man_authority")
        batch_op.drop_column("man_money")
        batch_op.drop_column("party")
        batch_op.drop_column("kind")
        batch_op.drop_column("name_key")
        batch_op.drop_column("name")

    with op.batch_alter_table("call_log_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_log_entry_call_id"))

    op.drop_table("call_log_entry")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_customer_id_occurred_at")

    op.drop_table("contact")
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index("ix_call_customer_id_started_at")

    op.drop_table("call")
