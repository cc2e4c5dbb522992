"""complaint filing keys: an idempotency key or a source contact makes one complaint

Revision ID: 5b0e7d2c9a41
Revises: c480c6f5c195
Create Date: 2026-11-30 09:40:00.000000
"""

import datetime as dt
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "5b0e7d2c9a41"
down_revision: str | None = "c480c6f5c195"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    keys = op.create_table(
        "complaint_filing_key",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("claimed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_complaint_filing_key")),
    )
    with op.batch_alter_table("complaint_filing_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_filing_key_complaint_id"), ["complaint_id"], unique=False
        )
    # Complaints on file keep their source contacts: the oldest complaint of a contact owns it.
    complaint = sa.table(
        "complaint",
        sa.column("id", sa.Uuid()),
        sa.column("source_contacts", sa.JSON()),
        sa.column("received_at", shared.db.UTCDateTime(timezone=True)),
    )
    rows = op.get_bind().execute(
        sa.select(complaint.c.id, complaint.c.source_contacts).order_by(complaint.c.received_at)
    )
    now = dt.datetime.now(dt.UTC)
    claimed: dict[str, object] = {}
    for complaint_id, contacts in rows:
        refs = json.loads(contacts) if isinstance(contacts, str) else contacts or []
        for ref in refs:
            key = f"source-contact:{ref}"[:200]
            claimed.setdefault(key, complaint_id)
    if claimed:
        op.bulk_insert(
            keys,
            [{"key": k, "complaint_id": c, "claimed_at": now} for k, c in claimed.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_filing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_filing_key_complaint_id"))
    op.drop_table("complaint_filing_key")
